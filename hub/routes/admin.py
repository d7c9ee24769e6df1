"""Account administration and the audit log: admins only, every change audited.

A new account, and a password an admin resets, get a password the person must
replace at their first sign-in; a reset, a role change and a removal end every
session of the account at once, open console WebSockets included. An account
that stops taking chats (removed, or given a role without chats) gives its open
chats back as if it had signed out: to the queue, keeping their place, routed again.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from core.secrets import forget_initial_admin_password
from handoff.agents import Agent, Role
from handoff.events import Frame
from hub.deps import Admin, Svc, epoch_query
from hub.services import Services

router = APIRouter(prefix="/api/admin", tags=["admin"])


class NewAccount(BaseModel):
    username: str = Field(pattern=r"^[A-Za-z0-9_.\-]{2,40}$")
    display_name: str = Field(min_length=1, max_length=100)
    role: Role = "agent"
    capacity: int = Field(3, ge=1, le=100)
    skills: list[str] = Field(default_factory=list, max_length=20)


class AccountChange(BaseModel):
    display_name: str | None = Field(None, min_length=1, max_length=100)
    role: Role | None = None
    capacity: int | None = Field(None, ge=1, le=100)
    skills: list[str] | None = Field(None, max_length=20)


class TemporaryPassword(BaseModel):
    agent: Agent
    password: str = Field(description="give it to the person: it works once, for choosing their own")


@router.get("/agents", response_model=list[Agent])
async def accounts(me: Admin, services: Svc) -> list[Agent]:
    return await services.agents.all()


@router.post("/agents", response_model=TemporaryPassword, status_code=201)
async def create_account(body: NewAccount, me: Admin, services: Svc) -> TemporaryPassword:
    if await services.agents.get(body.username):
        raise HTTPException(409, f"account {body.username} already exists")
    password = secrets.token_urlsafe(15)
    agent = Agent(**body.model_dump(), must_change_password=True)
    await services.agents.create(agent, password)
    await services.audit.record(me.username, "account_created", body.username, role=body.role)
    return TemporaryPassword(agent=agent, password=password)


@router.patch("/agents/{username}", response_model=Agent)
async def change_account(username: str, body: AccountChange, me: Admin, services: Svc) -> Agent:
    changes = body.model_dump(exclude_none=True)
    agent = await services.agents.update(username, **changes)
    if agent is None:
        raise HTTPException(404, f"no account {username}")
    if "role" in changes:
        await services.sessions.close_all(username, "the role changed: sign in again")  # the new role applies from the next sign-in
        if not agent.chats:
            await services.agents.set_presence(username, "offline")
            await _chats_go_back(services, agent)
    if {"capacity", "skills"} & changes.keys():
        await services.desk.agent_available(username)  # more room, or a language they now speak: waiting chats may be theirs
    await services.audit.record(me.username, "account_changed", username, **changes)
    return agent


@router.post("/agents/{username}/password", response_model=TemporaryPassword, summary="Reset: a one-time password, every session ended")
async def reset_password(username: str, me: Admin, services: Svc) -> TemporaryPassword:
    if await services.agents.get(username) is None:
        raise HTTPException(404, f"no account {username}")
    password = secrets.token_urlsafe(15)
    await services.agents.set_password(username, password, must_change=True)
    forget_initial_admin_password(services.settings.var_dir, username)
    ended = await services.sessions.close_all(username, "the password was reset: sign in again")
    await services.audit.record(me.username, "password_reset", username, sessions_ended=ended)
    return TemporaryPassword(agent=await services.agents.get(username), password=password)


@router.post("/agents/{username}/unlock", status_code=204, summary="Lift a sign-in lock before it expires")
async def unlock(username: str, me: Admin, services: Svc) -> None:
    await services.login_guard.unlock(username)
    await services.audit.record(me.username, "login_unlocked", username)


@router.delete("/agents/{username}", status_code=204)
async def remove_account(username: str, me: Admin, services: Svc) -> None:
    if username == me.username:
        raise HTTPException(409, "you cannot remove your own account")
    agent = await services.agents.get(username)
    if agent is None or not await services.agents.remove(username):
        raise HTTPException(404, f"no account {username}")
    forget_initial_admin_password(services.settings.var_dir, username)
    await services.sessions.close_all(username, "the account was removed")
    await _chats_go_back(services, agent)
    await services.audit.record(me.username, "account_removed", username)


async def _chats_go_back(services: Services, agent: Agent) -> None:
    """The account takes no more chats: like an agent signing out, its open chats go back to the queue (keeping
    their place) and on to whoever can take them, and their customers are told. Called once it can no longer be
    routed a chat (removed, or its role changed), so none comes back to it."""
    await services.conversations.publish_agents({"type": Frame.PRESENCE, "agent": agent.username, "presence": "offline"})
    await services.desk.agent_gone(agent.username, agent.display_name)


@router.get("/audit", summary="The audit log, oldest first (logins, lockouts, reveals and exports of personal data, KB and account changes)")
async def audit(me: Admin, services: Svc, since: Annotated[float, epoch_query("entries at or after (epoch seconds)")] = 0.0,
                limit: int = Query(1000, ge=1, le=100_000)) -> list[dict]:
    return await run_in_threadpool(services.audit.entries_sync, since, limit)
