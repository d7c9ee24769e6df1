"""``./cs demo --wipe`` through the real stack: everything the demo made goes (its conversations with their events,
tickets and facts, its accounts, its share of the figures), and a real conversation beside it stays.

Played in a key namespace of its own (``CS_KEY_PREFIX``) on the suite's Valkey, Rasa and action server, so the
session's own simulated history (the ``demo_history`` fixture other modules read) is not wiped with it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import httpx
import pytest

from core.redis import Keys, sync_client
from tests.clients import ROOT, Customer, start_hub

PREFIX = "cs-wipe-test"


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=ROOT, env={**os.environ, "CS_KEY_PREFIX": PREFIX}, capture_output=True, text=True, timeout=900)


@pytest.fixture
def demo_hub(stack, settings):
    r, keys = sync_client(settings), Keys(PREFIX)
    for key in r.scan_iter(f"{PREFIX}:*"):
        r.delete(key)
    proc, url = start_hub(settings.rasa_port, settings.rasa_timeout_seconds, CS_DEMO_CLOCK="true", CS_KEY_PREFIX=PREFIX)
    try:
        with httpx.Client(base_url=url, timeout=60) as http:
            yield http, r, keys
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        for key in r.scan_iter(f"{PREFIX}:*"):
            r.delete(key)
        r.close()


# Two days of history, read over the last 7: "today" alone starts at the shop's midnight (Asia/Shanghai, 16:00 UTC),
# and a run in the hour after it simulated nobody (the demo only plays customers up to ten minutes ago).
DAYS, PERIOD = "2", "7d"


def _summary(http: httpx.Client, token: str) -> dict:
    r = http.get("/api/analytics/summary", params={"period": PERIOD}, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.text
    return r.json()


def _event_conversations(r, keys: Keys) -> set[str]:
    return {json.loads(fields["e"]).get("conversation_id") for _, fields in r.xrange(keys.events)} - {None}


def test_wipe_removes_the_simulated_history_and_keeps_a_real_conversation(demo_hub):
    http, r, keys = demo_hub
    real = Customer(http, "en")  # a real customer, on the real clock: not the demo's
    real.say("I want to talk to a person please")
    assert http.post(f"/api/conversations/{real.id}/handoff", headers=real.headers).status_code in (200, 409)

    done = _cli("-m", "demo", "--days", DAYS, "--per-day", "8", "--parallel", "2", "--hub", str(http.base_url))
    assert done.returncode == 0, done.stderr + done.stdout
    simulated = set(r.smembers(keys.demo_conversations))
    assert len(simulated) >= 3 and real.id not in simulated
    demo_tickets = {t for t in r.zrange(keys.tickets_all, 0, -1) if r.hget(keys.ticket(t), "conversation_id") in simulated}
    assert demo_tickets, "the demo escalates some of its customers: tickets to wipe"
    real_tickets = {t for t in r.zrange(keys.tickets_all, 0, -1) if r.hget(keys.ticket(t), "conversation_id") == real.id}
    accounts = json.loads(r.hget(keys.demo_info, "accounts"))
    demo_customers = {r.hget(keys.conv(cid), "customer_id") for cid in simulated} - {None, ""}
    real_customer = r.hget(keys.conv(real.id), "customer_id")
    assert demo_customers and real_customer not in demo_customers
    supervisor = _cli("-m", "handoff", "add", "wipe-sup", "--name", "Wipe", "--role", "supervisor", "--password", "wipe-supervisor-pass-9")
    assert supervisor.returncode == 0, supervisor.stderr
    token = http.post("/api/agent/login", json={"username": "wipe-sup", "password": "wipe-supervisor-pass-9"}).json()["token"]
    before = _summary(http, token)
    assert before["simulated"] is True and before["current"]["volume"]["conversations"] == len(simulated) + 1
    assert simulated <= _event_conversations(r, keys)

    wiped = _cli("-m", "demo", "--wipe")
    assert wiped.returncode == 0, wiped.stderr + wiped.stdout
    assert "wiped the simulated data" in wiped.stdout

    # the simulated conversations, their tickets, events, facts and drill-down entries, and the demo accounts: gone
    for cid in simulated:
        assert not r.exists(keys.conv(cid)) and not r.exists(keys.transcript(cid)), cid
        assert r.zscore(keys.conversations, cid) is None
    assert not _event_conversations(r, keys) & simulated
    assert not demo_tickets & set(r.zrange(keys.tickets_all, 0, -1)) and not any(r.exists(keys.ticket(t)) for t in demo_tickets)
    assert not set(r.hkeys(keys.analytics_days)) & simulated
    indexed = set()
    for key in r.scan_iter(f"{PREFIX}:analytics:index:*"):
        indexed |= set(r.zrange(key, 0, -1))
    assert indexed == {real.id}
    assert not r.exists(keys.demo_info) and not r.exists(keys.demo_conversations)
    for username in accounts:
        assert not r.sismember(keys.agents, username), username
    for customer_id in demo_customers:  # the made-up customers' records, with their identities
        assert not r.exists(keys.customer_record(customer_id)) and not r.exists(keys.customer_record_identities(customer_id)), customer_id
    assert not demo_customers & set(r.hvals(keys.customer_identities))

    # the figures: only the real conversation is left, and nothing says "simulated" any more
    after = _summary(http, token)
    assert after["simulated"] is False
    assert after["current"]["volume"]["conversations"] == 1 and after["current"]["humans"]["escalated"] == 1
    listed = http.get("/api/analytics/conversations", params={"period": PERIOD, "figure": "conversations"}, headers={"Authorization": f"Bearer {token}"}).json()
    assert listed["total"] == 1 and [row["conversation_id"] for row in listed["conversations"]] == [real.id]

    # the real conversation: intact, with its transcript, events, facts and ticket
    assert r.exists(keys.conv(real.id)) and any(m["sender"] == "customer" for m in real.transcript())
    assert real.id in _event_conversations(r, keys)
    assert r.hget(keys.analytics_days, real.id)
    assert real_tickets <= set(r.zrange(keys.tickets_all, 0, -1))
    if real_customer:
        assert r.exists(keys.customer_record(real_customer)) or r.exists(keys.customer_record_identities(real_customer))
