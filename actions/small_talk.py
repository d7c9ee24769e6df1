"""Small talk answered as small talk only when it is nothing else.

The NLU hears a problem that starts with a yes or a no as that small talk ("嗯 表带断了", "不行啊 还是连不上",
"right earbud no sound"), confident enough that a rule used to answer it with
"Great! Anything else I can help with?". A customer's problem must never get a small-talk reply (issue 8, item 5),
so a message with any word beyond small talk (``core.courtesy.SMALL_TALK``) is searched in the knowledge base like a
question: answered, offered suggestions, or, not served, recorded as a content gap.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.faq import ActionAnswerFaq
from core.courtesy import SMALL_TALK


class ActionSmallTalk(Action):
    """affirm and deny (data/rules.yml): their response when the message is only that.

    Thanks and goodbye keep their rules: a message heard as one of them that says more ("thanks for sorting that
    out", "关闭对话") is, in the NLU's training data, nearly always courtesy in other words, and searching it offered
    suggestions or, once, a confident wrong answer; a yes or a no that says more is nearly always a problem or a
    correction ("不是我要问的"), which the knowledge base search answers or records as a gap."""

    def name(self) -> str:
        return "action_small_talk"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        latest = tracker.latest_message or {}
        intent = (latest.get("intent") or {}).get("name")
        if SMALL_TALK.only(latest.get("text") or "") and f"utter_{intent}" in domain.get("responses", {}):
            dispatcher.utter_message(response=f"utter_{intent}")
            return []
        return await ActionAnswerFaq().run(dispatcher, tracker, domain, heard_as=intent)
