"""Follow-up questions (issue 8, item 6): searched with the previous question as context, in both languages.

The labelled two-turn set (tests/data/followups.json, written for this project) is measured through
``Searcher.search``; the reported cases go through the hub, Rasa and the action server end to end.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kb.eval.followups import evaluate_followups
from kb.search import Searcher

ROWS = json.loads((Path(__file__).parent / "data" / "followups.json").read_text(encoding="utf-8"))


def test_labelled_follow_ups_gain_from_context_and_switches_lose_nothing(stack, settings):
    reports = evaluate_followups(Searcher.from_settings(settings), ROWS, lambda row: row["kind"] == "follow-up")
    print()
    for report in reports.values():
        print("follow-ups", report.line())
        for miss in report.misses:
            print("   miss", miss)
    for language in ("zh", "en"):
        r = reports[language]
        assert r.follow_ups >= 10 and r.switches >= 4
        assert r.follow_ups_right > r.follow_ups_right_alone, "the context must help follow-ups"
        assert r.switches_right == r.switches_right_alone, "a question that stands alone must not be pulled to the previous topic"


@pytest.mark.parametrize("language,first,second,expected", [
    ("zh", "退款怎么申请", "那要多久能到账", "returns-refund-time-zh"),
    ("en", "do you install air conditioners?", "is it free?", "product-installation-en"),
])
def test_follow_up_through_the_hub(customer_factory, language, first, second, expected):
    customer = customer_factory(language)
    customer.say(first)
    reply = customer.say(second)["replies"][0]
    meta = reply["meta"]
    assert meta["hits"][0]["id"] == expected, meta
    assert meta.get("searched_as", "").startswith(first)
