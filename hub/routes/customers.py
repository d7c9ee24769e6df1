"""The customer's whole history for the console: every line of every conversation they had, on every channel, in time order.

One customer record joins their web visits, Telegram and WeChat chats (linked by
an agent or recognised by a shared identity), so the agent reads one history
and the customer never repeats themselves. Who the customer is stays private
until the chat is the agent's own: only its agent, supervisors and admins may
read it.
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from core.errors import NotAllowed
from handoff.models import Message
from hub.deps import ChatStaff, ConversationId, Svc

router = APIRouter(prefix="/api/agent", tags=["agent"])
MAX_CONVERSATIONS = 20
MAX_LINES = 400


class HistoryLine(BaseModel):
    message: Message
    conversation_status: str
    current: bool = Field(description="the line belongs to the conversation being viewed")


class CustomerHistory(BaseModel):
    customer_id: str | None
    channels: list[str] = Field(description="every channel the customer wrote from")
    conversations: int
    lines: list[HistoryLine] = Field(description=f"oldest first; the newest {MAX_LINES} lines of the newest {MAX_CONVERSATIONS} conversations")


@router.get("/conversations/{cid}/customer/history", response_model=CustomerHistory,
            summary="Every line of the customer's conversations on every channel, oldest first (the chat's agent, supervisors, admins)")
async def customer_history(cid: ConversationId, me: ChatStaff, services: Svc) -> CustomerHistory:
    conv = await services.conversations.require(cid)
    if not (me.oversees or conv.agent == me.username):
        raise NotAllowed("the customer's history is for the agent of this chat")
    record = await services.customers.get(conv.customer_id) if conv.customer_id else None
    cids = (await services.customers.conversations(record.id))[:MAX_CONVERSATIONS] if record else [cid]
    if cid not in cids:
        cids.append(cid)
    lines: list[HistoryLine] = []
    channels: set[str] = set()
    for other in cids:
        past = await services.conversations.get(other)
        if past is None:
            continue
        for message in await services.conversations.messages(other):
            lines.append(HistoryLine(message=message, conversation_status=past.status, current=other == cid))
            if message.sender == "customer":
                channels.add(message.channel)
    lines.sort(key=lambda line: line.message.ts)
    return CustomerHistory(customer_id=record.id if record else None, channels=sorted(channels), conversations=len(cids), lines=lines[-MAX_LINES:])
