"""Run the hub: ``python -m hub`` (``hub_workers`` uvicorn worker processes on one port)."""

import resource

import uvicorn

from core.settings import get_settings
from hub import log_scrub
from hub.app import create_app
from hub.http import BoundedHeadProtocol


def raise_open_file_limit() -> None:
    """Every open WebSocket is a file descriptor: allow as many as the system lets this process have."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard if hard != resource.RLIM_INFINITY else 65536, hard))


settings = get_settings()
raise_open_file_limit()
options = dict(
    host=settings.host, port=settings.hub_port, log_level="info",
    ws_max_size=settings.max_ws_frame_bytes,
    ws_ping_interval=settings.ws_heartbeat_seconds, ws_ping_timeout=settings.ws_heartbeat_seconds,
    backlog=4096,
    http=BoundedHeadProtocol,  # httptools with a limit on a request's headers (hub/http.py)
    # Longer than a client's own idle expiry (httpx: 5 s, uvicorn's default too): with equal timeouts a client
    # could send its next request on a connection the hub was closing that instant, and get a read error.
    timeout_keep_alive=30,
    proxy_headers=True, forwarded_allow_ips=settings.trusted_proxies,
)
if settings.hub_workers > 1:
    # Worker processes share the listening socket; every piece of shared state is in Redis
    # (turn locks, pub/sub relay, rate limits), so any worker can serve any request.
    uvicorn.run("hub.app:from_environment", factory=True, workers=settings.hub_workers, **options)
else:
    server = uvicorn.Server(uvicorn.Config(create_app(settings), **options))
    log_scrub.install()  # after uvicorn configured its loggers
    server.run()
