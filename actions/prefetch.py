"""``action_prefetch_query``: not a dialogue step. The hub calls it beside Rasa's turn with the customer's message.

Rasa calls the action server only after its NLU and policies have run; the message's embedding, most of a
search's time (the Chinese model ~25-35 ms), is computed meanwhile on the other core, so the search that
follows finds it ready (``kb.embeddings.QueryVectors``). A greeting or a complaint is embedded too: its
vector serves the hand-over's categorisation, or the cache's next identical greeting.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import knowledge
from actions.language import message_language
from kb.search import NoPublishedIndex


class ActionPrefetchQuery(Action):
    def name(self) -> str:
        return "action_prefetch_query"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        text = tracker.latest_message.get("text") or ""
        if text and not text.startswith("/"):  # a button's payload is not searched
            try:
                await knowledge.prefetch(text, message_language(tracker))
            except NoPublishedIndex:
                pass
        return []
