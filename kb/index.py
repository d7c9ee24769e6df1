"""A built, immutable search index over one knowledge-base snapshot: FAISS for meaning, BM25 for words.

One index per published version, written under ``var/kb/<namespace>/v<N>/`` so
every process (hub, action server, any replica) loads the same artifact and
switches to a new version without a restart.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import bm25s
import faiss
import numpy as np

from kb.records import FaqEntry
from kb.text import tokenize


@dataclass
class LanguageIndex:
    """Dense and lexical indexes over every question and phrasing of one language."""

    rows: list[str]  # row -> entry id
    tokens: list[list[str]]
    vectors: np.ndarray
    dense: faiss.Index = field(init=False)
    bm25: bm25s.BM25 = field(init=False)
    idf: dict[str, float] = field(init=False)

    def __post_init__(self) -> None:
        self.dense = faiss.IndexFlatIP(self.vectors.shape[1])
        if len(self.rows):
            self.dense.add(self.vectors)
        self.bm25 = bm25s.BM25(k1=1.2, b=0.75)
        # bm25s cannot index an empty document; a placeholder token keeps rows aligned.
        self.bm25.index([t or ["\u0000"] for t in self.tokens], show_progress=False)
        n = len(self.tokens)
        df: dict[str, int] = {}
        for doc in self.tokens:
            for token in set(doc):
                df[token] = df.get(token, 0) + 1
        self.idf = {t: math.log(1 + (n - d + 0.5) / (d + 0.5)) for t, d in df.items()}
        self.unknown_idf = math.log(1 + (n + 0.5) / 0.5) * 0.5

    def lexical_scores(self, query_tokens: list[str]) -> np.ndarray:
        """BM25 per row, scaled to about [0, 1].

        The scale is the score a document of average length holding each query
        term once would get (the sum of the query terms' idf), so 1.0 means
        "every query word matched", whatever the query's length. Words no
        document has count against the match, at half the rarest-word weight.
        """
        if not query_tokens or not len(self.rows):
            return np.zeros(len(self.rows), dtype="float32")
        raw = self.bm25.get_scores(query_tokens)
        scale = sum(self.idf.get(t, self.unknown_idf) for t in set(query_tokens))
        return np.clip(raw / max(scale, 1e-6), 0.0, 1.0).astype("float32")

    def dense_scores(self, query_vector: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        k = min(k, len(self.rows))
        if k == 0:
            return np.zeros(0, dtype="float32"), np.zeros(0, dtype="int64")
        scores, ids = self.dense.search(query_vector.reshape(1, -1), k)
        return scores[0], ids[0]


class KbIndex:
    """Everything a search needs for one published version."""

    def __init__(self, version: int, models: dict[str, str], entries: dict[str, FaqEntry], languages: dict[str, LanguageIndex]):
        self.version = version
        self.models = models  # language -> embedding model the vectors were made with
        self.entries = entries
        self.languages = languages

    @classmethod
    def build(cls, version: int, models: dict[str, str], entries: list[FaqEntry], vectors: dict[str, dict[str, np.ndarray]]) -> "KbIndex":
        """``vectors``: language -> text -> vector, made by ``models[language]``."""
        by_lang: dict[str, list[tuple[str, str]]] = {}
        for entry in entries:
            for text in entry.texts():
                by_lang.setdefault(entry.language, []).append((entry.id, text))
        languages = {}
        for lang, rows in by_lang.items():
            matrix = np.stack([vectors[lang][text] for _, text in rows]).astype("float32")
            languages[lang] = LanguageIndex([eid for eid, _ in rows], [tokenize(text) for _, text in rows], matrix)
        return cls(version, models, {e.id: e for e in entries}, languages)

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        for lang, index in self.languages.items():
            np.save(directory / f"vectors-{lang}.npy", index.vectors)
        meta = {
            "version": self.version,
            "models": self.models,
            "entries": [e.model_dump() for e in self.entries.values()],
            "languages": {lang: {"rows": i.rows, "tokens": i.tokens} for lang, i in self.languages.items()},
        }
        tmp = directory / "meta.json.tmp"
        tmp.write_text(json.dumps(meta, ensure_ascii=False))
        tmp.rename(directory / "meta.json")  # meta.json present == artifact complete

    @classmethod
    def load(cls, directory: Path) -> "KbIndex":
        meta = json.loads((directory / "meta.json").read_text())
        languages = {
            lang: LanguageIndex(spec["rows"], spec["tokens"], np.load(directory / f"vectors-{lang}.npy"))
            for lang, spec in meta["languages"].items()
        }
        entries = {e["id"]: FaqEntry(**e) for e in meta["entries"]}
        return cls(meta["version"], meta["models"], entries, languages)
