"""The hub's long-lived collaborators, built once at start-up and handed to routes by dependency injection."""

from __future__ import annotations

from dataclasses import dataclass

from functools import cached_property

import redis.asyncio as aioredis
from fastapi import HTTPException, Request

from bot.orchestrator import Orchestrator
from bot.rasa_client import RasaClient
from core.redis import Keys, async_client, sync_client
from core.settings import Settings
from handoff.agents import AgentDirectory
from handoff.conversations import ConversationStore
from handoff.queue import HandoffQueue
from kb.embeddings import EmbedderSet
from kb.gaps import GapLog
from kb.search import Searcher
from kb.store import KbStore


@dataclass
class Services:
    settings: Settings
    redis: aioredis.Redis
    keys: Keys
    conversations: ConversationStore
    agents: AgentDirectory
    queue: HandoffQueue
    rasa: RasaClient
    orchestrator: Orchestrator

    # Knowledge base: synchronous (CPU-bound search, used from the thread pool), built on first use.
    @cached_property
    def kb_store(self) -> KbStore:
        return KbStore(self.gaps.r, keys=self.keys)

    @cached_property
    def embedders(self) -> EmbedderSet:
        return EmbedderSet.from_settings(self.settings)

    @cached_property
    def searcher(self) -> Searcher:
        return Searcher(self.kb_store, self.embedders, self.settings)

    @property
    def gaps(self) -> GapLog:
        return self.orchestrator.gaps  # its synchronous Redis client serves the KB too

    @classmethod
    def build(cls, settings: Settings) -> "Services":
        client = async_client(settings)
        keys = Keys(settings.key_prefix)
        conversations = ConversationStore(client, keys)
        agents = AgentDirectory(client, keys)
        queue = HandoffQueue(conversations, agents)
        rasa = RasaClient(settings.rasa_url, settings.rasa_timeout_seconds)
        gaps = GapLog(sync_client(settings), keys)
        return cls(settings, client, keys, conversations, agents, queue, rasa, Orchestrator(conversations, queue, rasa, gaps))

    async def aclose(self) -> None:
        await self.rasa.aclose()
        await self.redis.aclose()


def check_message_length(text: str, settings: Settings) -> None:
    """Customers and agents share one limit, with an error that says what it is."""
    if len(text) > settings.max_message_chars:
        raise HTTPException(413, f"message too long: {len(text)} characters, the limit is {settings.max_message_chars}")


def get_services(request: Request) -> Services:
    return request.app.state.services
