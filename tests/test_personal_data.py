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

from core.audit import AuditLog
from core.identity import sign_identity
from core.redis import Keys, sync_client
from tests.clients import AgentClient, Customer, run_cli

# Chats wait in the queue for an agent to claim them (the desk's push assignment is tested in test_service_desk.py).
pytestmark = pytest.mark.usefixtures("manual_assignment")

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
