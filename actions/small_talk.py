"""Small talk answered as small talk only when it is nothing else.

The NLU hears a problem that starts with a yes or a no as that small talk ("嗯 表带断了", "不行啊 还是连不上",
"right earbud no sound"), confident enough that a rule used to answer it with
"Great! Anything else I can help with?". A customer's problem must never get a small-talk reply (issue 8, item 5),
so a message with any word beyond small talk (``core.courtesy.SMALL_TALK``) is searched in the knowledge base like a
question: answered, offered suggestions, or, not served, recorded as a content gap.

A problem phrased as thanks or goodbye is the same mistake the other way round ("感谢回复，但问题还是没有解决" got
"不客气哦，能帮到您就好～", "拜拜，耳机用了两天就坏了" got "祝您生活愉快，再见～"): it is searched too when it carries a problem
beside the courtesy (``core.courtesy.carries_problem``).
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.faq import ActionAnswerFaq
from core.courtesy import small_talk_reply


class ActionSmallTalk(Action):
    """affirm, deny, thanks and goodbye (data/rules.yml): their response when the message is that (``small_talk_reply``);
    otherwise the knowledge base search, which answers it or records it as a gap."""

    def name(self) -> str:
        return "action_small_talk"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        latest = tracker.latest_message or {}
        intent = (latest.get("intent") or {}).get("name")
        if small_talk_reply(intent, latest.get("text") or "") and f"utter_{intent}" in domain.get("responses", {}):
            dispatcher.utter_message(response=f"utter_{intent}")
            return []
        return await ActionAnswerFaq().run(dispatcher, tracker, domain, heard_as=intent)
