"""The body of a direct call to the action server (rasa-sdk's ``POST /webhook``), for actions that are not dialogue steps.

Rasa sends the whole tracker; the launcher's warm-up (``action_warmup``) and the hub's query prefetch
(``action_prefetch_query``) send the least rasa-sdk's ``Tracker.from_dict`` reads: one latest message.
"""

from __future__ import annotations


def action_call(next_action: str, sender_id: str, latest_message: dict | None = None) -> dict:
    tracker = {"sender_id": sender_id, "slots": {}, "latest_message": latest_message or {}, "events": [], "paused": False,
               "followup_action": None, "active_loop": {}, "latest_action_name": None}
    return {"next_action": next_action, "sender_id": sender_id, "tracker": tracker, "domain": {}}
