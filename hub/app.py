"""The hub: one FastAPI app serving the customer channel, the agent console API, the knowledge-base editor API and the web pages."""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from core.settings import Settings, get_settings
from hub import errors
from hub.middleware import BodyLimit, CsrfGuard, DemoClock, RateLimit, RequestMetrics, SecurityHeaders
from hub.routes import admin, agent, analytics, attachments, channels, customer, customers, demo, kb, ops, tickets, uploads
from hub.services import Services

ROOT = Path(__file__).resolve().parent.parent
CUSTOMER_WEB = ROOT / "bot" / "web"  # chat widget and full-page chat
AGENT_WEB = ROOT / "handoff" / "web"  # agent console
KB_WEB = ROOT / "kb" / "web"  # knowledge-base editor
DASHBOARD_WEB = ROOT / "analytics" / "web"  # supervisor dashboard
ECHARTS = ROOT / "node_modules" / "echarts" / "dist"  # the chart library, installed by scripts/setup.sh from package-lock.json
SWAGGER_UI = ROOT / "node_modules" / "swagger-ui-dist"  # the API reference's viewer, installed the same way
COMMON_WEB = ROOT / "web" / "common"  # what the pages share: markdown, i18n, API calls, the staff look
DOCS_WEB = ROOT / "web" / "docs"  # the API reference page (/docs)


def from_environment() -> FastAPI:
    """The app of one uvicorn worker process (``python -m hub`` with ``hub_workers`` > 1 imports it by name)."""
    from hub import log_scrub

    log_scrub.install()  # in each worker, after uvicorn configured its loggers there
    return create_app(get_settings())


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        services = Services.build(settings)
        app.state.services = services
        await services.start()
        try:
            yield
        finally:
            await services.aclose()

    app = FastAPI(
        title="Customer service hub",
        version="0.2.0",
        description="Conversations between customers, the Rasa bot and human agents. See README.md for the protocol.",
        lifespan=lifespan,
        # FastAPI's own /docs and /redoc load their viewers from a CDN with an inline script, which the CSP below
        # forbids (and offline machines cannot fetch): /docs is served from the hub instead (_pages), /redoc not at all.
        docs_url=None,
        redoc_url=None,
    )
    # Added innermost first: security headers wrap everything (413 and 429 answers too).
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes,
                       larger={"/api/kb/import": settings.max_upload_bytes, uploads.UPLOAD_PATH: settings.web_image_max_bytes,
                               attachments.SEND_PATH: settings.agent_attachment_max_bytes},
                       idle_seconds=settings.body_idle_seconds)
    app.add_middleware(RateLimit, limiter_factory=lambda: app.state.services.limiter, limits=settings.rate_limits)
    app.add_middleware(CsrfGuard, trusted_origins=[settings.public_url] if settings.public_url else [])
    if settings.widget_origins:  # shops calling the customer API from their own pages; nobody else
        app.add_middleware(CORSMiddleware, allow_origins=settings.widget_origins, allow_methods=["GET", "POST"],
                           allow_headers=["Authorization", "Content-Type"], allow_credentials=False)
    if settings.demo_clock:  # DEMO ONLY: requests may carry a simulated time (core/clock.py)
        app.add_middleware(DemoClock)
    app.add_middleware(SecurityHeaders, widget_origins=settings.widget_origins, https=settings.secure_cookies)
    app.add_middleware(RequestMetrics)  # outermost: every answer is measured, refusals included
    errors.install(app)
    for module in (ops, customer, agent, tickets, kb, admin, analytics):
        app.include_router(module.router)
    if settings.demo_clock:
        app.include_router(demo.router)
    app.include_router(channels.router)  # messaging channels' webhooks
    app.include_router(channels.agent_router)  # each line's delivery, for the console
    app.include_router(customers.router)  # the customer's history across channels, for the console
    app.include_router(uploads.router)  # pictures web-chat customers attach
    app.include_router(attachments.router)  # what customers sent on the channels (photos, files), for the console
    _pages(app)
    return app


def _file(path: Path, media_type: str | None = None):
    async def page() -> FileResponse:
        return FileResponse(path, media_type=media_type)

    return page


def _pages(app: FastAPI) -> None:
    pages = {"/chat": CUSTOMER_WEB / "chat.html", "/console": AGENT_WEB / "console.html", "/kb": KB_WEB / "kb.html",
             "/dashboard": DASHBOARD_WEB / "dashboard.html", "/docs": DOCS_WEB / "docs.html"}
    for path, file in pages.items():
        app.add_api_route(path, _file(file), include_in_schema=False)
    app.add_api_route("/widget.js", _file(CUSTOMER_WEB / "widget.js", "text/javascript"), include_in_schema=False)

    @app.get("/", include_in_schema=False)
    async def home() -> RedirectResponse:
        return RedirectResponse("/chat")

    app.mount("/static/chat", StaticFiles(directory=CUSTOMER_WEB), name="chat-static")
    app.mount("/static/console", StaticFiles(directory=AGENT_WEB), name="console-static")
    app.mount("/static/kb", StaticFiles(directory=KB_WEB), name="kb-static")
    app.mount("/static/dashboard", StaticFiles(directory=DASHBOARD_WEB), name="dashboard-static")
    app.mount("/static/echarts", StaticFiles(directory=ECHARTS, check_dir=False), name="echarts-static")
    app.mount("/static/common", StaticFiles(directory=COMMON_WEB), name="common-static")
    app.mount("/static/docs", StaticFiles(directory=DOCS_WEB), name="docs-static")
    app.mount("/static/swagger-ui", StaticFiles(directory=SWAGGER_UI, check_dir=False), name="swagger-ui-static")
