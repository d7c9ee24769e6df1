"""Asking the action server to embed a customer's message while Rasa is still parsing it (``action_prefetch_query``).

A bot turn is sequential: Rasa's NLU and policies, then the action server's search, whose embedding is
most of its time. The hub knows the text first, so it sends it to the action server at the moment it
sends it to Rasa; on two cores the embedding runs beside Rasa's work, and the search finds the vector
ready. Only when no other message of this process is waiting on Rasa: running beside needs a free
core, and under load the extra request would only add CPU. Best effort, fire and forget: a prefetch
that fails or comes late costs the turn nothing but the embedding the search does itself.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from core.action_call import action_call

log = logging.getLogger(__name__)


class QueryPrefetch:
    def __init__(self, action_url: str, timeout: float = 2.0, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.action_url = action_url
        self._http = httpx.AsyncClient(timeout=httpx.Timeout(timeout, connect=0.5), transport=transport)
        self._tasks: set[asyncio.Task] = set()  # referenced until done (the loop keeps only weak references)
        self._waiting = 0  # messages of this process waiting on Rasa right now

    @asynccontextmanager
    async def beside(self, conversation_id: str, text: str, language: str) -> AsyncIterator[None]:
        """Around one message's wait on Rasa: its embedding starts now, unless another message is waiting too."""
        if not self._waiting:
            self._start(conversation_id, text, language)
        self._waiting += 1
        try:
            yield
        finally:
            self._waiting -= 1

    def _start(self, conversation_id: str, text: str, language: str) -> None:
        if not text.strip() or text.startswith("/"):  # a button's payload is not searched
            return
        task = asyncio.create_task(self._send(conversation_id, text, language))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send(self, conversation_id: str, text: str, language: str) -> None:
        body = action_call("action_prefetch_query", conversation_id, {"text": text, "metadata": {"language": language}})
        try:
            (await self._http.post(self.action_url, json=body)).raise_for_status()
        except httpx.HTTPError as exc:
            log.debug("prefetch for %s not taken: %s", conversation_id, exc)

    async def aclose(self) -> None:
        await self._http.aclose()
