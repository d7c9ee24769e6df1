"""A repeated question is embedded once per process; the cache stays within its size."""

from __future__ import annotations

import numpy as np

from kb.embeddings import QueryVectors


class CountingEmbedder:
    name = "counting"
    dim = 2

    def __init__(self) -> None:
        self.calls: list[str] = []

    def embed(self, texts: list[str]) -> np.ndarray:
        self.calls += texts
        return np.array([[len(t), 1.0] for t in texts], dtype="float32")


def test_a_repeated_question_is_embedded_once_and_old_ones_make_room():
    embedder = CountingEmbedder()
    vectors = QueryVectors(size=2)
    first = vectors.vector(embedder, "运费怎么算")
    assert np.array_equal(vectors.vector(embedder, "运费怎么算"), first)
    assert embedder.calls == ["运费怎么算"]
    vectors.vector(embedder, "b")
    vectors.vector(embedder, "运费怎么算")  # used again: the most recent
    vectors.vector(embedder, "c")  # pushes out "b", the least recently used
    vectors.vector(embedder, "运费怎么算")
    vectors.vector(embedder, "b")
    assert embedder.calls == ["运费怎么算", "b", "c", "b"]
    assert not first.flags.writeable  # shared between searches: nobody may change it


def test_size_zero_embeds_every_time():
    embedder = CountingEmbedder()
    vectors = QueryVectors(size=0)
    vectors.vector(embedder, "a")
    vectors.vector(embedder, "a")
    assert embedder.calls == ["a", "a"]
