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


def test_a_typed_phone_number_is_a_contact_not_a_key_to_someone_elses_record(hub, agents, settings):
    """Anyone can type a number into the offline form: it goes on their own record and ticket, and never joins them to
    the record of the customer who typed it first (their name, tier and history, and the messages they write next)."""
    phone = f"139{secrets.randbelow(10**8):08d}"
    ref = f"c-{secrets.token_hex(4)}"
    victim = start(hub, secrets.token_hex(16), {"ref": ref, "tier": "vip", "name": "Li Na Secretname"}, settings)
    say(hub, victim, "I want to talk to a person")
    contact = lambda conv: hub.post(f"/api/conversations/{conv['conversation_id']}/contact", json={"contact": phone}, headers=conv["headers"])  # noqa: E731
    assert contact(victim).status_code == 200
    attacker = start(hub, secrets.token_hex(16))
    say(hub, attacker, "I want to talk to a person")
    assert contact(attacker).status_code == 200
    other_shop_customer = start(hub, secrets.token_hex(16), {"ref": f"c-{secrets.token_hex(4)}", "tier": "standard", "name": "Wang Wu"}, settings)
    say(hub, other_shop_customer, "I want to talk to a person")
    assert contact(other_shop_customer).status_code == 200

    agent = AgentClient(hub, "alice")
    views = {}
    for name, conv in (("victim", victim), ("attacker", attacker), ("other", other_shop_customer)):
        assert agent.post(f"/conversations/{conv['conversation_id']}/claim").status_code == 200
        views[name] = agent.get(f"/conversations/{conv['conversation_id']}/customer").json()
        assert views[name]["customer"]["phone"] == f"+86{phone}"  # on each record, for whoever calls back
        assert [c["conversation"]["id"] for c in views[name]["conversations"]] == [conv["conversation_id"]]
    assert views["attacker"]["customer"]["name"] == "" and views["attacker"]["customer"]["tier"] == "standard"
    assert not any(i.startswith("shop:") for i in views["attacker"]["customer"]["identities"])
    assert views["victim"]["customer"]["name"] == "Li Na Secretname" and f"shop:{ref}" in views["victim"]["customer"]["identities"]
    assert views["other"]["customer"]["name"] == "Wang Wu" and f"shop:{ref}" not in views["other"]["customer"]["identities"]
    assert len({v["customer"]["id"] for v in views.values()}) == 3

    # A privacy request names the person by their number: every record that left it is found (the operator checks the
    # dry run before erasing), and the erasure leaves no record holding it.
    dry = run_cli("-m", "privacy", "delete", "--identity", f"phone:{phone}")
    assert dry.returncode == 0 and "would erase 3 conversation(s)" in dry.stdout and "3 customer records" in dry.stdout, dry.stdout + dry.stderr
    assert run_cli("-m", "privacy", "delete", "--identity", f"phone:{phone}", "--yes").returncode == 0
    assert "would erase 0 conversation(s)" in run_cli("-m", "privacy", "delete", "--identity", f"phone:+86{phone}").stdout


def test_a_phone_number_links_however_the_agent_types_it(hub, agents):
    """Linking "phone:139..." stored it as typed, never the "+86139..." the offline form and other links store: no merge."""
    phone = f"139{secrets.randbelow(10 ** 8):08d}"
    agent = AgentClient(hub, "alice")
    first, second = start(hub, secrets.token_hex(16)), start(hub, secrets.token_hex(16))
    for conv in (first, second):
        say(hub, conv, "I want to talk to a person")
        assert agent.post(f"/conversations/{conv['conversation_id']}/claim").status_code == 200
    linked = agent.post(f"/conversations/{first['conversation_id']}/customer/link", {"identity": f"phone:+86 {phone[:3]} {phone[3:7]} {phone[7:]}"})
    assert linked.status_code == 200, linked.text
    assert f"phone:+86{phone}" in linked.json()["customer"]["identities"]
    view = agent.post(f"/conversations/{second['conversation_id']}/customer/link", {"identity": f"phone:{phone}"}).json()
    assert [i for i in view["customer"]["identities"] if i.startswith("phone:")] == [f"phone:+86{phone}"]
    assert {c["conversation"]["id"] for c in view["conversations"]} >= {first["conversation_id"], second["conversation_id"]}
    assert agent.post(f"/conversations/{second['conversation_id']}/customer/link", {"identity": "phone:12345"}).status_code == 422
    email = f"Li.Na.{phone}@Example.CN"
    view = agent.post(f"/conversations/{second['conversation_id']}/customer/link", {"identity": f"email:{email}"}).json()
    assert f"email:{email.lower()}" in view["customer"]["identities"]
