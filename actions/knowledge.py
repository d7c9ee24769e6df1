"""The action server's one knowledge-base searcher and triage classifier, built on first use and shared by every action."""

from __future__ import annotations

import asyncio
import threading

from core.settings import get_settings
from kb.search import Searcher, SearchResult
from tickets.triage import Triage, trained

_searcher: Searcher | None = None
_lock = threading.Lock()


def searcher() -> Searcher:
    global _searcher
    with _lock:
        if _searcher is None:
            _searcher = Searcher.from_settings(get_settings())
        return _searcher


def triage() -> Triage:
    """The complaint-category classifier, on the same embedding models as the searcher (trained on first use)."""
    return trained(searcher().embedders, searcher().query_vectors)


async def categorize(customer_texts: list[str], language: str, conversation: str | None = None) -> str:
    """The complaint category of what the customer said (embedding is CPU work: off the event loop).
    ``conversation``: whose messages, so the vectors its searches made are used again."""
    return await asyncio.get_running_loop().run_in_executor(None, lambda: triage().categorize(customer_texts, language, conversation))


async def search(text: str, language: str, context: str | None = None, conversation: str | None = None) -> SearchResult:
    """Embedding is CPU work: keep it off the event loop. ``context``: the customer's previous question."""
    return await asyncio.get_running_loop().run_in_executor(
        None, lambda: searcher().search(text, language, context=context, conversation=conversation))


async def prefetch(text: str, language: str) -> None:
    """Embed a customer's message while Rasa parses it, so its search finds the vector ready (``action_prefetch_query``)."""
    await asyncio.get_running_loop().run_in_executor(None, lambda: searcher().prefetch(text, language))
