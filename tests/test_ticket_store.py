"""The ticket lists (active, recent) read every ticket in one pipeline, in order, skipping one that vanished. Real Valkey."""

from __future__ import annotations

from core.redis import Keys, async_client
from core.settings import Settings
from tickets.store import TicketStore


async def test_the_lists_keep_their_order_and_skip_a_ticket_that_vanished(valkey_url):
    client = async_client(Settings(redis_url=valkey_url))
    keys = Keys("tickets-test:")
    store = TicketStore(client, keys)
    try:
        made = []
        for i in range(5):
            await client.hset(keys.conv(f"c{i}"), "status", "queued")  # a ticket is opened only for a conversation that exists
            ticket = await store.create(conversation_id=f"c{i}", channel="web", language="en", customer_id=None, customer_tier="standard",
                                        category="logistics", reason="low_confidence", priority=0, summary=f"parcel {i}", contact="")
            ticket.created_at += i  # distinct, increasing creation times
            made.append(await store.save_new(ticket, {"reason": "low_confidence"}))
        await client.delete(keys.ticket(made[2].id))  # its hash is gone, its index entries stay
        expected = [t.number for t in made if t is not made[2]]
        assert [t.number for t in await store.active()] == expected  # oldest first
        assert [t.number for t in await store.recent(10)] == expected[::-1]  # newest first
        assert [t.summary for t in await store.recent(2)] == ["parcel 4", "parcel 3"]
    finally:
        await client.aclose()
