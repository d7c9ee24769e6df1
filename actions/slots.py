"""Slots filled from outside the NLU: the customer's language comes from the hub's message metadata."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import ValidationAction

from core.language import SUPPORTED, detect_language


class ValidateSlotMappings(ValidationAction):
    """Rasa runs ``action_validate_slot_mappings`` after every user message."""

    def name(self) -> str:
        return "action_validate_slot_mappings"

    async def extract_language(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> dict[str, Any]:
        metadata = tracker.latest_message.get("metadata") or {}
        language = metadata.get("language")
        if language not in SUPPORTED:
            language = detect_language(tracker.latest_message.get("text") or "", tracker.get_slot("language") or "en")
        return {"language": language}
