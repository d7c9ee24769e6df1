"""Rasa's calls to the action server over kept-alive connections, the tracker encoded by a faster JSON encoder.

Rasa 3.6's ``EndpointConfig.request`` opens a new aiohttp ``ClientSession`` for every request, so every
action call (each FAQ message makes one, with the whole tracker as its body) connects anew, and the
action server accepts and tears down a connection per call. Here each endpoint keeps one session per
event loop (headers, auth and timeout as Rasa sets them), whose pool keeps the connection open between
calls (aiohttp drops an idle one after 15 s, the action server after 120 s), and the body is encoded by
``rasa_run.json_text``. Everything else, from the URL to the error raised on a status >= 400, is Rasa's.
The sessions close with the server (``close_resources``). Runs in Rasa's own virtualenv; imports nothing
of the app.
"""

from __future__ import annotations

import asyncio
import ssl
from typing import Any, Optional

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
    """This endpoint's session on the running loop, created as Rasa's ``EndpointConfig.session`` would make it."""
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


async def request(self: EndpointConfig, method: str = "post", subpath: Optional[str] = None,
                  content_type: Optional[str] = "application/json", compress: bool = False, **kwargs: Any) -> Optional[Any]:
    """Rasa's ``EndpointConfig.request`` on the endpoint's kept session."""
    headers = {}
    if content_type:
        headers["Content-Type"] = content_type
    if "headers" in kwargs:
        headers.update(kwargs.pop("headers"))
    if self.headers:
        headers.update(self.headers)
    url = endpoints.concat_url(self.url, subpath)
    sslcontext = None
    if self.cafile:
        try:
            sslcontext = ssl.create_default_context(cafile=self.cafile)
        except FileNotFoundError as e:
            raise endpoints.FileNotFoundException(f"Failed to find certificate file, '{self.cafile}' does not exist.") from e
    session = session_for(self)
    async with session.request(method, url, headers=headers, params=self.combine_parameters(kwargs), compress=compress,
                               ssl=sslcontext, **kwargs) as response:
        if response.status >= 400:
            raise endpoints.ClientResponseError(response.status, response.reason, await response.content.read())
        try:
            return await response.json()
        except aiohttp.ContentTypeError:
            return None


async def close_all() -> None:
    sessions = list(_sessions.values())
    _sessions.clear()
    for session in sessions:
        if not session.closed:
            await session.close()


def install() -> None:
    EndpointConfig.request = request
    close_resources = rasa.core.run.close_resources

    async def close_resources_and_sessions(app: Any, loop: Any) -> None:
        try:
            await close_resources(app, loop)
        finally:
            await close_all()

    rasa.core.run.close_resources = close_resources_and_sessions  # registered when the app is configured, later
