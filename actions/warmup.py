"""``action_warmup``: the launcher calls it once so the first customer does not wait for the model to load."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import knowledge
from kb.search import NoPublishedIndex


class ActionWarmup(Action):
    def name(self) -> str:
        return "action_warmup"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        try:
            await knowledge.search("warm up", "en")
            await knowledge.search("预热", "zh")
        except NoPublishedIndex:
            for language in ("en", "zh"):
                knowledge.searcher().embedders.for_language(language).embed(["warm up"])
        knowledge.triage()  # trained now, not at the first customer's handoff
        return []
