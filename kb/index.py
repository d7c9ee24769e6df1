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

Below ``FLAT_MAX_ROWS`` every row's cosine is computed (one matrix-vector product,
about a millisecond at 15k rows); above it the rows FAISS does not return get the
lowest returned score.

Lexical: BM25 (``bm25s``) over words and Chinese character bigrams, and TF-IDF over
character 1-3-grams (scikit-learn), each a score per row. Above ``FLAT_MAX_ROWS``
only the ``LEXICAL_DEPTH`` best BM25 rows keep their score, the rest are 0.

Each language also carries what its publish learned (``kb.training``): the
ranker's weights and the calibrated gate, saved in ``meta.json`` with the version.
"""

from __future__ import annotations

import json
import math
import os
import pickle
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import bm25s
import faiss
import numpy as np
from scipy import sparse

from kb.calibration import GateThresholds
from kb.ranking import EntryClassifier, EntryGroups, Ranker, RowScores, class_probabilities
from kb.records import FaqEntry
from kb.text import clauses, match_key, near_verbatim, normalize, tokenize

# Rows (texts of one language) from which the dense index is approximate; small KBs stay exact.
FLAT_MAX_ROWS = int(os.environ.get("CS_KB_FLAT_MAX_ROWS", "20000"))
IVF_NPROBE = int(os.environ.get("CS_KB_IVF_NPROBE", "32"))
LEXICAL_DEPTH = 1000
NEAR_VERBATIM_ROWS = 8  # rows closest by characters checked for a near-verbatim wording
BM25_K1, BM25_B = 1.2, 0.75  # bm25s "lucene" scoring; an overlay scores its rows with the same (kb.overlay)


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


class CharIndex:
    """TF-IDF over character 1-3-grams of every wording: one changed character still leaves most n-grams shared."""

    def __init__(self, texts: list[str]) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True, dtype=np.float32)
        # Rows as columns: a question's few n-grams select a few rows of this matrix.
        self.by_feature = self.vectorizer.fit_transform(texts or [" "]).T.tocsr()
        self.rows = len(texts)

    @cached_property
    def _analyze(self):
        """The vectorizer's n-gram analyzer, built once (an index pickled before it existed builds it on first use)."""
        return self.vectorizer.build_analyzer()

    def scores(self, texts: list[str]) -> np.ndarray:
        """Cosine of each text with every wording: (texts, wordings)."""
        if not self.rows:
            return np.zeros((len(texts), 0), dtype="float32")
        return np.asarray((self.vectors(texts) @ self.by_feature).todense(), dtype="float32")

    def vectors(self, texts: list[str]) -> sparse.csr_matrix:
        """``self.vectorizer.transform(texts)``, the same numbers bit for bit, without scikit-learn's per-call checks.

        Those checks (parameter and input validation, dataframe detection) cost ~1 ms per question,
        more than the arithmetic of a short text: the searching process's widest frame after the
        query embedding. The steps are scikit-learn's own, in its order and precision: counts of the
        known n-grams, ``log(count) + 1``, times the n-gram's idf, each row divided by its L2 norm
        (summed in double, in column order, as ``_inplace_csr_row_normalize_l2`` does).
        """
        analyze = self._analyze
        vocabulary, idf = self.vectorizer.vocabulary_, self.vectorizer.idf_
        indptr, indices, values = [0], [], []
        for text in texts:
            counts: dict[int, int] = {}
            for gram in analyze(text):
                column = vocabulary.get(gram)
                if column is not None:
                    counts[column] = counts.get(column, 0) + 1
            row = sorted(counts)
            data = np.array([counts[c] for c in row], dtype=self.vectorizer.dtype)
            if row:
                np.log(data, data)
                data += 1.0
                data *= idf[row]
                total = 0.0
                for square in (data * data).tolist():
                    total += square
                if total:
                    data = (data.astype(np.float64) / math.sqrt(total)).astype(data.dtype)
            indices += row
            values.append(data)
            indptr.append(len(indices))
        data = np.concatenate(values) if values else np.zeros(0, dtype=self.vectorizer.dtype)
        return sparse.csr_matrix((data, np.array(indices, dtype=np.int32), np.array(indptr, dtype=np.int32)),
                                 shape=(len(texts), len(vocabulary)))


@dataclass
class LanguageIndex:
    """Dense, word and character indexes over every question and phrasing of one language, and what was learned from them."""

    rows: list[str]  # row -> entry id (an entry's rows are contiguous)
    texts: list[str]  # row -> normalised wording
    vectors: np.ndarray
    dense: faiss.Index | None = None  # given when loading a saved version; built otherwise
    chars: CharIndex | None = None  # given when loading a saved version; built otherwise
    ranker: Ranker = field(default_factory=Ranker.default)
    gate: GateThresholds | None = None  # calibrated at publish (kb.training)
    classifier: EntryClassifier | None = None  # fitted at publish (kb.training)
    tokens: list[list[str]] = field(init=False)
    bm25: bm25s.BM25 = field(init=False)
    idf: dict[str, float] = field(init=False)
    groups: EntryGroups = field(init=False)
    exact: dict[str, list[str]] = field(init=False)  # match key -> entries holding that wording
    exact_clauses: dict[str, list[str]] = field(init=False)  # match key -> entries with a wording holding that clause

    def __post_init__(self) -> None:
        self.vectors = np.ascontiguousarray(self.vectors, dtype="float32")
        if self.dense is None or self.dense.ntotal != len(self.rows):
            self.dense = build_dense(self.vectors)
        if self.chars is None or self.chars.rows != len(self.rows):
            self.chars = CharIndex(self.texts)
        self.tokens = [tokenize(t) for t in self.texts]
        self.bm25 = bm25s.BM25(k1=BM25_K1, b=BM25_B)
        # bm25s cannot index an empty document; a placeholder token keeps rows aligned.
        self.bm25.index([t or ["\u0000"] for t in self.tokens], show_progress=False)
        n = len(self.tokens)
        df: dict[str, int] = {}
        for doc in self.tokens:
            for token in set(doc):
                df[token] = df.get(token, 0) + 1
        self.idf = {t: math.log(1 + (n - d + 0.5) / (d + 0.5)) for t, d in df.items()}
        self.unknown_idf = math.log(1 + (n + 0.5) / 0.5) * 0.5
        self.avg_doc_len = float(np.mean([max(1, len(t)) for t in self.tokens])) if self.tokens else 1.0
        self.groups = EntryGroups.build(self.rows, self.vectors)
        self.exact, self.exact_clauses = {}, {}
        for eid, text in zip(self.rows, self.texts):
            for table, keys in ((self.exact, [text]), (self.exact_clauses, clauses(text))):
                for key in keys:
                    holders = table.setdefault(match_key(key), [])
                    if eid not in holders:
                        holders.append(eid)

    @property
    def exact_search(self) -> bool:
        return isinstance(self.dense, faiss.IndexFlat)

    @property
    def hidden(self) -> np.ndarray | None:
        """Entries never to return (none here; a re-published version's overlay hides replaced ones, ``kb.overlay``)."""
        return None

    def class_probabilities(self, query_vector: np.ndarray) -> np.ndarray:
        """The entry classifier's probability per entry position (all ones without a classifier)."""
        return class_probabilities(self.classifier, query_vector, len(self.groups.ids))

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

    def dense_scores(self, query_vectors: np.ndarray, depth: int = 200) -> np.ndarray:
        """Cosine per question and row: exact below ``FLAT_MAX_ROWS``; above, rows FAISS does not return get its lowest score."""
        queries = np.ascontiguousarray(np.atleast_2d(query_vectors), dtype="float32")
        if self.exact_search:
            return queries @ self.vectors.T
        scores, ids = self.dense.search(queries, min(depth, len(self.rows)))
        out = np.empty((len(queries), len(self.rows)), dtype="float32")
        for i, (row_scores, row_ids) in enumerate(zip(scores, ids)):
            found = row_ids >= 0  # an approximate index may pad with id -1
            out[i] = float(row_scores[found].min()) if found.any() else 0.0
            out[i, row_ids[found]] = row_scores[found]
        return out

    def row_scores(self, query_vectors: np.ndarray, texts: list[str]) -> list[RowScores]:
        """Every row's similarity to each (normalised) question, in the three ways the ranker weighs.

        Questions are scored together (one matrix product for meaning, one for characters): publishing
        scores thousands of held-out wordings this way, a search one question.
        """
        dense = self.dense_scores(query_vectors)
        chars = self.chars.scores(texts)
        return [RowScores(d, self.lexical_scores(tokenize(t)), c) for d, c, t in zip(dense, chars, texts)]

    def verbatim_entry(self, text: str, char_scores: np.ndarray) -> str | None:
        """The entry whose wording ``text`` repeats, verbatim (or one whole clause of it) or near-verbatim
        (``kb.text.near_verbatim``), if exactly one entry has such a wording.

        ``char_scores``: the question's character n-gram cosine per row; only the closest rows can be near it.
        """
        key = match_key(text)
        holders = self.exact.get(key) or self.exact_clauses.get(key, [])
        if holders:
            return holders[0] if len(holders) == 1 else None
        closest = np.argsort(-char_scores)[:NEAR_VERBATIM_ROWS] if len(char_scores) else []
        near = {self.rows[r] for r in closest if char_scores[r] > 0 and near_verbatim(text, self.texts[r])}
        return near.pop() if len(near) == 1 else None


class KbIndex:
    """Everything a search needs for one published version."""

    learning = "full"  # its ranker and gate were learned from exactly these entries (an overlay's are its base's: kb.overlay)
    base: "KbIndex | None" = None  # the full version an overlay version builds on

    def __init__(self, version: int, models: dict[str, str], entries: dict[str, FaqEntry], languages: dict[str, LanguageIndex]):
        self.version = version
        self.models = models  # language -> embedding model the vectors were made with
        self.entries = entries
        self.languages = languages

    @classmethod
    def build(cls, version: int, models: dict[str, str], entries: list[FaqEntry], vectors: dict[str, dict[str, np.ndarray]]) -> "KbIndex":
        """``vectors``: language -> normalised text -> vector, made by ``models[language]``."""
        by_lang: dict[str, list[tuple[str, str]]] = {}
        for entry in entries:
            texts = dict.fromkeys(normalize(t) for t in entry.texts())
            for text in texts:
                by_lang.setdefault(entry.language, []).append((entry.id, text))
        languages = {}
        for lang, rows in by_lang.items():
            matrix = np.stack([vectors[lang][text] for _, text in rows]).astype("float32")
            languages[lang] = LanguageIndex([eid for eid, _ in rows], [text for _, text in rows], matrix)
        return cls(version, models, {e.id: e for e in entries}, languages)

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        for lang, index in self.languages.items():
            np.save(directory / f"vectors-{lang}.npy", index.vectors)
            with (directory / f"chars-{lang}.pkl").open("wb") as fh:
                pickle.dump(index.chars, fh, protocol=pickle.HIGHEST_PROTOCOL)
            if index.classifier is not None:
                classifier = index.classifier
                arrays = {"weights": classifier.weights, "bias": classifier.bias}
                if classifier.center is not None:
                    arrays["center"] = classifier.center
                np.savez(directory / f"classifier-{lang}.npz", **arrays)
            if not index.exact_search:  # a trained approximate index is worth keeping; a flat one rebuilds in ms
                faiss.write_index(index.dense, str(directory / f"dense-{lang}.faiss"))
        meta = {
            "version": self.version,
            "models": self.models,
            "entries": [e.model_dump() for e in self.entries.values()],
            "languages": {
                lang: {"rows": i.rows, "texts": i.texts, "ranker": i.ranker.to_dict(), "gate": i.gate.to_dict() if i.gate else None}
                for lang, i in self.languages.items()
            },
        }
        tmp = directory / "meta.json.tmp"
        tmp.write_text(json.dumps(meta, ensure_ascii=False))
        tmp.rename(directory / "meta.json")  # meta.json present == artifact complete

    @classmethod
    def load(cls, directory: Path) -> "KbIndex":
        meta = json.loads((directory / "meta.json").read_text())
        entries = {e["id"]: FaqEntry.from_stored(e) for e in meta["entries"]}
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
            chars_file = directory / f"chars-{lang}.pkl"
            chars = pickle.loads(chars_file.read_bytes()) if chars_file.exists() else None
            # Versions published before wordings were normalised stored no texts: their rows are each entry's raw texts.
            texts = spec.get("texts") or [normalize(t) for e in entries.values() if e.language == lang for t in e.texts()]
            ranker = Ranker.from_dict(spec["ranker"]) if spec.get("ranker") else Ranker.default()
            gate = GateThresholds.from_dict(spec["gate"]) if spec.get("gate") else None
            saved_classifier = directory / f"classifier-{lang}.npz"
            classifier = None
            if saved_classifier.exists():
                with np.load(saved_classifier) as data:
                    classifier = EntryClassifier(data["weights"], data["bias"], data["center"] if "center" in data.files else None)
            languages[lang] = LanguageIndex(spec["rows"], texts, vectors, dense, chars, ranker, gate, classifier)
        return cls(meta["version"], meta["models"], entries, languages)
