"""The action server's one knowledge-base searcher, built on first use and shared by every action."""

from __future__ import annotations

import asyncio
import threading

from core.redis import sync_client
from core.settings import get_settings
from kb.embeddings import EmbedderSet
from kb.search import Searcher, SearchResult
from kb.store import KbStore

_searcher: Searcher | None = None
_lock = threading.Lock()


def searcher() -> Searcher:
    global _searcher
    with _lock:
        if _searcher is None:
            settings = get_settings()
            _searcher = Searcher(KbStore(sync_client(settings)), EmbedderSet.from_settings(settings), settings)
        return _searcher


async def search(text: str, language: str) -> SearchResult:
    """Embedding is CPU work: keep it off the event loop."""
    return await asyncio.get_running_loop().run_in_executor(None, lambda: searcher().search(text, language))
