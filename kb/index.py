"""A built, immutable search index over one knowledge-base snapshot: FAISS for meaning, BM25 for words.

One index per published version, written under ``var/kb/<namespace>/v<N>/`` so
every process (hub, action server, any replica) loads the same artifact and
switches to a new version without a restart.

Dense index by size (measured in bench/README.md, "KB scale"): below
``FLAT_MAX_ROWS`` texts of a language the search is exact (``IndexFlatIP``);
from there on an inverted-file index (``IndexIVFFlat``, inner product) searched
with ``IVF_NPROBE`` lists, whose recall@10 against exact search was >= 0.99 on
the benchmark while a flat search over 400k rows took ~100 ms per query on the
2-core box. The trained FAISS index is saved with the version (``dense-<lang>.faiss``)
so loading a big version does not retrain it; the raw vectors of such a version are
memory-mapped, not read (the IVF index holds its own copy).

Lexical: ``bm25s.get_scores`` is cheap even at 400k rows (< 1 ms), but a common
query word matches tens of thousands of rows and every non-zero row costs a
Python iteration in ``kb.search.rank``; so above ``FLAT_MAX_ROWS`` only the
``LEXICAL_DEPTH`` best rows keep their score (same normalisation), the rest are 0.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import bm25s
import faiss
import numpy as np

from kb.records import FaqEntry
from kb.text import tokenize

# Rows (texts of one language) from which the dense index is approximate; small KBs stay exact.
FLAT_MAX_ROWS = int(os.environ.get("CS_KB_FLAT_MAX_ROWS", "20000"))
IVF_NPROBE = int(os.environ.get("CS_KB_IVF_NPROBE", "32"))
LEXICAL_DEPTH = 1000


def ivf_nlist(n: int) -> int:
    """Inverted lists for ``n`` rows: ~2*sqrt(n) (about 1.3k lists at 400k rows)."""
    return max(16, int(2 * math.sqrt(n)))


def build_dense(vectors: np.ndarray, flat_max_rows: int | None = None) -> faiss.Index:
    """Exact inner-product index below ``flat_max_rows`` rows, an IVF one from there on."""
    n, dim = vectors.shape
    limit = FLAT_MAX_ROWS if flat_max_rows is None else flat_max_rows
    if n < limit:
        index = faiss.IndexFlatIP(dim)
        if n:
            index.add(vectors)
        return index
    nlist = ivf_nlist(n)
    quantizer = faiss.IndexFlatIP(dim)
    index = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
    # k-means on a fixed sample (deterministic: same vectors -> same index), 40 points per list.
    sample = vectors[np.random.default_rng(0).choice(n, min(n, nlist * 40), replace=False)]
    index.train(np.ascontiguousarray(sample))
    index.add(vectors)
    index.nprobe = min(IVF_NPROBE, nlist)
    return index


def dense_kind(index: faiss.Index) -> str:
    ivf = faiss.try_extract_index_ivf(index) if not isinstance(index, faiss.IndexFlat) else None
    return f"ivf{ivf.nlist}/nprobe{ivf.nprobe}" if ivf is not None else "flat"


@dataclass
class LanguageIndex:
    """Dense and lexical indexes over every question and phrasing of one language."""

    rows: list[str]  # row -> entry id
    tokens: list[list[str]]
    vectors: np.ndarray
    dense: faiss.Index | None = None  # given when loading a saved version; built otherwise
    bm25: bm25s.BM25 = field(init=False)
    idf: dict[str, float] = field(init=False)

    def __post_init__(self) -> None:
        self.vectors = np.ascontiguousarray(self.vectors, dtype="float32")
        if self.dense is None or self.dense.ntotal != len(self.rows):
            self.dense = build_dense(self.vectors)
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

    @property
    def exact(self) -> bool:
        return isinstance(self.dense, faiss.IndexFlat)

    def lexical_scores(self, query_tokens: list[str]) -> np.ndarray:
        """BM25 per row, scaled to about [0, 1].

        The scale is the score a document of average length holding each query
        term once would get (the sum of the query terms' idf), so 1.0 means
        "every query word matched", whatever the query's length. Words no
        document has count against the match, at half the rarest-word weight.
        Above ``FLAT_MAX_ROWS`` rows only the ``LEXICAL_DEPTH`` best rows are non-zero.
        """
        if not query_tokens or not len(self.rows):
            return np.zeros(len(self.rows), dtype="float32")
        raw = self.bm25.get_scores(query_tokens)
        scale = sum(self.idf.get(t, self.unknown_idf) for t in set(query_tokens))
        scores = np.clip(raw / max(scale, 1e-6), 0.0, 1.0).astype("float32")
        if len(scores) >= FLAT_MAX_ROWS and len(scores) > LEXICAL_DEPTH:
            keep = np.argpartition(-scores, LEXICAL_DEPTH)[:LEXICAL_DEPTH]
            top = np.zeros_like(scores)
            top[keep] = scores[keep]
            scores = top
        return scores

    def dense_scores(self, query_vector: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        k = min(k, len(self.rows))
        if k == 0:
            return np.zeros(0, dtype="float32"), np.zeros(0, dtype="int64")
        scores, ids = self.dense.search(np.ascontiguousarray(query_vector, dtype="float32").reshape(1, -1), k)
        return scores[0], ids[0]  # an approximate index may pad with id -1 (callers skip it)


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
            if not index.exact:  # a trained approximate index is worth keeping; a flat one rebuilds in ms
                faiss.write_index(index.dense, str(directory / f"dense-{lang}.faiss"))
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
        languages = {}
        for lang, spec in meta["languages"].items():
            saved = directory / f"dense-{lang}.faiss"
            dense = faiss.read_index(str(saved)) if saved.exists() else None
            if dense is not None:
                ivf = faiss.try_extract_index_ivf(dense)
                if ivf is not None:
                    ivf.nprobe = min(IVF_NPROBE, ivf.nlist)
            # With a saved approximate index the raw vectors are only needed to save again: map them, don't read them.
            vectors = np.load(directory / f"vectors-{lang}.npy", mmap_mode="r" if dense is not None else None)
            languages[lang] = LanguageIndex(spec["rows"], spec["tokens"], vectors, dense)
        entries = {e["id"]: FaqEntry(**e) for e in meta["entries"]}
        return cls(meta["version"], meta["models"], entries, languages)
