"""What an entry may hold (kb/records.py): no blank question or answer, phrasings trimmed, once each, and bounded."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from core.settings import Settings
from kb.datasets import STARTER
from kb.io import read_file
from kb.records import FaqEntry

GOOD = {"id": "orders-where-en", "question": "Where is my order?", "answer": "Under Account → Orders.", "language": "en"}


def _refusal(**fields) -> str:
    with pytest.raises(ValidationError) as caught:
        FaqEntry(**{**GOOD, **fields})
    return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in caught.value.errors())


@pytest.mark.parametrize("blank", ["   ", "\t\n", "\u200b\u200b", " \ufeff\u2060 "])
def test_blank_question_or_answer_is_refused_by_name(blank):
    assert "question: " in _refusal(question=blank) and "blank" in _refusal(question=blank)
    assert "answer: " in _refusal(answer=blank) and "blank" in _refusal(answer=blank)


def test_texts_are_trimmed_and_blank_or_repeated_phrasings_dropped():
    entry = FaqEntry(**{**GOOD, "question": "  Where is my order?\u200b ", "answer": "\nUnder Account → Orders.  ",
                        "phrasings": [" track my parcel ", "", "   ", "\u200b", "track my parcel", "order status", "order status "]})
    assert entry.question == "Where is my order?" and entry.answer == "Under Account → Orders."
    assert entry.phrasings == ["track my parcel", "order status"]
    assert FaqEntry(**{**GOOD, "phrasings": ["same wording"] * 5000}).phrasings == ["same wording"]


def test_wordings_the_search_cannot_tell_apart_are_one_phrasing():
    """Case, width, spacing, the end mark, traditional characters, or the question itself again: kept once."""
    entry = FaqEntry(**{**GOOD, "phrasings": ["Track my parcel", "track  my parcel?", "TRACK MY PARCEL", "where is my order",
                                              "Ｔｒａｃｋ my parcel！", "track my parcels"]})
    assert entry.phrasings == ["Track my parcel", "track my parcels"]
    zh = FaqEntry(**{**GOOD, "language": "zh", "question": "运费怎么算？", "phrasings": ["運費怎麼算", "运费怎么算 。", "邮费怎么算"]})
    assert zh.phrasings == ["邮费怎么算"]


def test_too_many_or_too_long_phrasings_are_refused_naming_the_limit():
    many = _refusal(phrasings=[f"wording number {i}" for i in range(Settings.kb_max_phrasings + 1)])
    assert many.startswith("phrasings: ") and f"at most {Settings.kb_max_phrasings} phrasings" in many
    assert FaqEntry(**{**GOOD, "phrasings": [f"wording number {i}" for i in range(Settings.kb_max_phrasings)]})
    long = _refusal(phrasings=["fine", "x" * 100_000])
    assert long.startswith("phrasings: ") and f"phrasing 2 is too long: at most {Settings.kb_max_phrasing_chars} characters" in long
    assert FaqEntry(**{**GOOD, "phrasings": ["y" * Settings.kb_max_phrasing_chars]})


def test_stored_entries_are_read_as_written_even_past_todays_limits():
    """An entry written before the limits (or an index version on disk holding it) must stay readable."""
    old = json.dumps({**GOOD, "answer": "   ", "phrasings": ["x" * 100_000, *(f"w{i}" for i in range(5000))]})
    entry = FaqEntry.from_stored(old)
    assert entry.answer == "   " and len(entry.phrasings) == 5001
    assert FaqEntry.from_stored(json.loads(old)).phrasings == entry.phrasings


def test_starter_kb_passes_the_limits():
    parsed = read_file(STARTER)
    assert parsed.errors == [] and len(parsed.entries) > 100
