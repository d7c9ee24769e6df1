"""The hub's long-lived collaborators, built once per worker process and handed to routes by dependency injection.

This is the composition root: the only place that knows how the packages fit
together. Feature packages (``kb``, ``handoff``, ``bot``) never import it.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from functools import cached_property

import redis
import redis.asyncio as aioredis

from bot.feedback import AnswerFeedback
from bot.orchestrator import Orchestrator
from bot.rasa_client import RasaClient
from core.redis import Keys, async_client, redis_url, sync_client
from core.relay import Relay
from core.settings import Settings
from handoff.agents import AgentDirectory
from handoff.conversations import ConversationStore
from handoff.history import AgentHistory
from handoff.queue import HandoffQueue
from handoff.votes import AnswerVotes
from kb.embeddings import EmbedderSet
from kb.gaps import GapLog
from kb.search import Searcher
from kb.store import KbStore


@dataclass
class Services:
    settings: Settings
    redis: aioredis.Redis
    sync_redis: redis.Redis  # for the knowledge base, whose CPU-bound work runs in threads
    keys: Keys
    relay: Relay
    conversations: ConversationStore
    agents: AgentDirectory
    queue: HandoffQueue
    rasa: RasaClient
    gaps: GapLog
    orchestrator: Orchestrator
    votes: AnswerVotes
    feedback: AnswerFeedback
    history: AgentHistory
    _tasks: list[asyncio.Task] = field(default_factory=list)

    # Knowledge base: built on first use (loading the embedding models takes seconds and memory).
    @cached_property
    def kb_store(self) -> KbStore:
        return KbStore(self.sync_redis, keys=self.keys)

    @cached_property
    def embedders(self) -> EmbedderSet:
        return EmbedderSet.from_settings(self.settings)

    @cached_property
    def searcher(self) -> Searcher:
        return Searcher(self.kb_store, self.embedders, self.settings)

    @classmethod
    def build(cls, settings: Settings) -> "Services":
        client = async_client(settings)
        sync = sync_client(settings)
        keys = Keys(settings.key_prefix)
        url = redis_url(settings)
        relay = Relay(lambda: aioredis.Redis.from_url(url, decode_responses=True, socket_connect_timeout=2, health_check_interval=10), keys.pub_prefix)
        conversations = ConversationStore(client, keys)
        agents = AgentDirectory(client, keys, hash_concurrency=settings.password_hash_concurrency)
        votes = AnswerVotes(client, keys)
        queue = HandoffQueue(conversations, agents, votes=votes, default_capacity=settings.default_agent_capacity, default_handle_seconds=settings.default_handle_seconds)
        rasa = RasaClient(settings.rasa_url, settings.rasa_timeout_seconds)
        gaps = GapLog(sync, keys)
        orchestrator = Orchestrator(
            client, keys, conversations, queue, rasa, gaps,
            turn_lock_seconds=settings.turn_lock_seconds, turn_wait_seconds=settings.rasa_timeout_seconds * 2 + 5,
        )
        return cls(settings, client, sync, keys, relay, conversations, agents, queue, rasa, gaps, orchestrator,
                   votes, AnswerFeedback(conversations, votes, gaps), AgentHistory(conversations))

    async def start(self) -> None:
        """Live updates, and the loop that finishes turns a dead worker left behind (at once: this may be the restart)."""
        await self.relay.start()
        s = self.settings
        self._tasks.append(asyncio.create_task(
            self.orchestrator.turns.run_recovery(s.turn_recovery_interval_seconds, s.turn_recovery_grace_seconds), name="turn-recovery",
        ))

    async def aclose(self) -> None:
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self.relay.stop()
        await self.rasa.aclose()
        await self.redis.aclose()
        self.sync_redis.close()
