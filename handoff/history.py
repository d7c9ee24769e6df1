"""An agent's past conversations: every chat they took (claimed or were transferred), newest first, searchable.

The console's "recent" list. Search looks at the customer's name, the
conversation id and every line of the transcript; a date range narrows it by
when the conversation was last active.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from handoff.conversations import ConversationStore
from handoff.models import Conversation
from handoff.summary import customer_need

SNIPPET_CHARS = 80


class PastConversation(BaseModel):
    conversation: Conversation
    need: str = Field("", description="one line: what the customer needed")
    match: str = Field("", description="the transcript line the search matched, shortened around the match")
    last_active_at: float


def snippet(text: str, needle: str) -> str:
    at = text.lower().find(needle)
    start = max(0, at - SNIPPET_CHARS // 3)
    piece = text[start:start + SNIPPET_CHARS]
    return ("…" if start else "") + piece + ("…" if start + SNIPPET_CHARS < len(text) else "")


class AgentHistory:
    def __init__(self, conversations: ConversationStore) -> None:
        self.conversations = conversations
        self.r = conversations.r
        self.k = conversations.k

    async def took(self, username: str, cid: str) -> bool:
        """Did this agent ever have this conversation (claimed or transferred to them)?"""
        return await self.r.zscore(self.k.agent_history(username), cid) is not None

    async def search(self, username: str, q: str = "", since: float | None = None, until: float | None = None, limit: int = 50, scan: int = 500) -> list[PastConversation]:
        """Up to ``limit`` of the agent's ``scan`` most recent chats that match, newest first."""
        needle = " ".join(q.lower().split())
        found: list[PastConversation] = []
        for cid in await self.r.zrevrange(self.k.agent_history(username), 0, scan - 1):
            conv = await self.conversations.get(cid)
            if conv is None:
                continue
            active = conv.resolved_at or conv.updated_at
            if (since is not None and active < since) or (until is not None and active >= until):
                continue
            messages = await self.conversations.messages(cid)
            match = ""
            if needle:
                names = f"{conv.customer_name} {conv.id}".lower()
                line = next((m.text for m in messages if needle in m.text.lower()), None)
                if needle not in names and line is None:
                    continue
                match = snippet(line, needle) if line is not None else ""
            found.append(PastConversation(conversation=conv, need=customer_need(messages, await self.conversations.packet(cid)), match=match, last_active_at=active))
            if len(found) >= limit:
                break
        return sorted(found, key=lambda p: p.last_active_at, reverse=True)
