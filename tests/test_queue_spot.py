"""The place and the wait a queued customer is told count every online agent's chats, whatever the team's size.

Against a real Valkey: the loads are read in one pipeline (they were one round trip per online agent,
8.5 ms per customer message at 50 agents online; docs/performance.md)."""

from __future__ import annotations

from core.redis import Keys, async_client
from core.settings import Settings
from handoff.agents import Agent, AgentDirectory
from handoff.conversations import ConversationStore
from handoff.queue import HandoffQueue


async def test_a_queued_customers_wait_counts_each_online_agents_chats(valkey_url):
    client = async_client(Settings(redis_url=valkey_url))
    keys = Keys("spot-test:")
    agents = AgentDirectory(client, keys)
    queue = HandoffQueue(ConversationStore(client, keys), agents)
    try:
        for i in range(12):  # twelve agents online, two chats each at most: all full but one, who has one free slot
            name = f"agent{i}"
            await agents.create(Agent(username=name, display_name=name, capacity=2, presence="online"), "a long enough password 1")
            await client.sadd(keys.agent_chats(name), *[f"{name}-chat{j}" for j in range(1 if i == 5 else 2)])
        await agents.create(Agent(username="away1", display_name="Away", capacity=5, presence="away"), "a long enough password 1")
        await agents.create(Agent(username="editor1", display_name="Ed", role="editor", presence="online"), "a long enough password 1")
        await client.lpush(keys.handle_times, 300, 300, 300)
        for rank, cid in enumerate(("c0", "c1", "c2")):
            await client.zadd(keys.queue, {cid: float(rank)})

        first, third = await queue.spot("c0"), await queue.spot("c2")
        assert (first.position, first.agents_online, first.estimated_wait_seconds) == (1, 12, 0)  # the one free slot
        # Third in line: one slot is free, so one customer ahead still waits; 24 slots turn over every 300 s.
        assert (third.position, third.agents_online, third.estimated_wait_seconds) == (3, 12, 2 * 300 // 24)
        assert await queue.spot("not-queued") is None
    finally:
        await client.aclose()
