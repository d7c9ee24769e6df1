"""One line that says what a customer needs, for the agents' queue and recent lists.

"转人工" or "hi" says nothing about the case: the line is the customer's last
substantive message (one the bot did not classify as small talk or a request
for a person), else the handoff packet's summary.
"""

from __future__ import annotations

from handoff.models import HUMAN_PAYLOAD, HandoffPacket, Message

# Intents of customer messages that say nothing about the case itself.
NOT_THE_NEED = frozenset({"request_human", "greet", "goodbye", "thanks", "affirm", "deny"})
MAX_CHARS = 200
# What the chat's "talk to a person" button sends on the customer's behalf.
HUMAN_REQUEST_TEXT = {"zh": "转人工", "en": "I want to talk to a person"}


def customer_need(messages: list[Message], packet: HandoffPacket | None = None) -> str:
    intent_of: dict[str, str] = {}  # customer message id -> the intent the bot's reply to it carries
    asked: Message | None = None
    for m in messages:
        if m.sender == "customer":
            asked = m
        elif m.sender == "bot" and asked is not None and asked.id not in intent_of and m.meta.get("intent"):
            intent_of[asked.id] = m.meta["intent"]
    for m in reversed(messages):
        if m.sender != "customer" or m.meta.get("payload") == HUMAN_PAYLOAD or intent_of.get(m.id) in NOT_THE_NEED or m.text.strip() in HUMAN_REQUEST_TEXT.values():
            continue
        text = " ".join(m.text.split())
        if text:
            return text[:MAX_CHARS]
    return (packet.summary if packet else "")[:MAX_CHARS]
