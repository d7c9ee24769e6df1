"""Which complaint category a request belongs to, learned from labelled requests in both languages (not keyword lists).

The taxonomy is the service practice's: product quality, service attitude,
logistics, after-sales, billing, other. Per language, a logistic regression
reads the request's sentence embedding (the knowledge base's own model for
that language) beside character n-grams (so short Chinese phrases and typos
still count). Trained from ``data/triage/train.json`` when first needed (a few
seconds); measured on a held-out set in ``tests/test_triage.py`` (accuracy and
confusion matrix in docs/service-desk.md).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from kb.embeddings import EmbedderSet, QueryVectors
from kb.text import normalize

TRAIN_FILE = Path(__file__).resolve().parent.parent / "data" / "triage" / "train.json"
CATEGORIES = ("product_quality", "service_attitude", "logistics", "after_sales", "billing", "other")
# Below this probability the request is filed as "other" (an agent can correct it) rather than guessed.
MIN_CONFIDENCE = 0.3


def load_examples(path: Path = TRAIN_FILE) -> dict[str, list[tuple[str, str]]]:
    """``{language: [(text, category), ...]}`` from a file shaped ``{category: {language: [texts]}}``."""
    data = json.loads(path.read_text())
    out: dict[str, list[tuple[str, str]]] = {}
    for category, by_language in data.items():
        if category.startswith("_"):
            continue
        for language, texts in by_language.items():
            out.setdefault(language, []).extend((t, category) for t in texts)
    return out


@dataclass
class _LanguageModel:
    chars: TfidfVectorizer
    classifier: LogisticRegression


class Triage:
    """``vectors``: the searcher's query-vector cache, so the message a handoff categorises, which the search
    embedded a moment before, is not embedded again (texts are normalised as the search normalises them)."""

    def __init__(self, embedders: EmbedderSet, examples: dict[str, list[tuple[str, str]]], vectors: QueryVectors | None = None) -> None:
        self.embedders = embedders
        self.vectors = vectors
        self.models: dict[str, _LanguageModel] = {}
        for language, rows in examples.items():
            texts, labels = [t for t, _ in rows], [c for _, c in rows]
            chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True, min_df=1)
            features = self._features(language, texts, chars, fit=True)
            classifier = LogisticRegression(C=4.0, max_iter=2000, class_weight="balanced")
            classifier.fit(features, labels)
            self.models[language] = _LanguageModel(chars, classifier)

    def _features(self, language: str, texts: list[str], chars: TfidfVectorizer, fit: bool = False, conversation: str | None = None):
        texts = [normalize(t) for t in texts]
        embedder = self.embedders.for_language(language)
        if fit or self.vectors is None:
            dense = np.asarray(embedder.embed(texts), dtype=np.float32)
        else:
            dense = np.vstack([self.vectors.vector(embedder, t, conversation) for t in texts]).astype(np.float32)
        grams = chars.fit_transform(texts) if fit else chars.transform(texts)
        return hstack([csr_matrix(dense * 2.0), grams]).tocsr()  # meaning weighs more than spelling

    def classify(self, text: str, language: str) -> tuple[str, float]:
        """The category of one request, and the model's probability for it."""
        return self.classify_many([text], language)[0]

    def classify_many(self, texts: list[str], language: str, conversation: str | None = None) -> list[tuple[str, float]]:
        """Each request's category and probability, in one pass: scikit-learn's per-call checks cost
        about as much as the arithmetic of one short text, so a hand-over's messages go together."""
        lang = self._language(language)
        model = self.models[lang]
        probabilities = model.classifier.predict_proba(self._features(lang, texts, model.chars, conversation=conversation))
        out = []
        for row in probabilities:
            best = int(np.argmax(row))
            category, confidence = str(model.classifier.classes_[best]), float(row[best])
            out.append(((category if confidence >= MIN_CONFIDENCE else "other"), confidence))
        return out

    def categorize(self, customer_texts: list[str], language: str, conversation: str | None = None) -> str:
        """The category of what the customer wrote in this episode: that of the latest of their last three
        messages that has one ("hello", "the zip broke", "can someone help?" is product quality).

        Each message is classified on its own, so each is embedded at most once, by the search that saw it
        (the vector cache, and ``conversation``'s own latest searches whatever the cache's size): classifying
        the three messages joined embedded a new, longer text at every hand-over (~100 ms for a Chinese one),
        and filed such episodes less well (tests/test_triage.py). A message whose vector is not at hand (a
        greeting no search saw) is embedded only if every later one has no category; the ones at hand are
        classified together, in one pass."""
        latest_first = list(reversed([t for t in customer_texts if t.strip()][-3:]))
        embedder = self.embedders.for_language(self._language(language))
        i = 0
        while i < len(latest_first):
            batch = [latest_first[i]]  # needed now: every later message had no category
            i += 1
            while i < len(latest_first) and (self.vectors is None or self.vectors.at_hand(embedder, normalize(latest_first[i]), conversation)):
                batch.append(latest_first[i])
                i += 1
            for category, _ in self.classify_many(batch, language, conversation):
                if category != "other":
                    return category
        return "other"

    def _language(self, language: str) -> str:
        return language if language in self.models else next(iter(self.models))


_trained: Triage | None = None
_lock = threading.Lock()


def trained(embedders: EmbedderSet, vectors: QueryVectors | None = None) -> Triage:
    """The process's classifier, trained on first use."""
    global _trained
    with _lock:
        if _trained is None:
            _trained = Triage(embedders, load_examples(), vectors)
        return _trained
