"""The action server's one knowledge-base searcher, built on first use and shared by every action."""

from __future__ import annotations

import asyncio
import threading

from core.settings import get_settings
from kb.search import Searcher, SearchResult

_searcher: Searcher | None = None
_lock = threading.Lock()


def searcher() -> Searcher:
    global _searcher
    with _lock:
        if _searcher is None:
            _searcher = Searcher.from_settings(get_settings())
        return _searcher


async def search(text: str, language: str, context: str | None = None) -> SearchResult:
    """Embedding is CPU work: keep it off the event loop. ``context``: the customer's previous question."""
    return await asyncio.get_running_loop().run_in_executor(None, lambda: searcher().search(text, language, context=context))
