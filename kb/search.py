"""Answering a question from the published knowledge base: hybrid scores, then an explicit decision.

The decision is ``answer`` (send the top entry), ``suggest`` (offer the top
entries as choices) or ``fallback`` (admit not knowing), from per-language
thresholds in settings, so gating can be measured and tuned on labelled data.
"""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from core.language import detect_language
from core.settings import Settings, get_settings
from kb.embeddings import EmbedderSet, load_embedder
from kb.index import KbIndex
from kb.publishing import version_dir
from kb.store import KbStore
from kb.text import tokenize

Decision = Literal["answer", "suggest", "fallback"]


@dataclass
class Hit:
    id: str
    question: str
    answer: str
    category: str
    language: str
    score: float
    dense: float
    lexical: float


@dataclass
class SearchResult:
    query: str
    language: str
    decision: Decision
    hits: list[Hit] = field(default_factory=list)
    version: int | None = None

    @property
    def top(self) -> Hit | None:
        return self.hits[0] if self.hits else None

    def as_dict(self) -> dict:
        return {**asdict(self), "hits": [asdict(h) for h in self.hits]}


class NoPublishedIndex(RuntimeError):
    pass


class Searcher:
    """Searches the latest published version; picks up a newly published one without a restart.

    Each search checks the published version number in Redis at most once per
    ``kb_reload_check_seconds``; a new version is loaded and swapped in whole,
    so a search in flight finishes on the index it started with.
    """

    def __init__(self, store: KbStore, embedders: EmbedderSet, settings: Settings | None = None, root: Path | None = None) -> None:
        self.store = store
        self.embedders = embedders
        self.settings = settings or get_settings()
        self.root = root
        self._index: KbIndex | None = None
        self._checked_at = 0.0
        self._lock = threading.Lock()
        self._draft: tuple[int, KbIndex] | None = None

    def current(self) -> KbIndex:
        now = time.monotonic()
        if self._index is None or now - self._checked_at >= self.settings.kb_reload_check_seconds:
            self._checked_at = now
            version = self.store.published_version()
            if version is None:
                raise NoPublishedIndex(f"knowledge base {self.store.namespace!r} has no published version; run `kb import`")
            if self._index is None or self._index.version != version:
                with self._lock:
                    if self._index is None or self._index.version != version:
                        self._index = KbIndex.load(version_dir(self.store.namespace, version, self.root))
        return self._index

    def draft(self) -> KbIndex:
        """An in-memory index of the working copy (drafts included), rebuilt only after an edit."""
        from kb.publishing import build_index

        revision = self.store.draft_revision()
        with self._lock:
            if self._draft is None or self._draft[0] != revision:
                self._draft = (revision, build_index(0, self.store.list_entries(), self.embedders, self.store))
            return self._draft[1]

    def search(self, query: str, language: str | None = None, k: int | None = None, index: KbIndex | None = None) -> SearchResult:
        index = index or self.current()
        k = k or self.settings.kb_search_top_k
        language = language or detect_language(query)
        lang = language if language in index.languages else next(iter(index.languages), language)
        if not query.strip() or lang not in index.languages:
            return SearchResult(query, language, "fallback", [], index.version)
        embedder = load_embedder(index.models[lang])  # the model the index was built with
        gate = self.settings.gate(lang, index.models[lang])
        hits = rank(index, lang, embedder.embed([query])[0], tokenize(query), gate.dense_weight)[:k]
        return SearchResult(query, language, decide(hits, self.settings, lang, index.models[lang]), hits, index.version)


def rank(index: KbIndex, lang: str, query_vector: np.ndarray, query_tokens: list[str], dense_weight: float, depth: int = 200) -> list[Hit]:
    """Every candidate entry with its best dense and best lexical score over its texts, fused."""
    li = index.languages[lang]
    dense_scores, rows = li.dense_scores(query_vector, depth)
    lexical = li.lexical_scores(query_tokens)
    best_dense: dict[str, float] = {}
    for score, row in zip(dense_scores, rows):
        if row >= 0:
            eid = li.rows[row]
            best_dense[eid] = max(best_dense.get(eid, -1.0), float(score))
    best_lex: dict[str, float] = {}
    for row in np.nonzero(lexical)[0]:
        eid = li.rows[row]
        best_lex[eid] = max(best_lex.get(eid, 0.0), float(lexical[row]))
    candidates = set(best_dense) | set(best_lex)
    hits = []
    for eid in candidates:
        d, lx = max(best_dense.get(eid, 0.0), 0.0), best_lex.get(eid, 0.0)
        e = index.entries[eid]
        fused = dense_weight * d + (1 - dense_weight) * lx
        hits.append(Hit(eid, e.question, e.answer, e.category, e.language, round(fused, 4), round(d, 4), round(lx, 4)))
    # Ties broken deterministically: set order changes between processes (hash randomisation).
    hits.sort(key=lambda h: (-h.score, -h.dense, -h.lexical, h.id))
    return hits


def decide(hits: list[Hit], settings: Settings, language: str, model: str | None = None) -> Decision:
    gate = settings.gate(language, model)
    if not hits or hits[0].score < gate.suggest:
        return "fallback"
    runner_up = hits[1].score if len(hits) > 1 else 0.0
    if hits[0].score >= gate.answer and hits[0].score - runner_up >= gate.margin:
        return "answer"
    return "suggest"
