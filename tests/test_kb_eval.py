"""`kb eval` on small slices of every public set, against a real Valkey and the real embedding models.

Each slice is loaded as its own knowledge base and published (which fits its ranker and calibrates
its gate from the KB alone), then searched through ``Searcher.search``; the figures are printed.
For BANKING77 the printed metrics must equal a hand count: the test reads the data files itself,
runs the bot's Searcher on the same questions, and counts.
Only Redis is needed, so this module starts its own Valkey instead of the full stack.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import redis

from core.settings import Settings
from kb.calibration import Outcome, calibrate
from kb.search import Searcher
from tests.clients import free_port, throwaway_valkey

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "eval-data"
LABELS, K, LIMIT = 5, 5, 30
# (data set, extra arguments): small enough for the suite, one per public set.
SLICES = [
    ("banking77", ["--labels", str(LABELS), "--k", str(K), "--limit", str(LIMIT)]),
    ("clinc150", ["--labels", "8", "--limit", "40"]),
    ("dialogflow-support-en", ["--limit", "40"]),
    ("dialogflow-support-zh", ["--limit", "40"]),
    ("dialogflow-small-talk-zh", ["--limit", "40"]),
]


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    with throwaway_valkey(tmp_path_factory.mktemp("valkey")) as url:
        yield url


@pytest.fixture(scope="module")
def var_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("var")


def run_eval_cli(redis_url: str, *args: str, var_dir: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "REDIS_URL": redis_url, **({"CS_VAR_DIR": str(var_dir)} if var_dir else {})}
    return subprocess.run([sys.executable, "-m", "kb", "eval", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)


def _read(path: Path) -> list[tuple[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return [(row["text"], row["category"]) for row in csv.DictReader(fh)]


@pytest.fixture(scope="module")
def reports(redis_url, var_dir) -> dict[str, dict]:
    out = {}
    print()
    for name, extra in SLICES:
        proc = run_eval_cli(redis_url, name, *extra, "--json", "--questions", "--no-progress", "--data-dir", str(DATA), var_dir=var_dir)
        assert proc.returncode == 0, proc.stderr[-3000:]
        report = json.loads(proc.stdout)
        out[name] = report
        t, gate = report["published"]["test"], report["published"]["gate"]
        pct = lambda v: "-" if v is None else f"{v:.1%}"  # noqa: E731
        print(f"kb eval {name} {' '.join(extra)}: {report['entries']} entries, published in {report['publish_seconds']} s; "
              f"test {t['questions']} ({t['out_of_scope']} out of scope): top-1 {pct(t['top1'])}, in-scope accuracy {pct(t['in_scope_accuracy'])}, "
              f"answer precision {pct(t['answer_precision'])}, OOS recall {pct(t['oos_recall'])}; gate answer {gate['answer']} margin {gate['margin']} "
              f"(expected precision {pct(gate['expected_precision'])}); p95 {t['latency_ms_p95']} ms")
    return out


def test_every_slice_reports_its_figures(reports):
    for name, report in reports.items():
        test = report["published"]["test"]
        assert test["questions"] > 0 and test["top1"] is not None, name
        assert report["published"]["gate"]["source"]["held_out_wordings"] > 0, name
    assert reports["clinc150"]["published"]["test"]["out_of_scope"] > 0
    assert reports["dialogflow-support-zh"]["published"]["test"]["out_of_scope"] > 0  # held-out intents


def test_dialogflow_languages_share_their_intents(reports):
    zh, en = reports["dialogflow-support-zh"], reports["dialogflow-support-en"]
    assert zh["source"]["held_out_intents"] == en["source"]["held_out_intents"]
    assert zh["entries"] == en["entries"]


def test_kb_is_the_first_labels_with_k_phrasings(reports, redis_url):
    from kb.store import KbStore

    client = redis.Redis.from_url(redis_url, decode_responses=True)
    train = _read(DATA / "banking77" / "train.csv")
    labels = list(dict.fromkeys(label for _, label in train))[:LABELS]
    entries = {e.id: e for e in KbStore(client, "eval-banking77").list_entries()}
    assert sorted(entries) == sorted(labels)
    for label in labels:
        texts = [t.strip() for t, lab in train if lab == label]
        assert entries[label].question == texts[0]
        assert len(entries[label].phrasings) == K and set(entries[label].phrasings) <= set(texts[1:])
    report = reports["banking77"]
    assert report["entries"] == LABELS and report["texts"] == LABELS * (K + 1)


def test_questions_are_a_test_slice_split_in_half(reports):
    test = _read(DATA / "banking77" / "test.csv")
    labels = list(dict.fromkeys(label for _, label in _read(DATA / "banking77" / "train.csv")))[:LABELS]
    pool = {(t, lab) for t, lab in test if lab in labels}
    questions = reports["banking77"]["questions"]
    assert len(questions) == LIMIT
    assert all((q["query"], q["expected_id"]) in pool for q in questions)
    assert sum(q["split"] == "val" for q in questions) == reports["banking77"]["split"]["val"] == LIMIT // 2


def test_metrics_equal_a_hand_count(reports, redis_url, var_dir):
    """The bot's own decisions (the gate calibrated at publish), counted by hand on the test split."""
    from sklearn.metrics import roc_auc_score

    client = redis.Redis.from_url(redis_url, decode_responses=True)
    settings = Settings(var_dir=var_dir)
    searcher = Searcher.from_settings(settings, client, namespace="eval-banking77")
    questions = [q for q in reports["banking77"]["questions"] if q["split"] == "test"]
    right = answered = answered_right = 0
    decisions = {"answer": 0, "suggest": 0, "fallback": 0}
    labels, scores = [], []
    for q in questions:
        result = searcher.search(q["query"], "en")
        ok = result.top is not None and result.top.id == q["expected_id"]
        assert result.decision == q["decision"]
        right += ok
        decisions[result.decision] += 1
        answered += result.decision == "answer"
        answered_right += ok and result.decision == "answer"
        labels.append(ok)
        scores.append(result.top.score if result.top else 0.0)
    got = reports["banking77"]["published"]["test"]
    n = len(questions)
    assert got["decisions"] == decisions
    assert got["top1"] == pytest.approx(right / n)
    assert got["in_scope_accuracy"] == pytest.approx(answered_right / n)
    assert got["answer_precision"] == pytest.approx(answered_right / answered if answered else None)
    if 0 < sum(labels) < n:
        assert got["auroc"] == pytest.approx(roc_auc_score(labels, scores))


def test_calibration_reaches_the_precision_it_aims_at():
    right = [Outcome(s, 0.0, True, True, True) for s in (0.8, 0.85, 0.9, 0.95)]
    wrong = [Outcome(s, 0.0, False, False, False) for s in (0.3, 0.4, 0.5, 0.82)]
    gate = calibrate(right + wrong, "precision", 1.0)
    assert 0.82 < gate.answer <= 0.85 and gate.expected_precision == 1.0
    loose = calibrate(right + wrong, "precision", 0.8)
    assert loose.answer <= 0.8 and loose.expected_precision == pytest.approx(0.8)
    weighted = calibrate(right + [Outcome(0.82, 0.0, False, False, False, weight=0.01)], "precision", 0.9)
    assert weighted.answer <= 0.8  # one near-weightless miss does not move the gate


def test_clear_errors(redis_url, tmp_path):
    proc = run_eval_cli(redis_url, "nosuchset")
    assert proc.returncode == 2 and "invalid choice" in proc.stderr
    proc = run_eval_cli(redis_url, "banking77", "--data-dir", str(tmp_path))
    assert proc.returncode == 2 and str(tmp_path / "banking77" / "train.csv") in proc.stderr.replace("\n", "")
    proc = run_eval_cli(f"redis://127.0.0.1:{free_port()}/0", "banking77", "--labels", "2", "--data-dir", str(DATA))
    assert proc.returncode == 2 and "Cannot reach Redis" in proc.stderr
