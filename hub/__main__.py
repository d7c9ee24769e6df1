"""Run the hub: ``python -m hub``."""

import resource

import uvicorn

from core.settings import get_settings
from hub import log_scrub
from hub.app import create_app


def raise_open_file_limit() -> None:
    """Every open WebSocket is a file descriptor: allow as many as the system lets this process have."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard if hard != resource.RLIM_INFINITY else 65536, hard))


settings = get_settings()
raise_open_file_limit()
config = uvicorn.Config(
    create_app(settings), host=settings.host, port=settings.hub_port, log_level="info",
    ws_max_size=settings.max_ws_frame_bytes,
    ws_ping_interval=settings.ws_heartbeat_seconds, ws_ping_timeout=settings.ws_heartbeat_seconds,
    backlog=4096,
    proxy_headers=True, forwarded_allow_ips=settings.trusted_proxies,
)
server = uvicorn.Server(config)
log_scrub.install()  # after uvicorn configured its loggers
server.run()
