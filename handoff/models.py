"""The shapes the hub stores and sends: messages, conversations, handoff packets."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

Sender = Literal["customer", "bot", "agent", "system"]
Status = Literal["bot", "queued", "assigned", "resolved"]
# long_message: a messaging channel's message over the web chat's length limit, passed to a person unread by the bot
# (bot/orchestrator.py:_pass_long_message); the customer did not ask for a person.
Reason = Literal["customer_request", "low_confidence", "complaint", "negative_feedback", "vip", "bot_unavailable", "long_message"]
# A customer message with this payload asks for a person (the Rasa intent that hands the conversation over).
HUMAN_PAYLOAD = "/request_human"
Category = Literal["product_quality", "service_attitude", "logistics", "after_sales", "billing", "other"]


def stream_position(message_id: str) -> tuple[int, int]:
    """Redis stream ids order the transcript: ``"1700000000000-3"`` -> ``(1700000000000, 3)``."""
    ms, _, seq = message_id.partition("-")
    return int(ms), int(seq or 0)


class Message(BaseModel):
    id: str  # Redis stream id: orders the transcript and lets clients resume after it
    conversation_id: str
    sender: Sender
    text: str
    ts: float
    channel: str = "web"
    client_message_id: str | None = None
    author: str | None = None  # agent display name, for agent messages
    meta: dict[str, Any] = Field(default_factory=dict)  # bot turns: intent, confidence, decision, hits, buttons


class TriedEntry(BaseModel):
    id: str
    question: str
    score: float


class VotedAnswer(BaseModel):
    """A bot answer the customer voted "not helpful": shown to the agent, linked from the editor's content gaps."""

    message_id: str
    question: str = Field("", description="what the customer asked")
    entry_id: str = Field("", description="the knowledge-base entry that answered")
    entry_question: str = ""
    language: str = "en"
    ts: float = 0.0


class HandoffPacket(BaseModel):
    """What the agent sees first: why the bot gave up and what it already tried."""

    reason: Reason
    category: Category = "other"
    language: str = "en"
    customer_tier: str = "standard"
    summary: str = ""
    last_customer_message: str = ""
    tried: list[TriedEntry] = Field(default_factory=list)
    not_helpful: list[VotedAnswer] = Field(default_factory=list, description="answers the customer voted not helpful before asking for a person")
    created_at: float = 0.0


class Conversation(BaseModel):
    id: str
    status: Status
    channel: str
    language: str
    customer_name: str = ""
    customer_tier: str = "standard"
    customer_verified: bool = False  # name, tier and reference were signed by the shop (core/identity.py)
    ticket_id: str | None = None  # the ticket this conversation's current request is (tickets/)
    ticket_ref: str | None = None  # its number as people say it: T-000123
    customer_id: str | None = None  # the customer record (customers/store.py): every channel, every earlier conversation
    created_at: float
    updated_at: float
    agent: str | None = None
    queued_at: float | None = None
    assigned_at: float | None = None
    resolved_at: float | None = None
    priority: int = 0
    rating: int | None = None
    rating_comment: str = ""
    epoch: int = 0  # ownership episode: every status change starts a new one (bot replies are valid only in theirs)
