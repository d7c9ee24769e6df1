"""``action_answer_faq``: answer from the knowledge base, offer choices, or admit not knowing."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import knowledge
from actions.handoff import demands_complaint, hand_over, repeats_stored_wording
from actions.language import message_language
from core.settings import get_settings
from kb.search import Hit, NoPublishedIndex


def _hit(h: Hit) -> dict[str, Any]:
    return {"id": h.id, "question": h.question, "category": h.category, "score": h.score, "dense": h.dense, "lexical": h.lexical}


def faq_button(h: Hit) -> dict[str, str]:
    return {"title": h.question, "payload": '/faq{"faq_id":"%s"}' % h.id}


# Intents whose messages are questions for the knowledge base (see data/rules.yml).
KB_INTENTS = ("faq", "out_of_scope", "nlu_fallback")


def previous_question(events: list[dict]) -> str | None:
    """The customer's question before the latest message, if that turn went to the knowledge base.

    A follow-up ("那寄到新疆呢？") is searched with it (``kb.followup``); a greeting or a
    button click before the latest message gives no context.
    """
    users = [e for e in events if e.get("event") == "user"]
    if len(users) < 2:
        return None
    before = users[-2]
    text = before.get("text") or ""
    intent = ((before.get("parse_data") or {}).get("intent") or {}).get("name")
    if not text or text.startswith("/") or intent not in KB_INTENTS:
        return None
    return text


class ActionAnswerFaq(Action):
    def name(self) -> str:
        return "action_answer_faq"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any], *,
                  heard_as: str | None = None) -> list[dict[str, Any]]:
        """``heard_as``: the small-talk intent the NLU gave a message that says more (``actions/small_talk.py``):
        reported as a question ("faq"), so the hand-over summary counts it as the customer's need."""
        text = tracker.latest_message.get("text") or ""
        intent = tracker.latest_message.get("intent") or {}
        language = message_language(tracker)
        failed = int(tracker.get_slot("failed_attempts") or 0)
        turn = {"type": "bot_turn", "intent": "faq" if heard_as else intent.get("name"), "confidence": intent.get("confidence"), "query": text}
        if heard_as:
            turn["heard_as"] = heard_as

        chosen = next(tracker.get_latest_entity_values("faq_id"), None)
        try:
            index = knowledge.searcher().current()
        except NoPublishedIndex:
            index = None
        if chosen and index and chosen in index.entries:
            entry = index.entries[chosen]
            dispatcher.utter_message(json_message={**turn, "text": entry.answer, "decision": "answer", "chosen": chosen, "hits": [{"id": entry.id, "question": entry.question, "category": entry.category, "score": 1.0}]})
            return [SlotSet("failed_attempts", 0)]

        if demands_complaint(text) and not await repeats_stored_wording(tracker):
            return await hand_over(dispatcher, tracker, reason="complaint")

        result = await knowledge.search(text, language, previous_question(tracker.events), tracker.sender_id) if index else None
        hits = result.hits if result else []
        decision = result.decision if result else "fallback"
        turn.update(decision=decision, hits=[_hit(h) for h in hits], kb_version=result.version if result else None)
        if result and result.searched_as:
            turn["searched_as"] = result.searched_as

        if decision == "answer":
            # The answer travels inside the custom payload: markdown stays one message.
            dispatcher.utter_message(json_message={**turn, "text": hits[0].answer, "entry_id": hits[0].id})
            return [SlotSet("failed_attempts", 0)]
        if decision == "suggest":
            dispatcher.utter_message(response="utter_faq_suggest", buttons=[faq_button(h) for h in hits])
            dispatcher.utter_message(json_message=turn)
            return []
        failed += 1
        if failed >= get_settings().max_failed_attempts:
            # The miss is reported, then the hand-over tells the customer what happens next.
            dispatcher.utter_message(json_message=turn)
            return await hand_over(dispatcher, tracker, this_turn=turn)
        dispatcher.utter_message(response="utter_faq_not_understood")
        dispatcher.utter_message(json_message=turn)
        return [SlotSet("failed_attempts", failed)]
