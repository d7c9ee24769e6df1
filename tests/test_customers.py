"""One customer record across visits and channels: the agent sees who the customer is and every earlier conversation,
links two records that are one person, and the customer's erasure removes the record too."""

from __future__ import annotations

import secrets

import pytest

from core.identity import sign_identity
from tests.clients import AgentClient, run_cli

# Chats wait in the queue for an agent to claim them (the desk's push assignment is tested in test_service_desk.py).
pytestmark = pytest.mark.usefixtures("manual_assignment")


def start(hub, visitor: str | None = None, signed: dict | None = None, settings=None) -> dict:
    body: dict = {"language": "en"}
    if visitor:
        body["visitor_id"] = visitor
    if signed:
        body["customer"] = {**signed, "signature": sign_identity(settings.secret("identity-secret"), **signed)}
    started = hub.post("/api/conversations", json=body)
    assert started.status_code == 201, started.text
    data = started.json()
    data["headers"] = {"Authorization": f"Bearer {data['token']}"}
    return data


def say(hub, conv: dict, text: str) -> dict:
    return hub.post(f"/api/conversations/{conv['conversation_id']}/messages", json={"text": text}, headers=conv["headers"]).json()


def test_a_returning_visitor_is_one_customer_and_the_agent_sees_their_history(hub, agents, settings):
    visitor = secrets.token_hex(16)
    first = start(hub, visitor)
    say(hub, first, "How much does shipping cost?")
    second = start(hub, visitor)
    assert first["conversation"]["customer_id"] == second["conversation"]["customer_id"]
    say(hub, second, "I want to talk to a person")
    agent = AgentClient(hub, "alice")
    assert agent.post(f"/conversations/{second['conversation_id']}/claim").status_code == 200
    view = agent.get(f"/conversations/{second['conversation_id']}/customer").json()
    assert [c["conversation"]["id"] for c in view["conversations"]] == [second["conversation_id"], first["conversation_id"]]
    assert "shipping" in view["conversations"][1]["need"].lower()
    # Another agent may not look at it.
    assert AgentClient(hub, "bob").get(f"/conversations/{first['conversation_id']}/customer").status_code == 403


def test_signing_in_joins_the_anonymous_visits_and_linking_merges_two_records(hub, agents, settings):
    visitor = secrets.token_hex(16)
    anonymous = start(hub, visitor)
    say(hub, anonymous, "hello")
    ref = f"c-{secrets.token_hex(4)}"
    signed = start(hub, visitor, {"ref": ref, "tier": "vip", "name": "Chen Jie"}, settings)
    assert signed["conversation"]["customer_id"] == anonymous["conversation"]["customer_id"]
    other_visit = start(hub, secrets.token_hex(16))  # the same person on another device, not signed in
    say(hub, other_visit, "I want to talk to a person")
    agent = AgentClient(hub, "alice")
    assert agent.post(f"/conversations/{other_visit['conversation_id']}/claim").status_code == 200
    linked = agent.post(f"/conversations/{other_visit['conversation_id']}/customer/link", {"identity": f"shop:{ref}"})
    assert linked.status_code == 200, linked.text
    view = linked.json()
    assert view["customer"]["name"] == "Chen Jie" and view["customer"]["tier"] == "vip"
    assert {c["conversation"]["id"] for c in view["conversations"]} >= {anonymous["conversation_id"], signed["conversation_id"], other_visit["conversation_id"]}
    assert f"shop:{ref}" in view["customer"]["identities"]

    # The customer's erasure takes the record with it.
    proc = run_cli("-m", "privacy", "delete", "--customer", ref, "--yes")
    assert proc.returncode == 0 and "the customer record" in proc.stdout, proc.stdout + proc.stderr
    for conv in (anonymous, signed, other_visit):
        assert hub.get(f"/api/conversations/{conv['conversation_id']}", headers=conv["headers"]).status_code == 404
    assert run_cli("-m", "privacy", "export", "--customer", ref).stdout.strip().startswith('{\n  "customer": null')
