"""The hub's ASGI middleware, one concern per module, each in the starlette shape: options in ``__init__``, work in ``__call__``."""

from hub.middleware.body_limit import BodyLimit
from hub.middleware.csrf import CsrfGuard
from hub.middleware.demo_clock import DemoClock
from hub.middleware.metrics import RequestMetrics
from hub.middleware.rate_limit import RateLimit
from hub.middleware.security_headers import SecurityHeaders

__all__ = ["BodyLimit", "CsrfGuard", "DemoClock", "RateLimit", "RequestMetrics", "SecurityHeaders"]
