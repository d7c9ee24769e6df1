"""A repeated question is embedded once per process; the cache stays within its size; a prefetch and its search embed once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

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


class SlowEmbedder(CountingEmbedder):
    """Embeds only when released: a search can ask while a prefetch of the same text is still running."""

    def __init__(self) -> None:
        super().__init__()
        self.started = threading.Event()
        self.release = threading.Event()

    def embed(self, texts: list[str]) -> np.ndarray:
        self.started.set()
        assert self.release.wait(10)
        return super().embed(texts)


@pytest.mark.parametrize("size", [0, 16])
def test_a_search_asking_while_its_prefetch_runs_waits_for_it(size):
    embedder = SlowEmbedder()
    vectors = QueryVectors(size=size)
    with ThreadPoolExecutor(2) as pool:
        prefetch = pool.submit(vectors.prefetch, embedder, "运费怎么算")
        assert embedder.started.wait(10)
        search = pool.submit(vectors.vector, embedder, "运费怎么算")
        embedder.release.set()
        prefetch.result(10)
        assert search.result(10)[0] == len("运费怎么算")
    assert embedder.calls == ["运费怎么算"]  # once, for both


def test_with_the_cache_off_a_prefetch_serves_its_search_once_and_repeats_still_embed():
    embedder = CountingEmbedder()
    vectors = QueryVectors(size=0)
    vectors.prefetch(embedder, "a")
    vectors.vector(embedder, "a")  # the search the prefetch ran ahead of
    assert embedder.calls == ["a"]
    vectors.vector(embedder, "a")  # a repeat: embedded again, as without a cache
    assert embedder.calls == ["a", "a"]
    for i in range(QueryVectors.PREFETCHED + 10):  # prefetches nobody searched do not pile up
        vectors.prefetch(embedder, f"q{i}")
    assert len(vectors._prefetched) == QueryVectors.PREFETCHED


def test_a_failed_embedding_is_not_remembered():
    class Failing(CountingEmbedder):
        def embed(self, texts):
            super().embed(texts)
            raise RuntimeError("model not loaded")

    embedder = Failing()
    vectors = QueryVectors(size=16)
    for _ in range(2):
        with pytest.raises(RuntimeError):
            vectors.prefetch(embedder, "a")
    assert embedder.calls == ["a", "a"]  # tried again, not stuck on the failure


def test_with_the_cache_off_a_conversation_still_finds_its_own_latest_searches():
    """A hand-over categorises the messages its searches just embedded: with the cache off (the
    capacity bench, or a shop that turns it off) they used to be embedded again, one to three per hand-over."""
    embedder = CountingEmbedder()
    vectors = QueryVectors(size=0)
    for text in ("hello", "where is my parcel", "it never came"):
        vectors.vector(embedder, text, conversation="A")
    assert all(vectors.at_hand(embedder, t, "A") for t in ("hello", "where is my parcel", "it never came"))
    for text in ("hello", "where is my parcel", "it never came"):
        vectors.vector(embedder, text, conversation="A")
    assert embedder.calls == ["hello", "where is my parcel", "it never came"]  # each once
    # Another customer asking the same is not made free: only the cache (off here) would do that.
    assert not vectors.at_hand(embedder, "where is my parcel", "B")
    assert not vectors.at_hand(embedder, "where is my parcel")
    vectors.vector(embedder, "where is my parcel", conversation="B")
    vectors.vector(embedder, "where is my parcel")
    assert embedder.calls[3:] == ["where is my parcel", "where is my parcel"]


def test_a_conversations_kept_vectors_are_bounded(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(QueryVectors, "CONVERSATIONS", 2)
    embedder = CountingEmbedder()
    vectors = QueryVectors(size=0)
    for text in ("a", "b", "c", "d"):  # a fourth message pushes out the first
        vectors.vector(embedder, text, conversation="A")
    assert [vectors.at_hand(embedder, t, "A") for t in ("a", "b", "c", "d")] == [False, True, True, True]
    vectors.vector(embedder, "x", conversation="B")
    vectors.vector(embedder, "y", conversation="C")  # a third conversation pushes out the least recent, A
    assert not vectors.at_hand(embedder, "d", "A")
    assert vectors.at_hand(embedder, "x", "B") and vectors.at_hand(embedder, "y", "C")
