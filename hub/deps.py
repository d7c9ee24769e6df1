"""Every dependency the routes declare, in one place: services, the caller's identity, validated path and query values.

Routers import from here and never from each other. Ids and stream positions
are validated at the edge, before they reach a Redis key or command: a
malformed one is a 422 that says why, never a Redis error.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated, Any

from fastapi import Cookie, Depends, Header, HTTPException, Path, Query, Request
from starlette.requests import HTTPConnection
from pydantic import AfterValidator, Field

from core.errors import UnknownConversation
from core.redis import STREAM_ID, is_stream_id
from core.settings import Settings
from handoff.agents import Agent
from handoff.models import Conversation
from hub.services import Services

# Conversation ids are uuid4 hex; transcript positions are Redis stream ids ("<ms>-<seq>", core/redis.py STREAM_ID).
CONVERSATION_ID = r"^[0-9a-f]{32}$"
AGENT_COOKIE = "cs_agent"


# Dependencies that only read the request are ``async def``: FastAPI runs a plain ``def`` dependency in its
# thread pool, a thread hop per request for a dict lookup (2 % of the hub's CPU per FAQ message at 20x).
async def get_services(request: Request) -> Services:
    return request.app.state.services


def _stream_id(text: str | None) -> str | None:
    # The pattern shows in the schema; the values are checked here (each part below 2**64, or Redis refuses it).
    if text is not None and not is_stream_id(text):
        raise ValueError("not a message id: each number of '<ms>-<seq>' must be below 2**64")
    return text


Svc = Annotated[Services, Depends(get_services)]
ConversationId = Annotated[str, Path(pattern=CONVERSATION_ID, description="the id returned when the conversation started")]
MessageId = Annotated[str, Field(pattern=STREAM_ID, description="a message id from the transcript"), AfterValidator(_stream_id)]
MessagePathId = Annotated[str, Path(pattern=STREAM_ID, description="a message id from the transcript"), AfterValidator(_stream_id)]
AfterId = Annotated[str | None, Query(pattern=STREAM_ID, description="only messages after this message id"), AfterValidator(_stream_id)]

LAST_EPOCH_SECOND = 253_402_300_799.0  # 9999-12-31 23:59:59 UTC, the last second a date can show


def epoch_query(description: str) -> Any:
    """A time as a query value (epoch seconds): a finite number a date can show, so ``inf``, ``nan`` or ``1e308``
    is a 422 that says so, not an OverflowError (a 500) where it is turned into a stream id or a date."""
    return Query(ge=0, le=LAST_EPOCH_SECOND, allow_inf_nan=False, description=description)


def bearer(authorization: str | None) -> str | None:
    return authorization.removeprefix("Bearer ").strip() if authorization else None


def is_blank(text: str) -> bool:
    """Nothing a reader would see: only whitespace (spaces, tabs, newlines), invisible format characters
    (zero-width space and joiners, word joiner, byte-order mark, direction controls: Unicode category Cf) and
    control characters (NUL, ESC ...: Cc, dropped where text is stored, core/text.py)."""
    return all(ch.isspace() or unicodedata.category(ch) in ("Cf", "Cc") for ch in text)


def _not_blank(text: str) -> str:
    # Refused, not stripped: a blank message would be stored, answered with the fallback (a failed attempt:
    # two of them hand the customer to a person) or shown as an empty bubble. Text with content is kept as typed.
    if is_blank(text):
        raise ValueError("must contain some visible text (spaces and invisible characters alone are not a message)")
    return text


# What a customer or an agent sends as a message: at least one visible character.
MessageText = Annotated[str, Field(min_length=1), AfterValidator(_not_blank)]


def check_message_length(text: str, settings: Settings) -> None:
    """Customers and agents share one limit, with an error that says what it is."""
    if len(text) > settings.max_message_chars:
        raise HTTPException(413, f"message too long: {len(text)} characters, the limit is {settings.max_message_chars}")


# customers: the conversation's token is the only key to it
async def customer_conversation(cid: ConversationId, services: Svc, authorization: Annotated[str | None, Header()] = None) -> Conversation:
    conv, allowed = await services.conversations.get_with_token(cid, bearer(authorization) or "")
    if conv is None:
        raise UnknownConversation()
    if not allowed:
        raise HTTPException(403, "this token does not give access to this conversation")
    return conv


Conv = Annotated[Conversation, Depends(customer_conversation)]


# staff: a session token from /api/agent/login, as a bearer token or the console's cookie
async def staff_token(authorization: Annotated[str | None, Header()] = None, cs_agent: Annotated[str | None, Cookie()] = None) -> str | None:
    # A request that sends an Authorization header is judged by it alone: an empty "Bearer " never falls back to
    # the cookie (the CSRF guard lets requests with that header through, as a bearer token cannot be forged).
    return bearer(authorization) if authorization is not None else cs_agent


async def signed_in(services: Svc, token: Annotated[str | None, Depends(staff_token)]) -> Agent:
    """Whoever holds a live session, even one who must still replace a generated password."""
    username = await services.sessions.user(token) if token else None
    agent = await services.agents.get(username) if username else None
    if agent is None:
        raise HTTPException(401, "log in first (POST /api/agent/login)")
    return agent


SignedIn = Annotated[Agent, Depends(signed_in)]


async def current_agent(agent: SignedIn) -> Agent:
    if agent.must_change_password:
        raise HTTPException(403, "change your password first (POST /api/agent/password)")
    return agent


Me = Annotated[Agent, Depends(current_agent)]
Reader = Me  # anyone signed in may read the knowledge base


def _role(allowed: set[str], what: str):
    async def check(agent: Me) -> Agent:
        if agent.role not in allowed:
            raise HTTPException(403, f"only {what} may do this")
        return agent

    return check


ChatStaff = Annotated[Agent, Depends(_role({"agent", "supervisor", "admin"}, "agents, supervisors and admins (editors do not talk to customers)"))]
Overseer = Annotated[Agent, Depends(_role({"supervisor", "admin"}, "supervisors and admins"))]
Editor = Annotated[Agent, Depends(_role({"editor", "admin"}, "editors and admins"))]
Admin = Annotated[Agent, Depends(_role({"admin"}, "admins"))]


def client_address(request: HTTPConnection) -> str:
    """The client's address (a request's or a WebSocket's): the connection's, or X-Forwarded-For's from a trusted proxy."""
    return request.client.host if request.client else "unknown"


async def may_read(services: Services, agent: Agent, conv: Conversation) -> bool:
    """Supervisors and admins: everything. Agents: the queue, their chats, and the chats they once had (their history)."""
    return agent.oversees or conv.status == "queued" or conv.agent == agent.username or await services.history.took(agent.username, conv.id)
