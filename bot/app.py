"""The hub: one FastAPI app serving the customer channel, the agent console API and the web pages."""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from bot import customer_api
from bot.services import Services
from core.settings import Settings, get_settings
from handoff import agent_api
from kb import api as kb_api

MAX_BODY_BYTES = 256 * 1024
CUSTOMER_WEB = Path(__file__).parent / "web"  # chat widget and full-page chat
AGENT_WEB = Path(__file__).parent.parent / "handoff" / "web"  # agent console
KB_WEB = Path(__file__).parent.parent / "kb" / "web"  # knowledge-base editor


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
    app.include_router(kb_api.router)

    @app.get("/", include_in_schema=False)
    async def home() -> RedirectResponse:
        return RedirectResponse("/chat")

    @app.get("/chat", include_in_schema=False)
    async def chat_page() -> FileResponse:
        return FileResponse(CUSTOMER_WEB / "chat.html")

    @app.get("/widget.js", include_in_schema=False)
    async def widget_script() -> FileResponse:
        return FileResponse(CUSTOMER_WEB / "widget.js", media_type="text/javascript")

    @app.get("/console", include_in_schema=False)
    async def console_page() -> FileResponse:
        return FileResponse(AGENT_WEB / "console.html")

    @app.get("/kb", include_in_schema=False)
    async def kb_page() -> FileResponse:
        return FileResponse(KB_WEB / "kb.html")

    CUSTOMER_WEB.mkdir(exist_ok=True)
    AGENT_WEB.mkdir(exist_ok=True)
    KB_WEB.mkdir(exist_ok=True)
    app.mount("/static/chat", StaticFiles(directory=CUSTOMER_WEB), name="chat-static")
    app.mount("/static/console", StaticFiles(directory=AGENT_WEB), name="console-static")
    app.mount("/static/kb", StaticFiles(directory=KB_WEB), name="kb-static")
    return app


def _plain(errors: list[dict]) -> list[dict]:
    return [{"loc": list(e.get("loc", [])), "msg": e.get("msg", "")} for e in errors]
