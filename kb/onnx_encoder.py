"""A sentence-transformers model run by ONNX Runtime instead of torch.

One question's embedding is most of a knowledge-base search (docs/performance.md): through
sentence-transformers on one torch thread all-MiniLM-L6-v2 takes ~19 ms for a short question,
through ONNX Runtime ~7 ms, with the same vectors (max difference ~1e-7, checked by
``tests/unit/test_onnx_encoder.py``), and a process that only searches never imports torch.

The graph is exported once per model from its own weights (torch is needed for that step only) and
kept under ``var/models/onnx/``, named by a digest of the weights, so a changed model is exported
again. Only the plain shape is handled: a transformer, mean pooling, optionally normalised (what
``all-MiniLM-L6-v2`` is); anything else stays on torch (``supports`` says which).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path

import numpy as np

INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def supports(model_dir: Path) -> bool:
    """Whether the model is a transformer followed by mean pooling (and at most a normalisation)."""
    try:
        modules = json.loads((model_dir / "modules.json").read_text(encoding="utf-8"))
        kinds = [m["type"].rsplit(".", 1)[-1] for m in modules]
        pooling = next(m for m in modules if m["type"].endswith("Pooling"))
        config = json.loads((model_dir / pooling["path"] / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, StopIteration):
        return False
    modes = {k for k, v in config.items() if k.startswith("pooling_mode_") and v}
    return kinds[:2] == ["Transformer", "Pooling"] and set(kinds[2:]) <= {"Normalize"} and modes == {"pooling_mode_mean_tokens"}


def exported_path(name: str, model_dir: Path, cache_dir: Path) -> Path:
    """Where this model's graph lives: named by the model and a digest of its weights and config."""
    digest = hashlib.sha256()
    for part in ("config.json", "model.safetensors", "pytorch_model.bin"):
        file = model_dir / part
        if file.exists():
            with file.open("rb") as handle:
                while chunk := handle.read(1 << 20):
                    digest.update(chunk)
    label = "".join(c if c.isalnum() or c in "-_" else "_" for c in name)[-60:]
    return cache_dir / f"{label}-{digest.hexdigest()[:16]}.onnx"


def export(model_dir: Path, target: Path) -> Path:
    """Export the transformer of a sentence-transformers model to ``target`` (atomic: concurrent exporters are safe)."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    model = AutoModel.from_pretrained(str(model_dir)).eval()
    sample = AutoTokenizer.from_pretrained(str(model_dir))(["a sample question"], return_tensors="pt")
    names = [name for name in INPUTS if name in sample]  # models without token types (XLM-R, DistilBERT) take two

    class LastHiddenState(torch.nn.Module):
        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, *inputs):
            return self.inner(**dict(zip(names, inputs))).last_hidden_state

    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}")
    axes = {name: {0: "batch", 1: "tokens"} for name in (*names, "last_hidden_state")}
    try:
        with torch.inference_mode():
            torch.onnx.export(LastHiddenState(model), tuple(sample[name] for name in names), str(partial), dynamo=False,
                              input_names=names, output_names=["last_hidden_state"], dynamic_axes=axes, opset_version=17)
    except Exception as exc:
        partial.unlink(missing_ok=True)
        raise RuntimeError(f"could not export {model_dir} to ONNX ({exc}); set CS_EMBEDDING_ONNX=false to run it on torch") from exc
    os.replace(partial, target)
    return target


class OnnxSentenceEmbedder:
    """Same interface and vectors as ``SentenceTransformerEmbedder``; the graph is exported on first use if missing."""

    def __init__(self, name: str, model_dir: Path, cache_dir: Path, threads: int = 1) -> None:
        self.name = name
        self._model_dir = model_dir
        self._cache_dir = cache_dir
        self._threads = threads
        self._session = None
        self._tokenizer = None
        self._inputs: list[str] = []
        self._normalise = "Normalize" in (model_dir / "modules.json").read_text(encoding="utf-8")
        self.dim = int(json.loads((model_dir / "config.json").read_text(encoding="utf-8"))["hidden_size"])
        self._lock = threading.Lock()

    def _load(self):
        with self._lock:
            if self._session is None:
                import onnxruntime
                from tokenizers import Tokenizer

                path = exported_path(self.name, self._model_dir, self._cache_dir)
                if not path.exists():
                    export(self._model_dir, path)
                options = onnxruntime.SessionOptions()
                options.intra_op_num_threads = self._threads
                options.inter_op_num_threads = 1
                options.log_severity_level = 3
                self._session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
                self._inputs = [i.name for i in self._session.get_inputs()]
                tokenizer = Tokenizer.from_file(str(self._model_dir / "tokenizer.json"))
                tokenizer.enable_truncation(max_length=self._max_length())
                pad = tokenizer.padding or {}  # the file's own pad token (BERT's [PAD], XLM-R's <pad>), padded to the longest
                tokenizer.enable_padding(pad_id=pad.get("pad_id", 0), pad_token=pad.get("pad_token", "[PAD]"))
                self._tokenizer = tokenizer
        return self._session, self._tokenizer

    def _max_length(self) -> int:
        config = self._model_dir / "sentence_bert_config.json"
        if config.exists():
            return int(json.loads(config.read_text(encoding="utf-8")).get("max_seq_length") or 512)
        return 512

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype="float32")
        session, tokenizer = self._load()
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # similar lengths together: less padding
        out = []
        for start in range(0, len(order), 64):
            encodings = tokenizer.encode_batch([texts[i] for i in order[start : start + 64]])
            feed = {
                "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
                "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
                "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
            }
            hidden = session.run(None, {name: feed[name] for name in self._inputs})[0]
            mask = feed["attention_mask"][..., None].astype(np.float32)
            vectors = (hidden * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
            if self._normalise:
                vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
            out.append(vectors)
        vectors = np.empty((len(texts), self.dim), dtype="float32")
        vectors[order] = np.vstack(out)
        return vectors
