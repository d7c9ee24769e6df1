"""Turning a version served as an overlay (``learning: "pending"``, ``kb.overlay``) into a complete one, in the background.

A re-publish is searchable at once with the previous version's ranker and gate; this
rebuilds every index and relearns the ranker and gate from exactly the published
entries, then switches to that version, whose ``learning`` is ``"full"``. Only if the
pending version is still live when the rebuild ends: a publish or a rollback in the
meantime supersedes it (the rebuilt artifact is deleted, never served). One worker
thread per process; a newer request replaces a queued one.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from core.settings import Settings
from kb.embeddings import EmbedderSet
from kb.publishing import publish_full
from kb.store import KbStore

log = logging.getLogger(__name__)


def relearn(store: KbStore, embedders: EmbedderSet, pending: int, settings: Settings, root: Path | None = None) -> dict | None:
    """A complete version of the entries ``pending`` serves, switched to if ``pending`` is still live; else None."""
    if store.published_version() != pending:
        return None
    started = time.time()
    info = store.version_info(pending) or {}
    entries = store.list_published()
    version = store.next_version()
    return publish_full(store, embedders, entries, version, {"author": info.get("author", "system"), "relearn_of": pending},
                        started, root=root, settings=settings, expected_live=pending)


class Relearner:
    """The background worker a publishing process (the hub) hands pending versions to."""

    def __init__(self, store: KbStore, embedders: EmbedderSet, settings: Settings, root: Path | None = None) -> None:
        self.store, self.embedders, self.settings, self.root = store, embedders, settings, root
        self._wanted: int | None = None
        self._busy = False
        self._closed = False
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None

    def schedule(self, pending: int) -> None:
        with self._cond:
            self._wanted = pending
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="kb-relearn", daemon=True)
                self._thread.start()
            self._cond.notify_all()

    def wait(self, timeout: float | None = None) -> bool:
        """True once nothing is queued or running (benches and tools; the hub never waits)."""
        with self._cond:
            return self._cond.wait_for(lambda: self._wanted is None and not self._busy, timeout)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._wanted = None
            self._cond.notify_all()

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._wanted is not None or self._closed)
                if self._closed:
                    return
                pending, self._wanted, self._busy = self._wanted, None, True
            try:
                result = relearn(self.store, self.embedders, pending, self.settings, self.root)
                if result is not None:
                    log.info("kb: version %s relearned in full as version %s (%.1f s)", pending, result["version"], result["build_seconds"])
                else:
                    log.info("kb: relearn of version %s superseded by a newer version", pending)
            except Exception:
                log.exception("kb: relearn of version %s failed; it stays served with its base's ranker and gate", pending)
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()
