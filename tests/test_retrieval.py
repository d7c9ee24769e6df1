"""Retrieval on held-out phrasings (tests/data/retrieval_queries.json, written apart from the KB), through the real model, FAISS and Redis."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.redis import sync_client
from kb.embeddings import EmbedderSet
from kb.evaluate import evaluate
from kb.search import Searcher
from kb.store import KbStore

QUERIES = json.loads((Path(__file__).parent / "data" / "retrieval_queries.json").read_text())
# Measured when written: en 77%, zh 61% top-1 on deliberately indirect wordings.
FLOOR = {"en": 0.70, "zh": 0.50}


@pytest.fixture(scope="module")
def reports(stack, settings):
    searcher = Searcher(KbStore(sync_client(settings)), EmbedderSet.from_settings(settings), settings)
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
    assert answered >= report.in_scope * 0.25, "the gate answers too rarely to be useful"
    # Measured at these thresholds: 0.78 (en), 0.77 (zh).
    assert report.answered_correctly / answered >= 0.7, "when the bot answers outright it must usually be right"
