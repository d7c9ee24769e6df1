"""Staff accounts: roles, argon2-hashed passwords under a policy, presence and capacity.

Roles: ``agent`` talks to customers (the queue, their own chats); ``supervisor``
also sees every conversation; ``editor`` runs the knowledge base and never
talks to customers; ``admin`` manages accounts and may do everything.

Hashing a password costs ~50 ms of a core and ~60 MB: it runs in worker
threads, a few at a time, so a burst of logins queues behind itself instead of
freezing every other request on the event loop.
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Annotated, Literal

import redis.asyncio as aioredis
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import AfterValidator, BaseModel, Field

from core.passwords import check_password
from core.redis import Keys
from core.text import shown_as_typed
from handoff.consoles import Consoles

Role = Literal["agent", "supervisor", "editor", "admin"]
Presence = Literal["online", "away", "offline"]
# Who talks to customers (takes chats, is counted as available), and who sees every conversation.
CHAT_ROLES: frozenset[str] = frozenset({"agent", "supervisor", "admin"})
OVERSEER_ROLES: frozenset[str] = frozenset({"supervisor", "admin"})

_hasher = PasswordHasher()
# What a username may be. Every account key is built from it (``agent:<name>``, ``agent:<name>:chats`` ...), so a name
# from a request that is not one ("alice:chats") names no account, rather than another key of an account.
USERNAME = r"^[A-Za-z0-9_.\-]{2,40}$"


def is_username(name: str) -> bool:
    return isinstance(name, str) and re.fullmatch(USERNAME, name) is not None


class Agent(BaseModel):
    username: str = Field(pattern=USERNAME)
    display_name: Annotated[str, AfterValidator(shown_as_typed)]  # shown to customers and colleagues beside other text
    role: Role = "agent"
    capacity: int = 3
    skills: list[str] = Field(default_factory=list)  # categories or languages this agent takes
    presence: Presence = "offline"
    must_change_password: bool = False  # set for generated passwords: the first sign-in must replace it

    @property
    def chats(self) -> bool:
        return self.role in CHAT_ROLES

    @property
    def oversees(self) -> bool:
        return self.role in OVERSEER_ROLES


class AgentDirectory:
    """``consoles``: when given, an agent is available (``with_loads(online=True)``) only while at a console
    (``handoff/consoles.py``), not merely "online": signing in through the API alone offered them chats that
    waited for a console that never opened. Without it (tools and benchmarks that simulate agents), presence alone."""

    def __init__(self, client: aioredis.Redis, keys: Keys, *, hash_concurrency: int = 1, consoles: Consoles | None = None) -> None:
        self.r = client
        self.k = keys
        self._hashing = asyncio.Semaphore(hash_concurrency)
        self.consoles = consoles

    async def _off_loop(self, fn, *args):
        async with self._hashing:
            return await asyncio.to_thread(fn, *args)

    async def create(self, agent: Agent, password: str) -> None:
        """Create the account, or replace its settings and password. Raises ``WeakPassword``."""
        check_password(password, agent.username, agent.display_name)
        password_hash = await self._off_loop(_hasher.hash, password)
        fields = {**{k: _field(v) for k, v in agent.model_dump().items()}, "password_hash": password_hash}
        await self.r.hset(self.k.agent(agent.username), mapping=fields)
        await self.r.sadd(self.k.agents, agent.username)

    async def update(self, username: str, **changes: object) -> Agent | None:
        agent = await self.get(username)  # None for a name that is not a username: nothing written
        if agent is None:
            return None
        agent = agent.model_copy(update=changes)
        await self.r.hset(self.k.agent(username), mapping={k: _field(getattr(agent, k)) for k in changes})
        return agent

    async def set_password(self, username: str, password: str, *, must_change: bool = False) -> None:
        """Replace the password (policy-checked). The caller ends the account's sessions."""
        agent = await self.get(username)
        check_password(password, username, agent.display_name if agent else "")
        password_hash = await self._off_loop(_hasher.hash, password)
        await self.r.hset(self.k.agent(username), mapping={"password_hash": password_hash, "must_change_password": _field(must_change)})

    async def remove(self, username: str) -> bool:
        if not is_username(username):
            return False
        name = await self.r.hget(self.k.agent(username), "display_name")
        if name is None:
            await self.r.srem(self.k.agents, username)
            return False
        # One step with the trace its chats are still to go back to the queue: a hub worker that dies before it moves
        # them (``TicketDesk.agent_gone``) leaves them where the desk's sweep finds them (it walks only accounts).
        pipe = self.r.pipeline(transaction=True)
        pipe.hset(self.k.agents_departed, username, name or username)
        pipe.srem(self.k.agents, username)
        pipe.delete(self.k.agent(username))
        return bool((await pipe.execute())[-1])

    async def get(self, username: str) -> Agent | None:
        if not is_username(username):
            return None
        return _agent(await self.r.hgetall(self.k.agent(username)))

    async def all(self) -> list[Agent]:
        names = sorted(await self.r.smembers(self.k.agents))
        pipe = self.r.pipeline(transaction=False)
        for name in names:
            pipe.hgetall(self.k.agent(name))
        return [a for a in (_agent(raw) for raw in await pipe.execute()) if a]

    async def verify_password(self, username: str, password: str) -> Agent | None:
        stored = await self.r.hget(self.k.agent(username), "password_hash") if is_username(username) else None
        if not stored:
            await self._off_loop(_hasher.hash, password)  # same cost as a real check: do not reveal which usernames exist
            return None
        try:
            await self._off_loop(_hasher.verify, stored, password)
        except (VerificationError, InvalidHashError):
            return None
        return await self.get(username)

    async def set_presence(self, username: str, presence: Presence) -> None:
        await self.r.hset(self.k.agent(username), "presence", presence)

    async def load(self, username: str) -> int:
        return int(await self.r.scard(self.k.agent_chats(username)))

    async def loads(self, usernames: list[str]) -> list[int]:
        pipe = self.r.pipeline(transaction=False)
        for name in usernames:
            pipe.scard(self.k.agent_chats(name))
        return [int(n) for n in await pipe.execute()]

    async def with_loads(self, *, online: bool = False) -> list[tuple[Agent, int]]:
        """Everyone who takes chats (``online``: only those available now, ``available``), with how many they hold
        now: a few round trips, whatever the team's size."""
        staff = [a for a in await self.all() if a.chats]
        if online and staff:
            staff = [a for a, free in zip(staff, await self.available(staff)) if free]
        return list(zip(staff, await self.loads([a.username for a in staff])))

    async def available(self, agents: list[Agent]) -> list[bool]:
        """For each agent, whether routing offers them chats now: they take chats, are online and (with ``consoles``)
        at a console. The one rule for routing, the queue estimate, the supervisor dashboard and the console's team
        list: "online" alone counted an agent signed in through the API, whom routing passes over, as available."""
        online = [a for a in agents if a.chats and a.presence == "online"]
        here = await self.consoles.present([a.username for a in online]) if self.consoles is not None and online else [True] * len(online)
        free = {a.username for a, at in zip(online, here) if at}
        return [a.username in free for a in agents]

    async def chats(self, username: str) -> set[str]:
        return set(await self.r.smembers(self.k.agent_chats(username)))


def _agent(raw: dict[str, str]) -> Agent | None:
    if not raw:
        return None
    raw = {**raw, "skills": json.loads(raw.get("skills") or "[]"), "must_change_password": raw.get("must_change_password") == "True"}
    return Agent(**{k: v for k, v in raw.items() if k in Agent.model_fields})


def _field(value: object) -> str:
    return json.dumps(value) if isinstance(value, list) else str(value)
