"""What the desk's sweep mends (``TicketDesk.sweep``): a hand-over cut short between the chat's step and its ticket's
(the ticket, the customer's "had to step away", the SLA jobs of clocks that run again, the chats of a removed
account), and a waiting chat whose "an agent is free" event was missed; and that one hub worker sweeps at a time. The cuts are left the way a dead hub leaves them: the
chat's atomic step done on the suite's Redis by a desk of the test's own, the steps after it never run."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import time

import httpx
import redis
from rq.job import Job

from core.redis import Keys, sync_client
from tests.clients import PASSWORD, AgentClient, Customer, run_cli, start_hub, wait_for
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


def _events(settings, since: float, *types: str) -> list[dict]:
    r = sync_client(settings)
    found = [json.loads(f["e"]) for _, f in r.xrange(Keys(settings.key_prefix).events, f"{int(since * 1000)}-0", "+")]
    return [e for e in found if e["type"] in types]


def _told_stepped_away(c: Customer) -> list[dict]:
    return [m for m in c.transcript() if m["sender"] == "system" and m["meta"].get("kind") == "requeued"]


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


def test_a_ticket_pending_the_customer_taken_over_by_a_hub_that_died_before_scheduling_its_clocks_still_warns_and_breaches(
        stack, settings, only):
    """Alice's ticket waited for the customer (its clocks paused); she transferred it to Bob, and the hub died between
    the ticket's write (open, the clocks running again, due later by the pause) and scheduling their jobs. The due
    times were on the ticket, but no warning and no breach ever came: the supervisors never heard of it. Now the write
    leaves a trace the sweep finishes (the running clocks' jobs scheduled), and a late step scheduling them too adds no
    second alert."""
    only("alice")
    policies = [{"name": "fast", "first_response_seconds": 3600, "resolution_seconds": 20, "business_hours_only": False, "warn_fraction": 0.5}]
    proc, url = start_hub(settings.rasa_port, timeout=15, CS_SLA_POLICIES=json.dumps(policies))  # the clocks start on it
    since = time.time()
    try:
        with httpx.Client(base_url=url, timeout=60) as client:
            c = Customer(client, "en")
            ref = c.say("I want to talk to a person")["conversation"]["ticket_ref"]
            assert wait_for(lambda: c.status()["conversation"]["agent"] == "alice", 30), c.status()
            assert AgentClient(client, "alice").post(f"/tickets/{ref}/status", {"status": "pending_customer"}).status_code == 200
    finally:
        proc.terminate()
        proc.wait(20)

    class HubDied(Exception):
        pass

    async def transfer_without_scheduling(desk):
        async def dies(ticket):
            raise HubDied()

        desk._schedule_clocks = dies  # the ticket is written, the hub dies before its clocks' jobs are scheduled
        try:
            await desk.transfer(await desk.conversations.require(c.id), "alice", "bob")
        except HubDied:
            pass
        return await desk.tickets.get((await desk.conversations.require(c.id)).ticket_id)

    ticket = _with_desk(transfer_without_scheduling)
    assert (ticket.status, ticket.assignee, ticket.sla.clocks["resolution"].state) == ("open", "bob", "running")
    version = ticket.sla.clocks["resolution"].version
    breach_job = Job.key_for(f"sla-{ticket.id}-resolution-{version}-breach")  # as the desk names it: one per clock and version
    assert wait_for(lambda: sync_client(settings).exists(breach_job), DEADLINE), "the sweep scheduled no job for the running clock"

    async def late_step(desk):  # the real step lands after all (another worker finishing it): the same jobs, no others
        await desk._schedule_clocks(await desk.tickets.get(ticket.id))

    _with_desk(late_step)
    breached = wait_for(lambda: [e for e in _events(settings, since, "sla_breached") if e["ticket"] == ref], DEADLINE)
    assert [e["clock"] for e in breached] == ["resolution"]
    assert breached[0]["due_at"] == ticket.sla.clocks["resolution"].due_at  # the due time the ticket said
    warned = [e for e in _events(settings, since, "sla_warning") if e["ticket"] == ref and e["clock"] == "resolution"]
    assert len(warned) <= 1  # warned before the pause, or after: once


def test_a_customer_whose_agent_left_is_told_once_when_the_hub_died_right_after_putting_the_chat_back(hub, only, settings):
    """Alice went offline; her hub put her chat back in the queue and died before telling the customer and before the
    ticket's step. The sweep mended the ticket and Bob took the chat, but the customer never heard that Alice had to
    step away. Now the sweep's mend tells them, once, whichever of it and a late step of the dead hub writes it."""
    c = _pushed_to_alice(hub, only)
    r, keys = sync_client(settings), Keys(settings.key_prefix)
    r.hset(keys.agent("alice"), "presence", "offline")

    async def requeue_chat_step_only(desk):
        epoch = await desk.queue.requeue(await desk.conversations.require(c.id), "alice")
        assert epoch
        return epoch

    epoch = _with_desk(requeue_chat_step_only)
    assert c.status()["conversation"]["status"] == "queued" and not _told_stepped_away(c)
    told = wait_for(lambda: _told_stepped_away(c), DEADLINE)
    assert len(told) == 1 and told[0]["text"].startswith("Alice had to step away."), told

    async def late_notice(desk):  # the dead hub's own notice, landing after the sweep's
        await desk._tell_stepped_away(await desk.conversations.require(c.id), "Alice", epoch)

    _with_desk(late_notice)
    AgentClient(hub, "bob", console=True)
    assert wait_for(lambda: c.status()["conversation"]["agent"] == "bob", DEADLINE), c.status()
    assert len(_told_stepped_away(c)) == 1


def test_the_chats_of_an_account_removed_by_a_hub_that_died_before_moving_them_go_back_to_the_queue(hub, only, settings):
    """An admin removed Dora's account; the hub died after the removal and before her chats went back to the queue.
    The sweep walks the accounts there are: Dora's chat stayed hers, an account that no longer existed, and its
    customer waited for nobody. Now the removal leaves a trace the sweep finishes: the chat goes back and on to Bob,
    the customer told Dora had to step away, and the trace is gone."""
    assert run_cli("-m", "handoff", "add", "dora", "--name", "Dora", "--password", PASSWORD, "--capacity", "5").returncode == 0
    only("dora")
    c = Customer(hub, "en")
    c.say("I want to talk to a person")
    assert wait_for(lambda: c.status()["conversation"]["agent"] == "dora", 30), c.status()
    r, keys = sync_client(settings), Keys(settings.key_prefix)

    async def remove_only(desk):
        assert await desk.agents.remove("dora")  # the admin route's first step; the hub dies before the chats move

    _with_desk(remove_only)
    AgentClient(hub, "bob")
    assert wait_for(lambda: c.status()["conversation"]["agent"] == "bob", DEADLINE), c.status()
    assert wait_for(lambda: _ticket(settings, c).get("assignee") == "bob", DEADLINE), _ticket(settings, c)
    told = _told_stepped_away(c)
    assert len(told) == 1 and told[0]["text"].startswith("Dora had to step away"), told
    assert wait_for(lambda: not r.hexists(keys.agents_departed, "dora"), DEADLINE)
    assert not r.smembers(keys.agent_chats("dora"))


def _sweeps(r, keys) -> list[tuple[int, str, int]]:
    """The sweeps recorded: (Redis time taken, ms; worker; lock hold, ms)."""
    return [(int(entry_id.split("-")[0]), f["worker"], int(f["hold_ms"])) for entry_id, f in r.xrange(keys.desk_sweeps)]


def _swept_count(url: str) -> float:
    text = httpx.get(f"{url}/metrics", timeout=30).text
    return sum(float(line.split()[-1]) for line in text.splitlines() if line.startswith("cs_desk_sweeps_total "))


def test_one_hub_worker_sweeps_at_a_time_and_another_takes_over_when_it_is_killed(stack, settings, valkey_url):
    """Two hub workers on one Valkey sweep every half second: each sweep is taken under the lock, so no two start
    within the lock's hold of each other (both sweeping each tick would), each worker's /metrics counts the sweeps it
    ran, and when the worker holding the lock is killed (-9, mid-hold) the other goes on sweeping alone."""
    r, keys = redis.Redis.from_url(valkey_url, decode_responses=True), Keys(settings.key_prefix)
    env = {"REDIS_URL": valkey_url, "CS_DESK_SWEEP_SECONDS": "0.5", "CS_HUB_WORKERS": "1"}
    hubs = [start_hub(settings.rasa_port, timeout=15, **env) for _ in range(2)]
    try:
        workers = {f"{socket.gethostname()}:{proc.pid}": (proc, url) for proc, url in hubs}
        assert wait_for(lambda: len(_sweeps(r, keys)) >= 12, DEADLINE), _sweeps(r, keys)
        before = _sweeps(r, keys)
        counted = {worker: _swept_count(url) for worker, (_, url) in workers.items()}
        after = _sweeps(r, keys)
        assert {w for _, w, _ in after} <= set(workers)
        for worker, n in counted.items():  # each worker's metric: the sweeps recorded as its own
            assert sum(w == worker for _, w, _ in before) - 1 <= n <= sum(w == worker for _, w, _ in after), (worker, n, after)
        assert sum(counted.values()) >= 12

        holder = wait_for(lambda: r.get(keys.desk_sweep_lock), DEADLINE, step=0.01)
        victim, (survivor_proc, survivor_url) = holder, next(v for w, v in workers.items() if w != holder)
        os.kill(workers[victim][0].pid, signal.SIGKILL)
        workers[victim][0].wait(20)
        seconds, micros = r.time()
        killed_at = int(seconds) * 1000 + int(micros) // 1000
        assert wait_for(lambda: len([s for s in _sweeps(r, keys) if s[0] > killed_at]) >= 4, DEADLINE), _sweeps(r, keys)
        sweeps = _sweeps(r, keys)
        assert {w for t, w, _ in sweeps if t > killed_at} == {f"{socket.gethostname()}:{survivor_proc.pid}"}
        # Never two at once: each sweep began after the one before had let the lock go (its hold, by Redis's clock).
        for (t0, w0, hold), (t1, w1, _) in zip(sweeps, sweeps[1:]):
            assert t1 - t0 >= hold - 5, (t0, w0, t1, w1, hold)
    finally:
        for proc, _ in hubs:
            if proc.poll() is None:
                proc.terminate()
                proc.wait(20)
