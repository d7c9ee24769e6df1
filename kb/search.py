"""Answering a question from the published knowledge base: ranked entries, then an explicit decision.

The decision is ``answer`` (send the top entry), ``suggest`` (offer the top
entries as choices) or ``fallback`` (admit not knowing). Scores come from the
ranker each publish fitted (``kb.ranking``, ``kb.training``); the thresholds
are the gate calibrated at the same publish for that knowledge base, model and
language, unless ``kb_gate_overrides`` in settings says otherwise. A stored
wording asked verbatim, or with one character or word changed, is always
answered by its entry (``kb.text.near_verbatim``).

This is the one path: the action server, the editor's try-it, agent
suggestions, ``./cs kb search`` and ``kb eval`` all call ``Searcher.search``.
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
from kb.calibration import GateThresholds, decide
from kb.embeddings import EmbedderSet, QueryVectors, load_embedder
from kb.followup import follow_up_query
from kb.index import KbIndex, LanguageIndex
from kb.overlay import load_version
from kb.publishing import version_dir
from kb.ranking import candidates
from kb.store import KbStore
from kb.text import normalize

Decision = Literal["answer", "suggest", "fallback"]
# Gate of an index published before gates were calibrated (until the next publish): cautious.
UNCALIBRATED = GateThresholds(answer=0.8, suggest=0.3, margin=0.2, source={"uncalibrated": True})


@dataclass
class Hit:
    id: str
    question: str
    answer: str
    category: str
    language: str
    score: float  # the ranker's probability that this is the right entry
    dense: float  # best cosine of the question with one of the entry's wordings
    lexical: float  # best BM25 (words and character bigrams), scaled to [0, 1]
    chars: float = 0.0  # best character n-gram cosine
    exact: bool = False  # the question repeats one of this entry's wordings, verbatim or with one character/word changed


@dataclass
class SearchResult:
    query: str
    language: str
    decision: Decision
    hits: list[Hit] = field(default_factory=list)
    version: int | None = None
    gate: dict | None = None  # thresholds applied, expected precision and where they came from
    searched_as: str | None = None  # the question with its context, when it was a follow-up
    learning: str = "full"  # "pending": the version is served as an overlay with its base's ranker and gate (kb.overlay)

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
        self.query_vectors = QueryVectors(self.settings.kb_query_cache_size)

    @classmethod
    def from_settings(cls, settings: Settings, client=None, namespace: str = "default") -> "Searcher":
        """The searcher every entry point builds: the settings' Redis, embedding models and index directory."""
        from core.redis import sync_client

        store = KbStore(client if client is not None else sync_client(settings), namespace)
        return cls(store, EmbedderSet.from_settings(settings), settings, root=settings.kb_dir)

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
                        # an overlay version reuses the base already in memory (kb.overlay)
                        self._index = load_version(lambda v: version_dir(self.store.namespace, v, self.root), version, self._index)
        return self._index

    def draft(self) -> KbIndex:
        """An in-memory index of the working copy (drafts included, ranker and gate learned), rebuilt only after an edit."""
        from kb.publishing import build_index, learning_options

        revision = self.store.draft_revision()
        with self._lock:
            if self._draft is None or self._draft[0] != revision:
                index = build_index(0, self.store.list_entries(), self.embedders, self.store, options=learning_options(self.settings))
                self._draft = (revision, index)
            return self._draft[1]

    def gate(self, index: KbIndex, language: str) -> GateThresholds:
        """The thresholds in force: a configured override, else the gate calibrated at publish."""
        model = index.models.get(language)
        overrides = self.settings.kb_gate_overrides
        for key in (f"{model}/{language}", language):
            if key in overrides:
                g = overrides[key]
                return GateThresholds(g.answer, g.suggest, g.margin, source={"override": key})
        li = index.languages.get(language)
        return li.gate if li is not None and li.gate is not None else UNCALIBRATED

    def search(self, query: str, language: str | None = None, k: int | None = None, index: KbIndex | None = None,
               *, context: str | None = None, conversation: str | None = None) -> SearchResult:
        """Rank the entries for ``query`` and decide. ``context``: the customer's previous question, for follow-ups.
        ``conversation``: whose question it is (its vector stays at hand for that conversation's hand-over)."""
        index = index or self.current()
        k = k or self.settings.kb_search_top_k
        language = language or detect_language(query)
        lang = _searched_language(index, language)
        if not query.strip() or lang is None:
            return SearchResult(query, language, "fallback", [], index.version, learning=index.learning)
        gate = self.gate(index, lang)
        li = index.languages[lang]
        embedder = load_embedder(index.models[lang])  # the model the index was built with
        hits = self._rank(index, li, embedder, query, conversation)[:k]
        decision = decision_for(hits, gate)
        searched_as = follow_up_query(query, context, lang) if context else None
        if searched_as and decision != "answer":
            # A follow-up the question alone does not settle: its context may (kb.followup).
            with_context = self._rank(index, li, embedder, searched_as)[:k]
            if with_context and (not hits or with_context[0].score > hits[0].score):
                return SearchResult(query, language, decision_for(with_context, gate), with_context, index.version, gate.to_dict(), searched_as, index.learning)
        return SearchResult(query, language, decision, hits, index.version, gate.to_dict(), learning=index.learning)

    def prefetch(self, query: str, language: str) -> None:
        """Embed ``query`` as its search will, ahead of it: the hub asks while Rasa is still parsing the message."""
        index = self.current()
        lang = _searched_language(index, language)
        if query.strip() and lang is not None:
            self.query_vectors.prefetch(load_embedder(index.models[lang]), normalize(query))

    def _rank(self, index: KbIndex, li: LanguageIndex, embedder, text: str, conversation: str | None = None) -> list[Hit]:
        text = normalize(text)
        return rank(index, li, self.query_vectors.vector(embedder, text, conversation), text)


def _searched_language(index: KbIndex, language: str) -> str | None:
    """The index language a question in ``language`` is searched in: its own, else the index's first."""
    lang = language if language in index.languages else next(iter(index.languages), language)
    return lang if lang in index.languages else None


def decision_for(hits: list[Hit], gate: GateThresholds) -> Decision:
    """The gate applied to ranked hits; a repeated stored wording is always answered by its entry."""
    if not hits:
        return "fallback"
    if hits[0].exact:
        return "answer"
    return decide(hits[0].score, hits[1].score if len(hits) > 1 else 0.0, gate)  # type: ignore[return-value]


def rank(index: KbIndex, li: LanguageIndex, query_vector: np.ndarray, text: str) -> list[Hit]:
    """Candidate entries scored by the language's ranker, best first; the entry of a wording the question repeats leads."""
    probabilities = li.class_probabilities(query_vector)
    row_scores = li.row_scores(query_vector, [text])[0]
    found = candidates(li.groups, row_scores, query_vector, probabilities, hidden=li.hidden)
    scores = li.ranker.score(found.features)
    exact = li.verbatim_entry(text, row_scores.chars)
    hits = []
    for i, pos in enumerate(found.entries):
        eid = li.groups.ids[pos]
        e = index.entries[eid]
        hits.append(Hit(eid, e.question, e.answer, e.category, e.language, round(float(scores[i]), 4),
                        round(float(found.dense[i]), 4), round(float(found.lexical[i]), 4), round(float(found.chars[i]), 4), eid == exact))
    # Ties broken deterministically: set order changes between processes (hash randomisation).
    hits.sort(key=lambda h: (not h.exact, -h.score, -h.dense, h.id))
    return hits
