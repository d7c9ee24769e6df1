"""Rasa's ``language`` slot (which picks each response's zh/en variation), set only when a conversation's language changes.

Rasa used to fill it on every message through ``action_validate_slot_mappings``:
a round trip to the action server carrying the whole tracker, for a value that
almost never changes. Now the hub remembers what it last told Rasa (a Redis key
per conversation, expiring before Rasa's tracker does) and sets the slot
through Rasa's tracker API only when the language differs: once per
conversation in practice. A web chat tells Rasa when it starts (``prepare``),
while the customer is still typing, so their first reply does not wait for it.
"""

from __future__ import annotations

import asyncio

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from bot.rasa_client import BotUnavailable, RasaClient
from core.redis import Keys


class LanguageSlot:
    def __init__(self, client: aioredis.Redis, keys: Keys, rasa: RasaClient, ttl_seconds: int) -> None:
        self.r = client
        self.k = keys
        self.rasa = rasa
        self.ttl = max(60, ttl_seconds)

    async def ensure(self, conversation_id: str, language: str) -> None:
        """Before a message goes to Rasa: its tracker's ``language`` slot is ``language``."""
        key = self.k.bot_language(conversation_id)
        previous = await self.r.set(key, language, ex=self.ttl, get=True)  # one round trip: remember and compare
        if previous == language:
            return
        if not await self.rasa.set_slot(conversation_id, "language", language):
            await self.r.delete(key)  # not set: try again with the next message
            # A Rasa that cannot take a slot will not take the message either: say so now, rather
            # than make the customer wait a second timeout before a human is called.
            raise BotUnavailable("Rasa did not take the conversation's language")

    async def prepare(self, conversation_id: str, language: str, timeout: float = 1.0) -> bool:
        """When a conversation starts: tell Rasa its language now, off the customer's first reply.

        Best effort, within ``timeout``: a Rasa that is down or slow leaves it to the first
        message (``ensure``), which then hands the chat to a person if Rasa still cannot take it.
        """
        try:
            await asyncio.wait_for(self.ensure(conversation_id, language), timeout)
            return True
        except (BotUnavailable, asyncio.TimeoutError, RedisError):
            try:
                await self.r.delete(self.k.bot_language(conversation_id))  # not known to be set: the first message sets it
            except RedisError:
                pass
            return False
