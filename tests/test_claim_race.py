"""Two agents claiming the same chat at the same moment: exactly one wins."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

# Chats wait in the queue for an agent to claim them (the desk's push assignment is tested in test_service_desk.py).
pytestmark = pytest.mark.usefixtures("manual_assignment")


def test_concurrent_claim_has_exactly_one_winner(customer_factory, agent_factory, settings):
    alice, bob = agent_factory("alice"), agent_factory("bob")
    for _ in range(5):
        c = customer_factory("en")
        assert c.say("I want to talk to a person")["conversation"]["status"] == "queued"

        def claim(agent):
            with httpx.Client(base_url=settings.hub_url, timeout=30) as client:
                return client.post(f"/api/agent/conversations/{c.id}/claim", headers=agent.headers).status_code

        with ThreadPoolExecutor(2) as pool:
            codes = sorted(pool.map(claim, [alice, bob]))
        assert codes == [200, 409]
        owner = c.status()["conversation"]["agent"]
        assert owner in ("alice", "bob")


def test_an_agent_at_capacity_cannot_claim_more(customer_factory, hub):
    from tests.conftest import PASSWORD, AgentClient, run_cli

    assert run_cli("-m", "handoff", "add", "carol", "--name", "Carol", "--password", PASSWORD, "--capacity", "1").returncode == 0
    carol = AgentClient(hub, "carol")
    first, second = customer_factory("en"), customer_factory("en")
    first.say("I want to talk to a person")
    second.say("I want to talk to a person")
    assert carol.post(f"/conversations/{first.id}/claim").status_code == 200
    refused = carol.post(f"/conversations/{second.id}/claim")
    assert refused.status_code == 409 and "maximum" in refused.json()["detail"]
    assert carol.post(f"/conversations/{first.id}/resolve").status_code == 200
    assert carol.post(f"/conversations/{second.id}/claim").status_code == 200


def test_a_claim_sent_again_after_its_hub_died_is_the_agents_with_its_ticket(customer_factory, agent_factory, settings):
    """The agent's claim reached the hub, which died after the chat became theirs (that step is atomic, with the
    customer's "has joined" line) and before its ticket did; the console sends the claim again. It used to be
    refused ("conversation is assigned", to its own agent) and the ticket stayed unassigned, "new", for good."""
    import asyncio

    from core.redis import Keys, sync_client
    from tickets.worker import desk_for_jobs

    alice = agent_factory("alice")
    c = customer_factory("en")
    assert c.say("I want to talk to a person")["conversation"]["status"] == "queued"

    async def claimed_then_died() -> None:
        desk, close = desk_for_jobs()
        try:
            assert await desk.queue.claim(c.id, await desk.agents.get("alice"))
        finally:
            await close()

    asyncio.run(claimed_then_died())
    again = alice.post(f"/conversations/{c.id}/claim")
    assert again.status_code == 200, again.text
    r, keys = sync_client(settings), Keys(settings.key_prefix)
    ticket = r.hgetall(keys.ticket(again.json()["conversation"]["ticket_id"]))
    assert (ticket["assignee"], ticket["status"]) == ("alice", "open")
    joined = [m for m in c.transcript() if m["sender"] == "system" and m["meta"].get("kind") == "assigned"]
    assert len(joined) == 1
    assert agent_factory("bob").post(f"/conversations/{c.id}/claim").status_code == 409  # someone else's still refused


def test_a_customer_who_leaves_the_queue_while_the_ticket_is_being_opened_leaves_no_open_ticket(customer_factory, settings):
    """The customer pressed "back to the bot" the instant the chat entered the queue, before the hand-over had opened
    its ticket (a busy hub): leaving found no ticket to close, and the hand-over then opened one, "new", for a chat
    back with the bot: its SLA clocks ran and breached, alerting supervisors about a customer nobody owed anything."""
    import asyncio

    from core.redis import Keys, sync_client
    from handoff.models import HandoffPacket
    from tickets.worker import desk_for_jobs

    c = customer_factory("en")
    c.say("hello")
    packet = HandoffPacket(reason="customer_request", language="en", summary="wants a person", last_customer_message="a person please")

    async def hand_over(step: str) -> int | None:
        desk, close = desk_for_jobs()
        try:
            conv = await desk.conversations.require(c.id)
            if step == "queue":
                await desk.conversations.save_packet(c.id, packet)
                return await desk.queue.escalate(conv, packet, epoch=conv.epoch)
            await desk.queued(conv, packet, int(step))
        finally:
            await close()

    epoch = asyncio.run(hand_over("queue"))
    assert c.hub.post(f"/api/conversations/{c.id}/cancel", headers=c.headers).status_code == 200
    asyncio.run(hand_over(str(epoch)))  # the rest of the hand-over, a moment later
    conversation = c.status()["conversation"]
    r, keys = sync_client(settings), Keys(settings.key_prefix)
    assert conversation["status"] == "bot" and conversation["ticket_id"]
    assert r.hget(keys.ticket(conversation["ticket_id"]), "status") == "closed"
    assert r.zscore(keys.tickets_active, conversation["ticket_id"]) is None
    assert not [m for m in c.transcript() if m["sender"] == "system" and m["meta"].get("kind") in ("queued", "offline")]
