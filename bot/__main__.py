"""Run the hub: ``python -m bot``."""

import uvicorn

from bot.app import create_app
from core.settings import get_settings

settings = get_settings()
uvicorn.run(create_app(settings), host=settings.host, port=settings.hub_port, log_level="info", ws_ping_interval=20)
