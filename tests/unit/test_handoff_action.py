"""A second miss in a row is handed over inside ``action_answer_faq``'s own call, with what that miss tried.

The real stack runs the same path in tests/test_flow_end_to_end.py::test_full_handoff_flow;
here the knowledge base and the categoriser are stand-ins, so the packet can be checked exactly.
"""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import faq, knowledge
from actions.handoff import ActionHandoff


def hit(entry_id: str, score: float) -> SimpleNamespace:
    return SimpleNamespace(id=entry_id, question=f"question {entry_id}", category="shipping", score=score, dense=score,
                           lexical=0.0, answer=f"answer {entry_id}", exact=False)


@pytest.fixture
def missing_kb(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A knowledge base that misses every question (two weak hits each); returns what was categorised."""
    categorised: list[str] = []

    async def search(text: str, language: str, context: str | None = None, conversation: str | None = None) -> SimpleNamespace:
        return SimpleNamespace(hits=[hit(f"{text}-1", 0.41), hit(f"{text}-2", 0.30)], decision="fallback", version="v1", searched_as=None)

    async def categorize(texts: list[str], language: str, conversation: str | None = None) -> str:
        categorised.extend(texts)
        return "logistics"

    monkeypatch.setattr(knowledge, "searcher", lambda: SimpleNamespace(current=lambda: SimpleNamespace(entries={})))
    monkeypatch.setattr(knowledge, "search", search)
    monkeypatch.setattr(knowledge, "categorize", categorize)
    return categorised


def tracker(events: list[dict], text: str, intent: str, failed: int) -> Tracker:
    latest = {"text": text, "intent": {"name": intent, "confidence": 0.5}, "entities": [], "metadata": {"language": "en"}}
    events = [*events, {"event": "user", "text": text, "parse_data": latest, "metadata": {"language": "en"}}]
    return Tracker("c1", {"failed_attempts": failed, "language": "en"}, latest, events, False, None, {}, "action_listen")


def first_miss_events() -> list[dict]:
    report = {"type": "bot_turn", "decision": "fallback", "hits": [{"id": "a-1", "question": "question a-1", "score": 0.52}]}
    return [{"event": "user", "text": "a", "parse_data": {"intent": {"name": "faq"}}},
            {"event": "bot", "text": "Sorry, I didn't get that.", "data": {"custom": report}}]


def test_the_second_miss_hands_over_in_the_same_call_with_what_it_tried(missing_kb: list[str]) -> None:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(faq.ActionAnswerFaq().run(dispatcher, tracker(first_miss_events(), "b", "out_of_scope", 1), {}))

    assert not any(e.get("event") == "followup" for e in events), "no second action call from Rasa"
    assert events == [{"event": "slot", "timestamp": None, "name": "failed_attempts", "value": 0}]
    report, said, handoff = dispatcher.messages
    assert report["custom"]["type"] == "bot_turn" and report["custom"]["decision"] == "fallback"
    assert said["response"] == "utter_handoff"
    packet = handoff["custom"]["packet"]
    assert packet["reason"] == "low_confidence" and packet["category"] == "logistics"
    # The first miss's hit and this miss's own, best first: the agent sees all the bot tried.
    assert [t["id"] for t in packet["tried"]] == ["a-1", "b-1", "b-2"]
    assert packet["last_customer_message"] == "b" and packet["summary"] == "a / b"
    assert missing_kb == ["a", "b"]


def test_a_first_miss_is_not_handed_over(missing_kb: list[str]) -> None:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(faq.ActionAnswerFaq().run(dispatcher, tracker([], "a", "faq", 0), {}))

    assert events == [{"event": "slot", "timestamp": None, "name": "failed_attempts", "value": 1}]
    assert [m.get("response") for m in dispatcher.messages] == ["utter_faq_not_understood", None]
    assert not missing_kb


def test_asking_for_a_person_hands_over_with_the_episode_tried(missing_kb: list[str]) -> None:
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionHandoff().run(dispatcher, tracker(first_miss_events(), "a person please", "request_human", 1), {}))

    packet = dispatcher.messages[-1]["custom"]["packet"]
    assert packet["reason"] == "customer_request" and [t["id"] for t in packet["tried"]] == ["a-1"]


def test_a_complaint_is_handed_over_as_a_complaint_not_reported_as_a_miss(missing_kb: list[str]) -> None:
    """A complaint is served by a person: no "fallback" report, which the hub would record as a content gap."""
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionHandoff().run(dispatcher, tracker([], "I want to complain, your staff was very rude to me", "complaint", 0), {}))

    reports = [m["custom"] for m in dispatcher.messages if (m.get("custom") or {}).get("type") == "bot_turn"]
    assert all(r["decision"] != "fallback" for r in reports), reports
    assert dispatcher.messages[-1]["custom"]["packet"]["reason"] == "complaint"


def test_a_person_asked_for_with_a_button_shows_the_agent_what_the_customer_last_wrote(missing_kb: list[str]) -> None:
    """The button's payload is no message of theirs: the packet names their question before it."""
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionHandoff().run(dispatcher, tracker(first_miss_events(), "/request_human", "request_human", 1), {}))

    packet = dispatcher.messages[-1]["custom"]["packet"]
    assert packet["last_customer_message"] == "a" and packet["summary"] == "a"
