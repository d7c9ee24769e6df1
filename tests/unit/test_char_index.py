"""The character index's own TF-IDF of a question (``CharIndex.vectors``) is scikit-learn's, bit for bit."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pytest

from kb.index import CharIndex
from kb.text import normalize

ROOT = Path(__file__).resolve().parents[2]
STARTER = json.loads((ROOT / "data" / "faq" / "starter.json").read_text())
ODD = ["", " ", "？？？", "😀😀 ok", "x", "ＡＢＣ１２３", "運費怎麼算", "a" * 3000, "退货 refund 混合 mixed", "\u0000\t\n"]


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_question_gets_exactly_scikit_learns_vector_and_scores(language):
    entries = [e for e in STARTER if e["language"] == language]
    wordings = [normalize(t) for e in entries for t in [e["question"], *e["phrasings"]]]
    half = len(wordings) // 2
    index = CharIndex(wordings[:half])  # the other half are questions it never saw
    questions = wordings[half:] + [normalize(t) for t in ODD] + ODD
    ours, theirs = index.vectors(questions), index.vectorizer.transform(questions)
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype == np.float32
    assert np.array_equal(ours.indptr, theirs.indptr) and np.array_equal(ours.indices, theirs.indices)
    assert np.array_equal(ours.data, theirs.data)  # not merely close: the ranking must not move
    expected = np.asarray((theirs @ index.by_feature).todense(), dtype="float32")
    assert np.array_equal(index.scores(questions), expected)
    assert np.array_equal(index.scores(questions[:1]), expected[:1])  # one question at a time, as a search asks


def test_an_index_saved_before_still_scores():
    index = CharIndex(["运费怎么算", "退货要多久"])
    index.vectors(["运费"])  # caches the analyzer on the object
    loaded = pickle.loads(pickle.dumps(index))
    assert np.array_equal(loaded.scores(["运费怎么算"]), index.scores(["运费怎么算"]))
    assert loaded.scores(["运费怎么算"])[0, 0] == pytest.approx(1.0, abs=1e-6)
