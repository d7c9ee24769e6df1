"""The hub: one FastAPI app serving the customer channel, the agent console API and the web pages."""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from bot import customer_api
from bot.services import Services
from core.settings import Settings, get_settings
from handoff import agent_api

MAX_BODY_BYTES = 256 * 1024


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.services = Services.build(settings)
        try:
            yield
        finally:
            await app.state.services.aclose()

    app = FastAPI(
        title="Customer service hub",
        version="0.1.0",
        description="Conversations between customers, the Rasa bot and human agents. See README.md for the protocol.",
        lifespan=lifespan,
    )

    @app.middleware("http")
    async def limit_body(request: Request, call_next):
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > MAX_BODY_BYTES:
            return JSONResponse({"detail": f"request body too large (limit {MAX_BODY_BYTES} bytes)"}, status_code=413)
        return await call_next(request)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            return JSONResponse({"detail": "malformed JSON in request body", "errors": _plain(errors)}, status_code=400)
        return JSONResponse({"detail": "invalid request", "errors": _plain(errors)}, status_code=422)

    @app.get("/healthz", tags=["ops"], summary="Is the hub up, and can it reach Redis and Rasa?")
    async def health(request: Request) -> dict:
        services: Services = request.app.state.services
        try:
            redis_ok = bool(await services.redis.ping())
        except Exception:
            redis_ok = False
        return {"hub": True, "redis": redis_ok, "rasa": await services.rasa.ready()}

    app.include_router(customer_api.router)
    app.include_router(agent_api.router)
    return app


def _plain(errors: list[dict]) -> list[dict]:
    return [{"loc": list(e.get("loc", [])), "msg": e.get("msg", "")} for e in errors]
