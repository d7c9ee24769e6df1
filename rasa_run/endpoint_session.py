"""Rasa's calls to the action server over kept-alive connections, the tracker encoded by a faster JSON encoder.

Rasa 3.6's ``EndpointConfig.request`` enters ``async with self.session()``, a new aiohttp ``ClientSession``
closed after each request, so every action call (each FAQ message makes one, with the whole tracker as
its body) connects anew, and the action server accepts and tears down a connection per call. Here
``session()`` gives each endpoint one session per event loop (headers, auth and timeout as Rasa sets
them), which the request leaves open, so its pool keeps the connection between calls (aiohttp drops an
idle one after 15 s, the action server after 120 s); its JSON bodies are encoded by ``rasa_run.json_text``.
Rasa's ``request`` itself runs unchanged, from the URL to the error raised on a status >= 400.
The sessions close with the server (``close_resources``). Runs in Rasa's own virtualenv; imports nothing
of the app.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import rasa.core.run
from rasa.utils import endpoints
from rasa.utils.endpoints import EndpointConfig

from rasa_run.json_text import dumps

_MAX_SESSIONS = 16  # endpoints x event loops: a handful (action server, NLG, model server)
_sessions: dict[tuple, aiohttp.ClientSession] = {}


def _key(config: EndpointConfig) -> tuple:
    auth = tuple(sorted((config.basic_auth or {}).items()))
    return (id(asyncio.get_running_loop()), config.url, tuple(sorted((config.headers or {}).items())), auth)


def session_for(config: EndpointConfig) -> aiohttp.ClientSession:
    """This endpoint's session on the running loop, made as Rasa's ``EndpointConfig.session`` makes one."""
    key = _key(config)
    session = _sessions.get(key)
    if session is None or session.closed or session.loop is not asyncio.get_running_loop():  # a new loop may reuse a dead one's id
        auth = aiohttp.BasicAuth(config.basic_auth["username"], config.basic_auth["password"]) if config.basic_auth else None
        session = aiohttp.ClientSession(headers=config.headers, auth=auth, json_serialize=dumps,
                                        timeout=aiohttp.ClientTimeout(total=endpoints.DEFAULT_REQUEST_TIMEOUT))
        if len(_sessions) >= _MAX_SESSIONS:  # sessions of event loops long gone (tests); a server has a handful
            oldest = _sessions.pop(next(iter(_sessions)))
            if not oldest.closed and oldest.loop is asyncio.get_running_loop():
                oldest.loop.create_task(oldest.close())
        _sessions[key] = session
    return session


class _Kept:
    """What ``async with endpoint.session() as session`` enters: the kept session, left open on the way out."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self.session = session

    async def __aenter__(self) -> aiohttp.ClientSession:
        return self.session

    async def __aexit__(self, *exc: object) -> None:
        return None


def session(self: EndpointConfig) -> _Kept:
    """Rasa's ``EndpointConfig.session``, which every request enters and closes, as the endpoint's kept session."""
    return _Kept(session_for(self))


async def close_all() -> None:
    sessions = list(_sessions.values())
    _sessions.clear()
    for session in sessions:
        if not session.closed:
            await session.close()


def install() -> None:
    EndpointConfig.session = session
    close_resources = rasa.core.run.close_resources

    async def close_resources_and_sessions(app: Any, loop: Any) -> None:
        try:
            await close_resources(app, loop)
        finally:
            await close_all()

    rasa.core.run.close_resources = close_resources_and_sessions  # registered when the app is configured, later
