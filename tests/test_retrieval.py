"""Retrieval on held-out phrasings (tests/data/retrieval_queries.json, written apart from the KB), through the real model, FAISS and Redis."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kb.eval.run import evaluate
from kb.search import Searcher

QUERIES = json.loads((Path(__file__).parent / "data" / "retrieval_queries.json").read_text())
# Measured (docs/retrieval.md, issue 8): en 69.7%, zh 63.6% top-1 on these deliberately indirect
# wordings with the ranker each publish learns from the KB's own wordings (the hand-tuned fusion it
# replaced reached en 77.3% with weights picked on these very questions, zh 62.1%).
FLOOR = {"en": 0.65, "zh": 0.58}


@pytest.fixture(scope="module")
def reports(stack, settings):
    searcher = Searcher.from_settings(settings)
    result = evaluate(searcher, QUERIES)
    print()
    for report in result.values():
        print("retrieval", report.line())
    return result


@pytest.mark.parametrize("language", ["en", "zh"])
def test_top1_accuracy_on_held_out_questions(reports, language):
    report = reports[language]
    assert report.in_scope >= 60
    assert report.top1 >= FLOOR[language], report.misses[:10]


@pytest.mark.parametrize("language", ["en", "zh"])
def test_gate_answers_are_mostly_right(reports, language):
    report = reports[language]
    answered = report.answered_correctly + report.answered_wrongly
    assert answered >= 2, "the gate answers nothing"
    # The gate calibrated at publish aims at 90% precision (kb.training); measured 13/14 (en), 2/2 (zh).
    assert report.answered_correctly / answered >= 0.85, "when the bot answers outright it must usually be right"
    assert report.oos_recall >= 0.85
