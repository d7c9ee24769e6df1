"""The hub: the FastAPI app that wires the packages together (routes, services, middleware). Nothing below imports it."""
