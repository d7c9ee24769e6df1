"""The language of the message an action answers: the hub's message metadata says it, the slot is the fallback."""

from __future__ import annotations

from rasa_sdk import Tracker

from core.language import SUPPORTED, detect_language


def message_language(tracker: Tracker) -> str:
    """The hub detects each message's language and sends it as metadata; a client talking to Rasa directly may not."""
    latest = tracker.latest_message or {}
    language = (latest.get("metadata") or {}).get("language")
    if language in SUPPORTED:
        return language
    return tracker.get_slot("language") or detect_language(latest.get("text") or "")
