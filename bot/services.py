"""The hub's long-lived collaborators, built once at start-up and handed to routes by dependency injection."""

from __future__ import annotations

from dataclasses import dataclass

import redis.asyncio as aioredis
from fastapi import Request

from bot.orchestrator import Orchestrator
from bot.rasa_client import RasaClient
from core.redis import Keys, async_client
from core.settings import Settings
from handoff.agents import AgentDirectory
from handoff.conversations import ConversationStore
from handoff.queue import HandoffQueue


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

    @classmethod
    def build(cls, settings: Settings) -> "Services":
        client = async_client(settings)
        keys = Keys(settings.key_prefix)
        conversations = ConversationStore(client, keys)
        agents = AgentDirectory(client, keys)
        queue = HandoffQueue(conversations, agents)
        rasa = RasaClient(settings.rasa_url, settings.rasa_timeout_seconds)
        return cls(settings, client, keys, conversations, agents, queue, rasa, Orchestrator(conversations, queue, rasa))

    async def aclose(self) -> None:
        await self.rasa.aclose()
        await self.redis.aclose()


def get_services(request: Request) -> Services:
    return request.app.state.services
