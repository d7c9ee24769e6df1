"""Personal data through the real stack: masked before it reaches the transcript, Rasa's tracker, the handoff
packet, content gaps, events, logs and Redis's files; revealed only to whom may see it, and audited; exported to the
customer it belongs to; erased everywhere on request or by retention."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import httpx
import pytest
import redis

from core.audit import AuditLog
from core.identity import sign_identity
from core.redis import Keys, redis_url, sync_client
from tests.clients import AgentClient, Customer, run_cli

# Chats wait in the queue for an agent to claim them (the desk's push assignment is tested in test_service_desk.py).
pytestmark = pytest.mark.usefixtures("manual_assignment")

# Other tests use other numbers: ``mentions_left`` scans every key of the session's Valkey, not only this test's.
PHONE, ID_CARD, CARD = "13812345678", "110101199003077777", "6222020200112233445"
SENSITIVE = f"我的手机号{PHONE}，身份证{ID_CARD}，卡号{CARD}，快递一直没到"
RAW = (PHONE, ID_CARD, CARD)


def everything_on_disk(var: Path) -> str:
    """Redis's append-only and snapshot files and every log, as one string to search."""
    files = [*var.glob("redis/**/*"), *var.glob("logs/*.log")]
    return "\n".join(p.read_bytes().decode("utf-8", "replace") for p in files if p.is_file())


def wait_for_rewrite(r) -> None:
    for _ in range(100):
        info = r.info("persistence")
        if not info.get("aof_rewrite_in_progress") and not info.get("aof_rewrite_scheduled"):
            return
        time.sleep(0.1)


@pytest.fixture
def r(settings):
    return sync_client(settings)


def test_personal_data_is_masked_everywhere_it_goes(hub, customer_factory, agent_factory, settings, r):
    c = customer_factory("zh")
    sent = c.say(SENSITIVE)
    assert sent["message"]["text"] == "我的手机号138****5678，身份证110101********7777，卡号**** 3445，快递一直没到"
    assert sent["message"]["meta"]["pii"] == ["bank_card", "id_card", "phone"]
    c.say("转人工")
    agent = agent_factory("alice")
    detail = agent.post(f"/conversations/{c.id}/claim").json()
    tracker = httpx.get(f"{settings.rasa_url}/conversations/{c.id}/tracker", params={"token": settings.secret("rasa-token")}).json()
    gaps = hub.get("/api/kb/gaps", headers=AgentClient(hub, "erin").headers).json()
    events = [fields["e"] for _, fields in r.xrange(Keys(settings.key_prefix).events)]
    time.sleep(1.5)  # appendfsync everysec
    for where, text in {"transcript": json.dumps(c.transcript(), ensure_ascii=False), "agent view": json.dumps(detail, ensure_ascii=False),
                        "Rasa tracker": json.dumps(tracker, ensure_ascii=False), "content gaps": json.dumps(gaps, ensure_ascii=False),
                        "events": "\n".join(events), "Redis files and logs": everything_on_disk(settings.var_dir)}.items():
        for value in RAW:
            assert value not in text, f"{value} found in the {where}"
    assert "138****5678" in json.dumps(detail["packet"], ensure_ascii=False)  # the packet carries the masked summary


def test_only_the_chats_agent_or_a_supervisor_may_reveal_and_every_reveal_is_audited(hub, customer_factory, agent_factory, settings, r):
    c = customer_factory("zh")
    mid = c.say(SENSITIVE)["message"]["id"]
    c.say("转人工")
    owner, other = agent_factory("alice"), agent_factory("bob")
    assert other.post(f"/conversations/{c.id}/messages/{mid}/reveal").status_code == 403  # before the claim: nobody's
    assert owner.post(f"/conversations/{c.id}/claim").status_code == 200
    assert other.post(f"/conversations/{c.id}/messages/{mid}/reveal").status_code == 403
    editor = AgentClient(hub, "erin")
    assert hub.post(f"/api/agent/conversations/{c.id}/messages/{mid}/reveal", headers=editor.headers).status_code == 403
    shown = owner.post(f"/conversations/{c.id}/messages/{mid}/reveal")
    assert shown.status_code == 200 and shown.json()["text"] == SENSITIVE
    entries = AuditLog(Keys(settings.key_prefix), sync=r).entries_sync()
    assert any(e["action"] == "pii_revealed" and e["actor"] == "alice" and e["target"] == c.id and e["message_id"] == mid for e in entries)


def test_a_customer_gets_their_data_and_can_have_it_erased_everywhere(hub, settings, r, agents):
    ref = f"cust-{uuid.uuid4().hex[:8]}"
    identity = {"ref": ref, "tier": "standard", "name": "Wang Fang"}
    started = hub.post("/api/conversations", json={"language": "zh", "customer": {**identity, "signature": sign_identity(settings.secret("identity-secret"), **identity)}}).json()
    c = Customer.__new__(Customer)
    c.hub, c.id, c.headers = hub, started["conversation_id"], {"Authorization": f"Bearer {started['token']}"}
    marker = f"独特的话{uuid.uuid4().hex[:6]}"
    c.say(f"{SENSITIVE} {marker}")
    c.say("这个问题机器人答不了：火星上能送货吗")  # a fallback: leaves a content-gap record
    assert r.exists(Keys.rasa_tracker(c.id))

    out = settings.var_dir / "export.json"
    proc = run_cli("-m", "privacy", "export", "--customer", ref, "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    exported = json.loads(out.read_text())
    assert [conv["conversation"]["id"] for conv in exported["conversations"]] == [c.id]
    assert any(SENSITIVE in m["text"] for m in exported["conversations"][0]["messages"])  # their own data, unmasked for them
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    out.unlink()
    audit_out = settings.var_dir / "audit.jsonl"  # the audit log names whose data was exported, revealed and erased
    proc = run_cli("-m", "privacy", "audit", "--out", str(audit_out))
    assert proc.returncode == 0, proc.stderr
    assert "pii_exported" in audit_out.read_text()
    assert oct(audit_out.stat().st_mode & 0o777) == "0o600", "the audit export is readable by every user of the machine"
    audit_out.unlink()

    proc = run_cli("-m", "privacy", "delete", "--customer", ref, "--yes")
    assert proc.returncode == 0 and "erased 1 conversation" in proc.stdout, proc.stdout + proc.stderr
    assert hub.get(f"/api/conversations/{c.id}", headers=c.headers).status_code == 404
    assert [k for k in r.scan_iter(f"*{c.id}*", count=1000)] == []  # nothing keyed by it: transcript, tracker, packet, turns...
    everywhere = [fields for stream in (Keys(settings.key_prefix).events, f"{Keys(settings.key_prefix).kb('default')}:gaps") for _, fields in r.xrange(stream)]
    assert c.id not in json.dumps(everywhere)  # no event, no content gap refers to it
    wait_for_rewrite(r)
    time.sleep(1.5)
    assert marker not in everything_on_disk(settings.var_dir)  # gone from Redis's files too
    entries = AuditLog(Keys(settings.key_prefix), sync=r).entries_sync()
    assert any(e["action"] == "pii_exported" and e["target"] == ref for e in entries)
    assert any(e["action"] == "customer_erased" and e["target"] == ref for e in entries)


def test_retention_purges_what_is_old_or_abandoned_and_keeps_live_chats(hub, customer_factory, settings, r):
    keys = Keys(settings.key_prefix)
    old, abandoned, waiting, recent = (customer_factory("en") for _ in range(4))
    old.say("hello")
    waiting.say("I want to talk to a person")
    recent.say("hello")
    long_ago = time.time() - 400 * 86400
    for c in (old, abandoned, waiting):  # as if they had been untouched for 400 days
        r.hset(keys.conv(c.id), mapping={"created_at": long_ago, "updated_at": long_ago})
        r.zadd(keys.conversations, {c.id: long_ago})
    proc = run_cli("-m", "privacy", "purge")
    assert proc.returncode == 0, proc.stderr
    assert not r.exists(keys.conv(old.id)) and not r.exists(keys.transcript(old.id)) and not r.exists(Keys.rasa_tracker(old.id))
    assert not r.exists(keys.conv(abandoned.id))
    assert r.exists(keys.conv(waiting.id))  # with a human (queued): kept until it is closed
    assert r.exists(keys.conv(recent.id))


def flat(value) -> bytes:
    """Every string in a Redis reply (a hash, a list of stream entries...), joined."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, dict):
        return b"\n".join(flat(k) + b"=" + flat(v) for k, v in value.items())
    if isinstance(value, (list, tuple, set)):
        return b"\n".join(flat(v) for v in value)
    return str(value).encode()


def mentions_left(settings, needles: dict[str, str]) -> list[str]:
    """Every key under the prefix whose name or value contains one of ``needles`` ("what in key"), and every key
    anywhere (rq's job records too) whose name does. The audit log is left out: an erasure's own audit line names its
    target, on purpose (who erased whom, when)."""
    raw = redis.Redis.from_url(redis_url(settings))  # bytes: the knowledge base's keys hold binary vectors
    keys, found = Keys(settings.key_prefix), []
    read = {"string": lambda k: raw.get(k), "hash": lambda k: raw.hgetall(k), "list": lambda k: raw.lrange(k, 0, -1),
            "set": lambda k: raw.smembers(k), "zset": lambda k: raw.zrange(k, 0, -1), "stream": lambda k: raw.xrange(k)}
    try:
        for key in raw.scan_iter(count=1000):
            text = key
            if key.decode("utf-8", "replace").startswith(f"{settings.key_prefix}:") and key.decode() != keys.audit:
                text += b"\n" + flat(read.get(raw.type(key).decode(), lambda k: b"")(key))
            found += [f"{what} in {key.decode('utf-8', 'replace')}" for what, needle in needles.items() if needle.encode() in text]
    finally:
        raw.close()
    return found


@pytest.mark.parametrize("by", ["conversation", "identity"])
def test_erasure_takes_the_customers_tickets_and_notes_and_the_export_holds_them(hub, settings, r, agent_factory, supervisor, by):
    keys = Keys(settings.key_prefix)
    phone, email = f"139{uuid.uuid4().int % 10**8:08d}", f"c{uuid.uuid4().hex[:8]}@example.com"
    complaint, note = f"投诉{uuid.uuid4().hex[:6]}：快递丢了", f"called {phone}, note-{uuid.uuid4().hex[:6]}"
    c = Customer(hub, "zh")
    c.say(f"我的手机号{phone}，邮箱{email}。{complaint}")
    ref = c.say("转人工")["conversation"]["ticket_ref"]
    agent = agent_factory("alice")
    assert agent.post(f"/conversations/{c.id}/claim").status_code == 200
    assert hub.post(f"/api/conversations/{c.id}/contact", json={"contact": phone}, headers=c.headers).status_code == 200
    assert agent.post(f"/tickets/{ref}/notes", {"text": note}).status_code == 201
    ticket_id = r.hget(keys.conv(c.id), "ticket_id")
    boss = AgentClient(hub, supervisor)
    listed = lambda: [t["ticket"]["ref"] for t in boss.get("/tickets?view=all").json()]  # noqa: E731  (it is active: open)
    assert ref in listed() and boss.get(f"/tickets/{ref}").status_code == 200
    target = ["--conversation", c.id] if by == "conversation" else ["--identity", f"phone:{phone}"]

    out = settings.var_dir / f"export-{by}.json"
    proc = run_cli("-m", "privacy", "export", *target, "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    exported = json.loads(out.read_text())
    out.unlink()
    [conv] = [conv for conv in exported["conversations"] if conv["conversation"]["id"] == c.id]
    [mine] = conv["tickets"]
    assert mine["ticket"]["ref"] == ref and mine["ticket"]["contact"] == f"+86{phone}" and mine["ticket"]["status"] in ("new", "open")
    assert [n["text"] for n in mine["internal_notes"]] == [note]

    proc = run_cli("-m", "privacy", "delete", *target, "--yes")
    assert proc.returncode == 0 and "1 ticket(s)" in proc.stdout, proc.stdout + proc.stderr
    left = mentions_left(settings, {"conversation id": c.id, "ticket id": ticket_id, "ticket number": ref, "phone": phone, "e-mail": email,
                                    "complaint": complaint, "note": note})
    assert left == []
    assert ref not in listed()
    assert boss.get(f"/tickets/{ref}").status_code == 404 and boss.get(f"/tickets/{ticket_id}").status_code == 404


def test_an_erased_conversation_leaves_no_ghost_in_the_figures_whatever_was_still_in_flight(hub, settings, r, supervisor):
    """A hub worker still busy with the conversation when it is erased (the bot was thinking; a customer message had
    passed its token check) finishes its turn afterwards: its events, its dropped reply, the message it stores. None of
    that may bring the conversation back: not in today's figures (it counted as a conversation again, a startless
    "ghost"), not in Redis."""
    import asyncio

    from core.errors import UnknownConversation
    from core.redis import async_client
    from handoff.conversations import ConversationStore, Guard
    from handoff.events import Event

    boss = AgentClient(hub, supervisor)
    today = lambda: hub.get("/api/analytics/summary", params={"period": "today"}, headers=boss.headers).json()["current"]["volume"]["conversations"]  # noqa: E731
    before = today()
    c = Customer(hub, "en")
    c.say(f"hello, my number is {PHONE}")
    assert today() == before + 1  # folded into the rollup: the erasure has facts to remove
    proc = run_cli("-m", "privacy", "delete", "--conversation", c.id, "--yes")
    assert proc.returncode == 0 and "erased 1 conversation" in proc.stdout, proc.stdout + proc.stderr

    async def the_turn_finishes() -> None:  # what bot/orchestrator.py writes at the end of a turn begun before the erasure
        client = async_client(settings)
        try:
            store = ConversationStore(client, Keys(settings.key_prefix))
            await store.record_event(c.id, Event.CUSTOMER_MESSAGE, language="en", to="bot")
            assert await store.append(c.id, "bot", "Here is what I found", meta={"turn": "x"}, guard=Guard(frozenset({"bot"}), epoch=0),
                                      event=(Event.BOT_TURN, {"decision": "answer"})) is None
            await store.record_event(c.id, Event.BOT_TURN, decision="other", language="en")
            try:  # the hub answers 404: the conversation is gone
                await store.append_customer(c.id, f"still there? {PHONE}")
            except UnknownConversation:
                pass
        finally:
            await client.aclose()

    asyncio.run(the_turn_finishes())
    assert today() == before
    assert mentions_left(settings, {"conversation id": c.id, "phone": PHONE}) == []


def test_an_erasure_while_the_rollup_folds_is_not_undone_by_the_fold(stack, settings):
    """The analytics rollup reads a conversation's facts, folds its new events in, and writes the facts back. An
    erasure between the read and the write was undone by the write: the conversation was back in the figures, its
    rating comment with it. The erasure takes the rollup's lock: it waits for the fold, then removes what it wrote."""
    import asyncio
    import threading
    from zoneinfo import ZoneInfo

    from analytics.board import Dashboard
    from analytics.metrics import Filters, Targets
    from analytics.periods import resolve
    from analytics.rollup import Rollup
    from core.redis import async_client
    from handoff.conversations import ConversationStore
    from handoff.events import Event
    from privacy.erase import Eraser

    keys, utc = Keys(f"cs-erase-fold-{uuid.uuid4().hex[:8]}"), ZoneInfo("UTC")
    comment = f"rude agent {uuid.uuid4().hex[:6]}"
    erasures: list[threading.Thread] = []

    class ErasedMidFold(Rollup):
        """A fold during which the conversation is erased: after it read the stored facts, before it writes them."""

        def _folded(self, cids, *rest):
            folded = super()._folded(cids, *rest)
            if not erasures:
                erasure = threading.Thread(target=Eraser(sync_client(settings), keys, []).erase, args=(set(cids),))
                erasures.append(erasure)
                erasure.start()
                erasure.join(timeout=3)  # done by now, unless it waits for this fold to finish
            return folded

    async def scenario() -> tuple[object, dict, list[str]]:
        client = async_client(settings)
        try:
            store = ConversationStore(client, keys)
            conv, _ = await store.create("web", "en")
            await store.record_event(conv.id, Event.CUSTOMER_MESSAGE, language="en", to="bot")
            rollup = Rollup(client, keys, utc)
            await rollup.catch_up()  # its facts are stored
            await store.record_event(conv.id, Event.RATED, score=1, comment=comment, agent="alice")
            await ErasedMidFold(client, keys, utc).catch_up()
            await asyncio.to_thread(erasures[0].join)
            now = time.time()
            figures = await Dashboard(rollup, Targets(), utc).summary(resolve("today", None, None, utc, now), Filters(), now)
            read = {"hash": client.hgetall, "zset": lambda k: client.zrange(k, 0, -1), "set": client.smembers, "string": client.get,
                    "list": lambda k: client.lrange(k, 0, -1), "stream": client.xrange}
            left = [key async for key in client.scan_iter(f"{keys.p}:*") if conv.id in key + json.dumps(await read[await client.type(key)](key), default=list)]
            return await rollup.one(conv.id), figures["current"], left
        finally:
            await client.delete(*[key async for key in client.scan_iter(f"{keys.p}:*")])
            await client.aclose()

    facts, today, left = asyncio.run(scenario())
    assert facts is None and left == []
    assert today["volume"]["conversations"] == 0 and today["satisfaction"]["low_comments"] == []


@pytest.mark.parametrize("says", ["转人工", "这个问题机器人答不了：火星上能送货吗"], ids=["hand-over", "knowledge-base-miss"])
def test_an_erasure_while_the_bot_is_thinking_leaves_nothing_once_the_turn_ends(hub, settings, says):
    """The customer's message has reached the bot when the conversation is erased; Rasa answers afterwards. Rasa
    writes its tracker and lock for the turn, and the hub's turn, on Rasa's answer, would save the hand-over packet or
    record the question as a content gap. Once the turn has ended, nothing may be left that names the conversation."""
    import threading

    from tests.clients import RasaGate, start_hub

    c = Customer(hub, "zh")
    c.say(f"你好，我的手机号{PHONE}")  # Rasa has a tracker of it, the hub its bookkeeping
    with RasaGate(settings.rasa_url) as gate:
        proc, url = start_hub(gate.port, timeout=120)  # a hub worker whose Rasa we hold
        try:
            gate.hold(c.id)
            answered: list[httpx.Response] = []
            turn = threading.Thread(target=lambda: answered.append(
                httpx.post(f"{url}/api/conversations/{c.id}/messages", json={"text": says}, headers=c.headers, timeout=180)))
            turn.start()
            assert gate.arrived.wait(60), "the message never reached Rasa"
            erased = run_cli("-m", "privacy", "delete", "--conversation", c.id, "--yes")  # while the bot is thinking
            assert erased.returncode == 0 and "erased 1 conversation" in erased.stdout, erased.stdout + erased.stderr
            gate.release()  # Rasa handles the message now, and the hub's turn ends on its answer
            turn.join(180)
            assert answered, "the turn never ended"
            assert answered[0].status_code in (200, 404), answered[0].text  # the customer learns it is gone (or gets the last word)
        finally:
            proc.terminate()
            proc.wait(30)
    assert mentions_left(settings, {"conversation id": c.id, "phone": PHONE}) == []


def test_a_rasa_turn_the_hub_gave_up_on_does_not_write_an_erased_conversation_back(hub, settings):
    """The hub stops waiting for Rasa (rasa_timeout_seconds) and hands the customer to people; the conversation is
    then erased; Rasa, still on the message, finishes afterwards and saves its tracker. No turn of the hub's is left
    to clean up after it: the tracker must not be written back (it held the conversation for two days)."""
    import threading

    from tests.clients import RasaGate, start_hub, wait_for

    c = Customer(hub, "zh")
    c.say(f"你好，我的手机号{PHONE}")  # Rasa has a tracker of it
    r = sync_client(settings)
    assert r.exists(Keys.rasa_tracker(c.id))
    with RasaGate(settings.rasa_url) as gate:
        proc, url = start_hub(gate.port, timeout=2)  # a hub worker that gives up on Rasa after 2 s
        try:
            gate.hold(c.id)
            answered: list[httpx.Response] = []
            turn = threading.Thread(target=lambda: answered.append(
                httpx.post(f"{url}/api/conversations/{c.id}/messages", json={"text": "运费怎么算"}, headers=c.headers, timeout=60)))
            turn.start()
            assert gate.arrived.wait(60), "the message never reached Rasa"
            turn.join(60)
            assert answered and answered[0].status_code == 200, answered and answered[0].text  # the hub gave up on Rasa
            erased = run_cli("-m", "privacy", "delete", "--conversation", c.id, "--yes")
            assert erased.returncode == 0 and "erased 1 conversation" in erased.stdout, erased.stdout + erased.stderr
            gate.release()  # Rasa handles the message now, long after the hub's turn ended
            assert gate.passed.wait(120), "Rasa never answered the held message"
        finally:
            proc.terminate()
            proc.wait(30)
    assert mentions_left(settings, {"conversation id": c.id, "phone": PHONE}) == []


def test_what_a_worker_writes_about_a_conversation_after_its_erasure_is_not_written(hub, settings):
    """Each write the hub makes about a conversation, begun before its erasure and done after it: the hand-over packet,
    its fields (the ticket it got, the channel it replies on), the customer's vote on an answer, a content gap from it,
    the ticket a hand-over opens. None of them may make the conversation (or a record naming it) exist again."""
    import asyncio

    from core.errors import UnknownConversation
    from core.redis import async_client
    from handoff.conversations import ConversationStore
    from handoff.models import HandoffPacket, VotedAnswer
    from handoff.votes import AnswerVotes
    from kb.gaps import GapLog
    from tickets.store import TicketStore

    keys = Keys(settings.key_prefix)
    c = Customer(hub, "en")
    c.say(f"hello, my number is {PHONE}")
    question = f"can you ship to the moon {uuid.uuid4().hex[:6]}"
    proc = run_cli("-m", "privacy", "delete", "--conversation", c.id, "--yes")
    assert proc.returncode == 0 and "erased 1 conversation" in proc.stdout, proc.stdout + proc.stderr

    async def late_writes() -> dict:
        client = async_client(settings)
        try:
            store, tickets = ConversationStore(client, keys), TicketStore(client, keys)
            done = {
                "packet": await store.save_packet(c.id, HandoffPacket(reason="customer_request", summary=question, last_customer_message=question)),
                "fields": await store.set_fields(c.id, ticket_id="t-1", reply_channel="telegram", reply_to=PHONE),
                "vote": await AnswerVotes(client, keys).record(c.id, False, VotedAnswer(message_id="1-0", question=question, entry_id="shipping-en")),
                "gap": await asyncio.to_thread(GapLog(sync_client(settings), keys).record, question, "en", "fallback", c.id),
            }
            ticket = await tickets.create(conversation_id=c.id, channel="web", language="en", customer_id=None, customer_tier="standard",
                                          category="logistics", reason="customer_request", priority=0, summary=question, contact="")
            try:
                await tickets.save_new(ticket, {"reason": "customer_request"})
                done["ticket"] = True
            except UnknownConversation:
                done["ticket"] = False
            return done
        finally:
            await client.aclose()

    written = asyncio.run(late_writes())
    assert mentions_left(settings, {"conversation id": c.id, "phone": PHONE, "question": question}) == []
    assert written == {"packet": False, "fields": False, "vote": False, "gap": False, "ticket": False}  # each writer learns it is gone
