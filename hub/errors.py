"""How every error leaves the hub: one status per kind, a ``detail`` that says what to do, never a bare 500.

- ``core.errors`` branches map to 404 / 403 / 422 / 409 / 503 / 502, with the error's ``code``
  (``at_capacity``, ``wrong_status``, ...) beside the English ``detail``: the console says
  why in the agent's language from it.
- Redis unreachable (stopped, restarting, overloaded) is a 503 with
  ``Retry-After``: the request did nothing, the client may send it again
  (customer messages and agents' replies carry a ``client_message_id``, so a
  retry never duplicates). The details are English: the staff pages say what
  a 503, another 5xx or no answer at all means in their own language, by the
  status code (``web/common/api.js``).
- This worker's Redis pool stayed full for the whole wait (``core.redis.PoolBusy``:
  a crowd, Redis itself is fine) is a 503 too, with a short ``Retry-After`` and
  ``BUSY``, not ``STORE_DOWN``: nobody is told the store is down when it is not.
- Malformed JSON is a 400, JSON nested past what can be parsed safely a 400,
  fields that fail validation a 422 with every reason.
- A WebSocket frame that fails validation gets one short line (``plain_errors``:
  "text: must be a string"), never pydantic's multi-line dump with its links.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from core.errors import Conflict, Invalid, NotAllowed, NotFound, ServiceError, Unavailable, Upstream
from core.redis import PoolBusy

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
STORE_DOWN = "The service is briefly unavailable (its data store cannot be reached). Nothing was changed; please try again in a few seconds."
BUSY_RETRY_AFTER_SECONDS = 1
BUSY = "The service is busy right now (too many requests at once). Please try again in a moment; a message sent again with its client_message_id is never stored twice."

_STATUS: list[tuple[type[ServiceError], int]] = [(NotFound, 404), (NotAllowed, 403), (Invalid, 422), (Conflict, 409), (Unavailable, 503), (Upstream, 502)]


def status_of(exc: ServiceError) -> int:
    return next((code for kind, code in _STATUS if isinstance(exc, kind)), 400)


def unavailable() -> JSONResponse:
    return JSONResponse({"detail": STORE_DOWN}, status_code=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def busy() -> JSONResponse:
    return JSONResponse({"detail": BUSY}, status_code=503, headers={"Retry-After": str(BUSY_RETRY_AFTER_SECONDS)})


def install(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    async def service_error(request: Request, exc: ServiceError) -> JSONResponse:
        code = status_of(exc)
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)} if code == 503 else None
        return JSONResponse({"detail": exc.detail, "code": exc.code}, status_code=code, headers=headers)

    @app.exception_handler(RedisConnectionError)
    @app.exception_handler(RedisTimeoutError)
    async def store_down(request: Request, exc: Exception) -> JSONResponse:
        log.warning("%s %s: Redis unavailable: %s", request.method, request.url.path, exc)
        return unavailable()

    @app.exception_handler(PoolBusy)  # before its base class above: a handler is looked up along the exception's MRO
    async def pool_busy(request: Request, exc: PoolBusy) -> JSONResponse:
        log.warning("%s %s: busy: %s", request.method, request.url.path, exc)
        return busy()

    @app.exception_handler(RecursionError)
    async def too_deep(request: Request, exc: RecursionError) -> JSONResponse:
        return JSONResponse({"detail": "request body is nested too deeply"}, status_code=400)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            return JSONResponse({"detail": "malformed JSON in request body", "errors": _plain(errors)}, status_code=400)
        return JSONResponse({"detail": "invalid request", "errors": _plain(errors)}, status_code=422)


def _plain(errors: list[dict]) -> list[dict]:
    return [{"loc": [str(part) for part in e.get("loc", [])], "msg": _own_reason(e) or str(e.get("msg", ""))} for e in errors]


def _own_reason(error: dict) -> str | None:
    """Our own validators' words, without pydantic's "Value error, " in front."""
    cause = (error.get("ctx") or {}).get("error")
    return str(cause) if error.get("type") == "value_error" and cause is not None else None


_SHORT = {"missing": "required", "string_type": "must be a string", "int_type": "must be a whole number", "bool_type": "must be true or false",
          "model_type": "must be a JSON object", "dict_type": "must be a JSON object"}


def plain_reason(error: dict) -> str:
    """One pydantic error in a few plain words."""
    kind, ctx = error.get("type"), error.get("ctx") or {}
    if kind == "string_too_short" and ctx.get("min_length") == 1:
        return "must not be empty"
    if kind == "string_too_long":
        return f"too long (at most {ctx.get('max_length')} characters)"
    return _own_reason(error) or _SHORT.get(kind or "") or str(error.get("msg", "invalid"))


def plain_errors(exc: ValidationError) -> str:
    """Every reason a frame was refused, on one line: ``"text: must be a string; client_message_id: too long (...)"``."""
    parts = []
    for error in exc.errors(include_url=False):
        field = ".".join(str(part) for part in error.get("loc", ()))
        parts.append(f"{field}: {plain_reason(error)}" if field else plain_reason(error))
    return "; ".join(parts)
