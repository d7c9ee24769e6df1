"""What the desk's sweep mends (``TicketDesk.sweep``): a hand-over cut short between the chat's step and its ticket's,
and a waiting chat whose "an agent is free" event was missed. The cuts are left the way a dead hub leaves them: the
chat's atomic step done on the suite's Redis by a desk of the test's own, the steps after it never run."""

from __future__ import annotations

import asyncio

from core.redis import Keys, sync_client
from tests.clients import PASSWORD, AgentClient, Customer, run_cli, wait_for
from tickets.worker import desk_for_jobs

DEADLINE = 60  # seconds: generous (a sweep every few seconds on a shared, loaded box); nothing here measures speed


def _with_desk(work):
    """Run ``work(desk)`` on a desk of its own, as another hub worker would, then drop it (the worker died)."""

    async def run():
        desk, close = desk_for_jobs()
        try:
            return await work(desk)
        finally:
            await close()

    return asyncio.run(run())


def _ticket(settings, c: Customer) -> dict:
    r, keys = sync_client(settings), Keys(settings.key_prefix)
    return r.hgetall(keys.ticket(c.status()["conversation"]["ticket_id"]))


def _pushed_to_alice(hub, only) -> Customer:
    only("alice")
    c = Customer(hub, "en")
    assert c.say("I want to talk to a person")["conversation"]["status"] in ("queued", "assigned")
    assert wait_for(lambda: c.status()["conversation"]["agent"] == "alice", 30), c.status()
    return c


def test_a_transfer_whose_hub_died_before_the_ticket_step_leaves_the_ticket_with_the_chats_agent(hub, only, settings):
    """Alice transferred the chat to Bob; the hub died after the chat's step (Bob has it, the customer was told) and
    before the ticket's. The ticket named Alice for good: her SLA alerts, her figures, a ticket Bob's list did not
    show as his. Now the sweep makes the ticket follow the chat, without anyone doing anything."""
    c = _pushed_to_alice(hub, only)
    AgentClient(hub, "bob")  # online, at a console

    async def transfer_chat_step_only(desk):
        await desk.queue.transfer(await desk.conversations.require(c.id), "alice", "bob")

    _with_desk(transfer_chat_step_only)
    assert c.status()["conversation"]["agent"] == "bob"
    assert wait_for(lambda: _ticket(settings, c).get("assignee") == "bob", DEADLINE), _ticket(settings, c)
    ticket = _ticket(settings, c)
    assert (ticket["status"], ticket["transfers"]) == ("open", "1")
    r, keys = sync_client(settings), Keys(settings.key_prefix)
    assert r.zscore(keys.agent_history("bob"), c.id) is not None  # in Bob's "recent" list, as after a whole transfer
    assert [m["meta"].get("kind") for m in c.transcript() if m["sender"] == "system"].count("transferred") == 1


def test_a_transfers_ticket_step_landing_after_the_next_transfer_names_who_has_the_chat(hub, only, settings):
    """Two moves of one chat whose ticket steps land in the other order: Alice's transfer to Bob reached its ticket
    step only after Bob had passed the chat on to Carol. The late step named Bob, while Carol had the chat."""
    assert run_cli("-m", "handoff", "add", "carol", "--name", "Carol", "--password", PASSWORD, "--capacity", "50").returncode == 0
    c = _pushed_to_alice(hub, only)
    bob = AgentClient(hub, "bob")
    AgentClient(hub, "carol")

    async def chat_step(desk):
        await desk.queue.transfer(await desk.conversations.require(c.id), "alice", "bob")

    _with_desk(chat_step)
    moved = bob.post(f"/conversations/{c.id}/transfer", {"to": "carol"})
    assert moved.status_code == 200, moved.text

    async def late_ticket_step(desk):
        await desk._assigned(c.id, "bob", by="alice")

    _with_desk(late_ticket_step)
    assert c.status()["conversation"]["agent"] == "carol"
    ticket = _ticket(settings, c)
    assert (ticket["assignee"], ticket["status"]) == ("carol", "open")
    assert int(ticket["transfers"]) <= 2  # the late step is no transfer of its own


def test_a_chat_put_back_in_the_queue_by_a_hub_that_died_before_its_ticket_step_goes_to_an_agent(hub, only, settings):
    """Alice went offline; her hub put her chat back in the queue (atomic) and died before the ticket's step. The
    ticket still said "open", Alice's: routing offers only waiting ("new") tickets, so the chat waited for good with
    Bob free. Now the ticket waits again and the chat goes to Bob."""
    c = _pushed_to_alice(hub, only)
    r, keys = sync_client(settings), Keys(settings.key_prefix)
    r.hset(keys.agent("alice"), "presence", "offline")

    async def requeue_chat_step_only(desk):
        assert await desk.queue.requeue(await desk.conversations.require(c.id), "alice")

    _with_desk(requeue_chat_step_only)
    assert c.status()["conversation"]["status"] == "queued"
    assert _ticket(settings, c)["assignee"] == "alice"
    AgentClient(hub, "bob", console=True)  # bob was away; signing in is an event, but the ticket stood in the way
    assert wait_for(lambda: c.status()["conversation"]["agent"] == "bob", DEADLINE), c.status()
    assert wait_for(lambda: _ticket(settings, c).get("assignee") == "bob", DEADLINE), _ticket(settings, c)
    assert _ticket(settings, c)["status"] == "open"


def test_a_waiting_chat_whose_agent_is_free_event_was_missed_is_offered_anyway(hub, only, settings):
    """Alice became available through a path that did not drain the queue (a hub restarted between her freeing a seat
    and the drain, a route that forgot it): the chat waited in the queue, Alice idle, until some other chat moved.
    Now the desk's sweep offers it, without the customer or Alice doing anything."""
    only("alice")
    r, keys = sync_client(settings), Keys(settings.key_prefix)
    r.hset(keys.agent("alice"), "presence", "away")
    c = Customer(hub, "en")
    assert c.say("I want to talk to a person")["conversation"]["status"] == "queued"
    assert _ticket(settings, c)["status"] == "new"
    r.hset(keys.agent("alice"), "presence", "online")  # available, and nothing told the desk
    assert wait_for(lambda: c.status()["conversation"]["agent"] == "alice", DEADLINE), c.status()
    ticket = _ticket(settings, c)
    assert (ticket["assignee"], ticket["status"]) == ("alice", "open")
    joined = [m for m in c.transcript() if m["sender"] == "system" and m["meta"].get("kind") == "assigned"]
    assert len(joined) == 1


def test_a_seat_freed_by_a_transfer_is_offered_the_first_waiting_chat_at_once(hub, only, settings):
    """The agent who gives a chat away has a seat free: nothing offered it (only resolving and agents coming online
    drained the queue), so the Chinese customer waiting for the one Chinese speaker waited on after she had room."""
    for name, skills in (("giver", ["en", "zh"]), ("taker", ["en"])):
        args = ["-m", "handoff", "add", name, "--name", name.title(), "--password", PASSWORD, "--capacity", "1" if name == "giver" else "5"]
        assert run_cli(*args, *[part for skill in skills for part in ("--skill", skill)]).returncode == 0
    only("giver")
    giver = AgentClient(hub, "giver")
    en = Customer(hub, "en")
    en.say("I want to talk to a person")
    assert wait_for(lambda: en.status()["conversation"]["agent"] == "giver", 30)
    zh = Customer(hub, "zh")
    zh.say("转人工")
    AgentClient(hub, "taker")  # online with room, but speaks no Chinese: the Chinese customer waits for the giver
    assert zh.status()["conversation"]["status"] == "queued"
    assert giver.post(f"/conversations/{en.id}/transfer", {"to": "taker"}).status_code == 200
    assert zh.status()["conversation"]["agent"] == "giver"  # by the time the transfer is answered, not a sweep later


def test_a_chat_left_with_an_agent_who_went_offline_goes_back_to_the_queue_and_on(hub, only, settings):
    """Dana signed out (or her last console closed for good): going offline and giving her chats back are two steps,
    and the hub died between them (or Alice's transfer reached her at the moment she left). Her chat stayed hers,
    offline: nothing routed it again, the customer waited for nobody. Now the sweep does what the presence check
    does, the chat goes back to the queue and on to Bob, and the ticket with it."""
    assert run_cli("-m", "handoff", "add", "dana", "--name", "Dana", "--password", PASSWORD, "--capacity", "5").returncode == 0
    c = _pushed_to_alice(hub, only)
    r, keys = sync_client(settings), Keys(settings.key_prefix)
    r.hset(keys.agent("dana"), "presence", "online")  # online through the API alone: transfers reach her, routing does not

    async def transfer_to_dana(desk):
        await desk.transfer(await desk.conversations.require(c.id), "alice", "dana")

    _with_desk(transfer_to_dana)
    assert _ticket(settings, c)["assignee"] == "dana"
    r.hset(keys.agent("alice"), "presence", "away")  # the chat is Bob's to take
    r.hset(keys.agent("dana"), "presence", "offline")  # signed out; the hub died before her chats went back
    AgentClient(hub, "bob")
    assert wait_for(lambda: c.status()["conversation"]["agent"] == "bob", DEADLINE), c.status()
    assert wait_for(lambda: _ticket(settings, c).get("assignee") == "bob", DEADLINE), _ticket(settings, c)
    assert not r.smembers(keys.agent_chats("dana"))
    told = [m["meta"].get("kind") for m in c.transcript() if m["sender"] == "system"]
    assert told.count("requeued") == 1, told  # the customer hears their agent left, once


def test_more_capacity_given_by_an_admin_is_offered_the_first_waiting_chat_at_once(hub, only, settings):
    """An admin raised a full agent's capacity: nothing offered her the waiting chat until another chat moved."""
    for name, role in (("narrow", "agent"), ("cap-admin", "admin")):
        assert run_cli("-m", "handoff", "add", name, "--name", name.title(), "--role", role, "--password", PASSWORD, "--capacity", "1").returncode == 0
    signed_in = hub.post("/api/agent/login", json={"username": "cap-admin", "password": PASSWORD, "take_chats": False})
    admin = {"Authorization": f"Bearer {signed_in.json()['token']}"}
    only("narrow")
    first, second = Customer(hub, "en"), Customer(hub, "en")
    first.say("I want to talk to a person")
    assert wait_for(lambda: first.status()["conversation"]["agent"] == "narrow", 30)
    second.say("I want to talk to a person")
    assert second.status()["conversation"]["status"] == "queued"  # she is full
    assert hub.patch("/api/admin/agents/narrow", json={"capacity": 2}, headers=admin).status_code == 200
    assert second.status()["conversation"]["agent"] == "narrow"  # by the time the change is answered, not a sweep later
