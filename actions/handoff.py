"""Handing a chat to a person: what the customer is told and the case packet the agent gets.

``action_handoff`` does it when a customer asks for a person or complains; ``action_answer_faq`` on its
second miss in a row.
"""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import knowledge
from actions.language import message_language
from core.language import is_command
from kb.search import NoPublishedIndex
from kb.text import match_key

_REASONS = {"request_human": "customer_request", "complaint": "complaint"}
# A customer who asks for a person in the words of a complaint ("我要投诉，转人工", "I want to file a complaint, get me
# an agent") is a complaint: the request-a-person intent wins the NLU (its words are the stronger), which handed the
# chat over as a plain request, without the complaint's priority, its 24-hour clock, its follow-up call or its count.
_COMPLAINT_WORDS = re.compile(r"投诉|客诉|\bcomplain(?:t|ts|ing|ed)?\b", re.IGNORECASE)
# A customer who says they want to complain ("…，我要投诉", "I want to file a complaint") has said what they need,
# whatever their words are about: the NLU read some such messages as questions (refunds, shipping fees, colours
# are the knowledge base's words) and the bot answered them with an entry.
_COMPLAINT_DEMAND = re.compile(
    r"(?:我|我们)(?:要|想|必须|一定要)(?:投诉|客诉)|投诉你们"
    r"|\bI\s*(?:want|wish|would like|'d like|need|am going|'m going)\s+to\s+(?:complain|(?:make|file|lodge|raise|submit)\s+a\s+complaint)\b",
    re.IGNORECASE,
)


def demands_complaint(text: str) -> bool:
    """Whether the customer says, in so many words, that they want to complain."""
    return bool(text) and not is_command(text) and bool(_COMPLAINT_DEMAND.search(text))


def _episode(tracker: Tracker) -> list[dict]:
    """Events since the last handoff, so a second escalation describes only what is new."""
    events = tracker.events
    for i in range(len(events) - 1, -1, -1):
        custom = ((events[i].get("data") or {}).get("custom") or {}) if events[i].get("event") == "bot" else {}
        if custom.get("type") == "handoff":
            return events[i + 1 :]
    return events


def tried_entries(events: list[dict]) -> list[dict]:
    """Every KB entry the bot offered in this episode, best score kept."""
    best: dict[str, dict] = {}
    for e in events:
        custom = (e.get("data") or {}).get("custom") or {} if e.get("event") == "bot" else {}
        if custom.get("type") != "bot_turn":
            continue
        for hit in custom.get("hits", [])[:3]:
            if hit["id"] not in best or hit["score"] > best[hit["id"]]["score"]:
                best[hit["id"]] = {"id": hit["id"], "question": hit["question"], "score": hit["score"], "category": hit.get("category", "")}
    return sorted(best.values(), key=lambda h: h["score"], reverse=True)[:5]


def _last_written(tracker: Tracker, text: str) -> str:
    """What the customer last wrote: a button's payload (``/request_human``) is not it, their message before it is."""
    if text and not is_command(text):
        return text
    written = [e["text"] for e in tracker.events if e.get("event") == "user" and e.get("text") and not is_command(e["text"])]
    return written[-1] if written else ""


async def hand_over(dispatcher: CollectingDispatcher, tracker: Tracker, this_turn: dict | None = None,
                    reason: str | None = None) -> list[dict[str, Any]]:
    """Tell the customer a person is coming and send the hub the case packet.

    ``action_answer_faq`` calls it on its second miss in a row, in the same action call
    (one round trip from Rasa instead of a FollowupAction's second one); ``this_turn`` is
    that miss's report, not yet among the tracker's events, so its hits count as tried.
    ``reason``: what the caller knows better than the NLU's intent (a customer demanding to complain).
    """
    latest = tracker.latest_message or {}
    text = latest.get("text") or ""
    intent = (latest.get("intent") or {}).get("name")
    language = message_language(tracker)
    metadata = latest.get("metadata") or {}
    events = _episode(tracker)
    said = [e["text"] for e in events if e.get("event") == "user" and e.get("text") and not is_command(e["text"])]
    if this_turn:  # as Rasa will record it: a bot event carrying the report
        events = [*events, {"event": "bot", "data": {"custom": this_turn}}]
    tried = tried_entries(events)
    reason = reason or _REASONS.get(intent, "low_confidence")
    if reason == "customer_request" and any(_COMPLAINT_WORDS.search(s) for s in said[-2:]):
        reason = "complaint"
    packet = {
        "reason": reason,
        "category": await knowledge.categorize(said[-5:], language, tracker.sender_id),
        "language": language,
        "customer_tier": metadata.get("customer_tier", "standard"),
        "summary": " / ".join(said[-3:])[:400],
        "last_customer_message": _last_written(tracker, text),
        "tried": [{"id": t["id"], "question": t["question"], "score": t["score"]} for t in tried],
    }
    if reason == "complaint" and text and not is_command(text):
        # A complaint is served by handing it to a person (counted under the complaint categories), not a
        # question the knowledge base lacks: reported as a hand-over, which the hub does not record as a
        # content gap (only "fallback" turns are). Sent before any text so it describes no reply
        # (bot/rasa_client.py:parse_rest_output).
        dispatcher.utter_message(json_message={"type": "bot_turn", "intent": intent, "query": text, "decision": "handoff", "hits": []})
    dispatcher.utter_message(response="utter_handoff")
    dispatcher.utter_message(json_message={"type": "handoff", "packet": packet})
    return [SlotSet("failed_attempts", 0)]


async def repeats_stored_wording(tracker: Tracker) -> bool:
    """Whether the customer's message is, whole, a wording an editor stored for a published entry.

    The complaint intent is learned from words like "到底" and "太差": "邮费到底要多少钱", written into an entry as one of
    its phrasings, was handed to a person as a complaint, while the editor's "try it" said the bot answers it. A
    wording the knowledge base holds is a question its entry answers (README: a repeated wording is answered by its
    entry), so it is answered. Only the whole wording counts (compared as ``kb.text.match_key``: width, case,
    punctuation and particles aside): a complaint that merely contains a question ("快递员态度太差，运费怎么算") or
    comes near one is still a complaint.
    """
    text = (tracker.latest_message or {}).get("text") or ""
    if not text or is_command(text):
        return False
    try:
        index = knowledge.searcher().current()
    except NoPublishedIndex:
        return False
    result = await knowledge.search(text, message_language(tracker), None, tracker.sender_id)
    if not result.hits or not result.hits[0].exact:
        return False
    entry = index.entries.get(result.hits[0].id)
    key = match_key(text)
    return entry is not None and any(match_key(wording) == key for wording in entry.texts())


class ActionHandoff(Action):
    """A customer who asks for a person, or complains, is handed over at once (data/rules.yml), unless the
    "complaint" repeats a wording of the knowledge base (``repeats_stored_wording``): then its entry answers."""

    def name(self) -> str:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        if intent == "complaint" and await repeats_stored_wording(tracker):
            from actions.faq import ActionAnswerFaq  # here, not at the top: actions.faq imports hand_over from this module

            return await ActionAnswerFaq().run(dispatcher, tracker, domain)
        return await hand_over(dispatcher, tracker)
