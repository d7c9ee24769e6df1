"""Who may do what, through the real hub: roles and ownership on every endpoint, sessions that end when they
must, the password policy, the first sign-in that must change a generated password, and signed customer identity."""

from __future__ import annotations

import json
import secrets
import time

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from core.identity import sign_identity
from core.secrets import initial_admin_password_file, keep_initial_admin_password
from tests.clients import PASSWORD, AgentClient, Customer, run_cli, sign_off, start_hub

# Chats wait in the queue for an agent to claim them (the desk's push assignment is tested in test_service_desk.py).
pytestmark = pytest.mark.usefixtures("manual_assignment")


def make_account(username: str, role: str, *extra: str) -> None:
    proc = run_cli("-m", "handoff", "add", username, "--name", username.title(), "--role", role, "--password", PASSWORD, "--capacity", "10", *extra)
    assert proc.returncode == 0, proc.stderr


@pytest.fixture(scope="module")
def staff(stack, agents):
    make_account("sam", "supervisor")
    make_account("ada", "admin")
    return True


def queued_chat(hub: httpx.Client) -> Customer:
    c = Customer(hub, "en")
    assert c.say("I want to talk to a person")["conversation"]["status"] == "queued"
    return c


def test_each_role_is_refused_where_it_must_be(hub, staff, settings):
    agent, other, editor, supervisor, admin = (AgentClient(hub, u) for u in ("alice", "bob", "erin", "sam", "ada"))
    mine, theirs = queued_chat(hub), queued_chat(hub)
    assert agent.post(f"/conversations/{mine.id}/claim").status_code == 200
    assert other.post(f"/conversations/{theirs.id}/claim").status_code == 200

    # Editors run the knowledge base and never talk to customers.
    for method, path in [("GET", "/queue"), ("GET", "/conversations"), ("GET", f"/conversations/{mine.id}"), ("POST", f"/conversations/{queued_chat(hub).id}/claim"),
                         ("POST", f"/conversations/{mine.id}/messages"), ("GET", "/agents"), ("POST", "/presence")]:
        resp = hub.request(method, f"/api/agent{path}", json={"text": "hi", "presence": "online"}, headers=editor.headers)
        assert resp.status_code == 403, (path, resp.status_code)
    with pytest.raises(Exception, match="4403"):  # closed with 4403 right after the handshake, so a browser sees why
        with connect(f"{settings.hub_url.replace('http', 'ws')}/api/agent/ws?token={editor.token}") as ws:
            ws.recv(timeout=5)

    # Agents: their own chats and the queue; not someone else's chat, not the KB's writes, not accounts.
    assert agent.get(f"/conversations/{theirs.id}").status_code == 403
    assert agent.get(f"/conversations/{theirs.id}/suggestions").status_code == 403
    assert agent.post(f"/conversations/{theirs.id}/messages", {"text": "hi"}).status_code == 403
    assert agent.post(f"/conversations/{theirs.id}/resolve").status_code == 403
    for who in (agent, editor, supervisor):  # a file for the customer: only from the agent who holds the chat, as a typed reply
        sent = hub.post(f"/api/agent/conversations/{theirs.id}/attachments", content=b"%PDF-1.4\n%%EOF\n", headers={**who.headers, "Content-Type": "application/pdf"})
        assert sent.status_code == 403, (who, sent.status_code)
    assert hub.post("/api/kb/entries", json={"id": "x-en", "question": "q", "answer": "a"}, headers=agent.headers).status_code == 403
    assert hub.post("/api/kb/publish", headers=agent.headers).status_code == 403
    assert hub.get("/api/admin/agents", headers=agent.headers).status_code == 403
    assert hub.get("/api/admin/audit", headers=agent.headers).status_code == 403
    assert agent.post(f"/conversations/{mine.id}/transfer", {"to": "erin"}).status_code == 422  # editors take no chats

    # Supervisors see every conversation, but do not manage accounts.
    assert supervisor.get(f"/conversations/{theirs.id}").status_code == 200
    assert hub.get("/api/admin/agents", headers=supervisor.headers).status_code == 403
    # Admins manage accounts and read the audit log.
    assert hub.get("/api/admin/agents", headers=admin.headers).status_code == 200
    assert hub.get("/api/admin/audit", headers=admin.headers).status_code == 200
    # Nobody without a session (a client without the console's cookie).
    with httpx.Client(base_url=settings.hub_url) as anonymous:
        for path in ("/api/agent/queue", "/api/kb/entries", "/api/admin/agents"):
            assert anonymous.get(path).status_code == 401


def test_agents_see_who_the_customer_is_only_in_their_own_chats(hub, staff):
    signed = {"ref": "cust-1001", "tier": "standard", "name": "Li Na"}
    secret = hub_secret()
    started = hub.post("/api/conversations", json={"language": "en", "customer": {**signed, "signature": sign_identity(secret, **signed)}}).json()
    c = Customer.__new__(Customer)
    c.hub, c.id, c.token, c.headers = hub, started["conversation_id"], started["token"], {"Authorization": f"Bearer {started['token']}"}
    c.say("I want to talk to a person")
    agent, supervisor = AgentClient(hub, "alice"), AgentClient(hub, "sam")
    waiting = next(i for i in agent.get("/queue").json() if i["conversation"]["id"] == c.id)
    assert waiting["conversation"]["customer_name"] == ""
    assert next(i for i in supervisor.get("/queue").json() if i["conversation"]["id"] == c.id)["conversation"]["customer_name"] == "Li Na"
    assert agent.post(f"/conversations/{c.id}/claim").json()["conversation"]["customer_name"] == "Li Na"


def test_a_waiting_customers_contact_identities_and_name_are_masked_for_agents_it_is_not_theirs(hub, staff):
    """The customer panel listed "phone:+86..." and the shop's reference, and tickets their contact and name, to any agent."""
    signed = {"ref": f"c-{secrets.token_hex(3)}", "tier": "vip", "name": "Zhao Minghui"}
    started = hub.post("/api/conversations", json={"language": "en", "customer": {**signed, "signature": sign_identity(hub_secret(), **signed)}}).json()
    cid, headers = started["conversation_id"], {"Authorization": f"Bearer {started['token']}"}
    phone = f"139{secrets.randbelow(10 ** 8):08d}"
    masked = f"{phone[:3]}****{phone[-4:]}"
    assert hub.post(f"/api/conversations/{cid}/contact", json={"contact": phone}, headers=headers).status_code == 200
    ref = hub.post(f"/api/conversations/{cid}/handoff", headers=headers).json()["conversation"]["ticket_ref"]
    bob, sam, alice = AgentClient(hub, "bob"), AgentClient(hub, "sam"), AgentClient(hub, "alice")

    def reads(agent: AgentClient) -> dict[str, httpx.Response]:
        return {"queue": agent.get("/queue"), "detail": agent.get(f"/conversations/{cid}"), "customer": agent.get(f"/conversations/{cid}/customer"),
                "tickets": agent.get("/tickets?view=all"), "ticket": agent.get(f"/tickets/{ref}"),
                "tag": hub.patch(f"/api/agent/tickets/{ref}", json={"tags": ["vip"]}, headers=agent.headers)}

    seen = reads(bob)  # waiting, not his
    for what, resp in seen.items():
        assert resp.status_code == 200, (what, resp.text)
        for secret in (phone, signed["ref"], signed["name"]):
            assert secret not in resp.text, (what, secret, resp.text)
    assert seen["customer"].json()["customer"]["phone"] == masked  # a contact the customer typed: on the record, not an identity
    assert seen["customer"].json()["customer"]["identities"] == ["shop:****"]
    assert seen["ticket"].json()["ticket"]["contact"] == masked and seen["ticket"].json()["conversation"]["customer_name"] == ""
    assert any(masked in m["text"] for m in seen["detail"].json()["messages"] if m["meta"].get("kind") == "contact_saved")

    # A supervisor sees who the customer is; so does the agent once the chat is theirs.
    assert alice.post(f"/conversations/{cid}/claim").status_code == 200
    for agent in (sam, alice):
        panel = agent.get(f"/conversations/{cid}/customer").json()["customer"]
        assert panel["phone"] == f"+86{phone}" and f"shop:{signed['ref']}" in panel["identities"] and panel["name"] == signed["name"]
        ticket = agent.get(f"/tickets/{ref}").json()
        assert ticket["ticket"]["contact"] == f"+86{phone}" and ticket["conversation"]["customer_name"] == signed["name"]
    assert f"+86{phone}" in str(alice.get(f"/conversations/{cid}").json()["messages"])


def test_a_note_on_another_agents_ticket_does_not_reach_other_consoles(hub, staff, settings):
    """Bob may not read alice's ticket (403), yet his console's WebSocket was told every note she wrote on it, word for
    word: the "ticket changed" frame every console hears carried the note. It says which ticket changed, nothing more."""
    alice, bob = AgentClient(hub, "alice"), AgentClient(hub, "bob", console=False)
    chat = queued_chat(hub)
    ref = alice.post(f"/conversations/{chat.id}/claim").json()["ticket"]["ref"]
    with connect(f"{settings.hub_url.replace('http', 'ws')}/api/agent/ws?token={bob.token}") as console:
        note = alice.post(f"/tickets/{ref}/notes", {"text": "callback on 13912345678 after 6pm, she is upset"})
        assert note.status_code == 201
        assert bob.get(f"/tickets/{ref}").status_code == 403
        while (frame := json.loads(console.recv(timeout=20))).get("type") != "ticket_changed" or frame.get("conversation_id") != chat.id:
            pass
    assert "13912345678" not in json.dumps(frame) and frame["note_id"] == note.json()["id"]
    sign_off(settings, "bob")


def test_a_flood_of_typing_notices_does_not_reach_the_agents_screen(hub, staff, settings):
    """The chat page says "typing" every 2 s; the hub forwarded every typing frame a client sent, so a customer sending
    thousands a second had each published and pushed to the agent's console. A socket's notices beyond a small budget
    are dropped."""
    alice = AgentClient(hub, "alice", console=False)
    chat = queued_chat(hub)
    assert alice.post(f"/conversations/{chat.id}/claim").status_code == 200
    base = settings.hub_url.replace("http", "ws")
    with connect(f"{base}/api/agent/ws?token={alice.token}") as console, connect(f"{base}/api/conversations/{chat.id}/ws?token={chat.token}") as customer:
        while json.loads(customer.recv(timeout=20))["type"] != "status":
            pass
        for n in range(300):
            customer.send(json.dumps({"type": "typing", "active": n % 2 == 0}))
        customer.send(json.dumps({"type": "message", "text": "end of the flood", "client_message_id": "flood-end"}))
        typing = 0
        while True:
            frame = json.loads(console.recv(timeout=30))
            if frame.get("type") == "typing":
                typing += 1
            elif frame.get("type") == "message" and frame["message"]["text"] == "end of the flood":
                break
    assert 1 <= typing <= 30, typing


def hub_secret() -> str:
    from core.settings import Settings

    return Settings().secret("identity-secret")


def test_a_forged_vip_is_a_standard_customer_and_a_signed_one_is_honoured(hub, stack, staff):
    forged = hub.post("/api/conversations", json={"language": "en", "customer": {"name": "Boss", "ref": "c-9", "tier": "vip"}}).json()
    assert forged["conversation"]["customer_tier"] == "standard" and forged["conversation"]["customer_verified"] is False
    wrong = hub.post("/api/conversations", json={"language": "en", "customer": {"name": "Boss", "ref": "c-9", "tier": "vip", "signature": "0" * 64}}).json()
    assert wrong["conversation"]["customer_tier"] == "standard"
    identity = {"ref": "c-9", "tier": "vip", "name": "Boss"}
    signed = hub.post("/api/conversations", json={"language": "en", "customer": {**identity, "signature": sign_identity(hub_secret(), **identity)}}).json()
    assert signed["conversation"]["customer_tier"] == "vip" and signed["conversation"]["customer_verified"] is True
    # The queue order follows: the forged VIP waits behind customers who came before it, the real one goes first.
    headers = {cid: {"Authorization": f"Bearer {tok}"} for cid, tok in ((forged["conversation_id"], forged["token"]), (signed["conversation_id"], signed["token"]))}
    early = queued_chat(hub)
    for cid, h in headers.items():
        assert hub.post(f"/api/conversations/{cid}/handoff", headers=h).json()["conversation"]["status"] == "queued"
    order = [i["conversation"]["id"] for i in AgentClient(hub, "sam").get("/queue").json()]
    assert order.index(signed["conversation_id"]) < order.index(early.id) < order.index(forged["conversation_id"])


def test_a_signature_cannot_be_replayed_with_the_line_breaks_moved(hub, stack):
    """The signed text is ref, tier and name joined by line breaks. A shop that lets customers choose their name
    signs "Ann\\nvip\\nLee" as a standard customer's: the same signature then verified (ref "c-77\\nstandard\\nAnn",
    "vip", "Lee"), a VIP who jumped the queue. A reference with a line break is never signed."""
    chosen = {"ref": "c-77", "tier": "standard", "name": "Ann\nvip\nLee"}
    signature = sign_identity(hub_secret(), **chosen)
    honest = hub.post("/api/conversations", json={"language": "en", "customer": {**chosen, "signature": signature}}).json()
    assert honest["conversation"]["customer_verified"] is True and honest["conversation"]["customer_tier"] == "standard"
    replayed = hub.post("/api/conversations", json={"language": "en", "customer": {
        "ref": "c-77\nstandard\nAnn", "tier": "vip", "name": "Lee", "signature": signature}}).json()
    assert replayed["conversation"]["customer_tier"] == "standard" and replayed["conversation"]["customer_verified"] is False


def test_a_password_change_ends_every_other_session(hub, staff):
    make_account("pat", "agent")
    laptop, phone = AgentClient(hub, "pat"), AgentClient(hub, "pat")
    assert phone.get("/queue").status_code == 200
    weak = hub.post("/api/agent/password", json={"current": PASSWORD, "new": "password1234"}, headers=laptop.headers)
    assert weak.status_code == 422 and "weak" in weak.json()["detail"]
    changed = hub.post("/api/agent/password", json={"current": PASSWORD, "new": "a-new-and-long-passphrase"}, headers=laptop.headers)
    assert changed.status_code == 200
    assert phone.get("/queue").status_code == 401  # the other session is gone
    assert laptop.get("/queue").status_code == 401  # so is the one that changed it...
    assert hub.get("/api/agent/queue", headers={"Authorization": f"Bearer {changed.json()['token']}"}).status_code == 200  # ...it got a new one
    assert hub.post("/api/agent/login", json={"username": "pat", "password": PASSWORD}).status_code == 401
    # The CLI does the same: ./cs agents passwd ends every session.
    fresh = AgentClient(hub, "pat", "a-new-and-long-passphrase")
    proc = run_cli("-m", "handoff", "passwd", "pat", "--password", PASSWORD)
    assert proc.returncode == 0 and "session(s) ended" in proc.stdout and not proc.stdout.startswith("0")
    assert fresh.get("/queue").status_code == 401


def test_guessing_the_current_password_with_a_session_is_held_to_the_sign_in_lockout(hub, staff, settings):
    """Changing the password checks the current one: with a session left open (or stolen) anyone could guess it
    there as fast as the hub answered, never slowed or locked, then change it and keep the account. Wrong guesses
    count like failed sign-ins: slowed after the free ones (429, Retry-After), then a lock the right password
    cannot pass until an admin lifts it."""
    make_account("gus", "agent")
    session = AgentClient(hub, "gus", console=False)
    guesser = {**session.headers, "X-Forwarded-For": "192.0.2.77"}  # an address of its own (the hub trusts loopback as its proxy): no other test's count
    change = {"new": "a-brand-new-passphrase-7"}
    wrong, slowed, locked = 0, 0, None
    for n in range(settings.login_lock_after + 10):
        resp = hub.post("/api/agent/password", json={**change, "current": f"guess-{n}-not-it"}, headers=guesser)
        if resp.status_code == 403:
            wrong += 1
        elif resp.status_code == 429 and "wait" in resp.json()["detail"] and wrong < settings.login_lock_after:
            slowed += 1
            time.sleep(int(resp.headers["retry-after"]))  # the guesser waits as told: the lock still comes
        else:
            locked = resp
            break
    assert wrong == settings.login_lock_after and locked is not None and locked.status_code == 429, (wrong, slowed, locked and locked.text)
    refused = hub.post("/api/agent/password", json={**change, "current": PASSWORD}, headers=guesser)
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 60
    assert hub.post("/api/agent/login", json={"username": "gus", "password": PASSWORD}).status_code == 429  # the account is locked
    assert run_cli("-m", "handoff", "unlock", "gus").returncode == 0
    assert hub.post("/api/agent/password", json={**change, "current": PASSWORD}, headers=guesser).status_code == 200
    sign_off(settings, "gus")


def test_logout_ends_the_session(hub, staff):
    a = AgentClient(hub, "bob")
    assert hub.post("/api/agent/logout", headers=a.headers).status_code == 204
    assert a.get("/queue").status_code == 401


def closed_with(ws) -> tuple[int, str]:
    """Read what the hub still pushes until it closes the socket: its close code and reason."""
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            ws.recv(timeout=20)
    return closed.value.rcvd.code, closed.value.rcvd.reason


def still_served(ws) -> bool:
    """The hub still reads this socket: a frame that is not JSON is answered with an error frame."""
    ws.send("not json")
    while json.loads(ws.recv(timeout=20))["type"] != "error":
        pass
    return True


def test_ending_a_session_closes_its_open_console_sockets_on_every_hub_worker(hub, staff, settings):
    """A console WebSocket was let in by its session: once the session ends it must not go on receiving customers'
    messages (nor send typing) as REST calls with that token get 401. Logout closes that session's sockets; a password
    change or reset, a role change and the account's removal every socket of the account, on whichever hub worker
    it is open: 4401 and the reason."""
    admin = AgentClient(hub, "ada")
    proc, url = start_hub(settings.rasa_port, timeout=15)
    here, there = settings.hub_url.replace("http", "ws"), url.replace("http", "ws")

    def console(client: AgentClient, on: str):
        return connect(f"{on}/api/agent/ws?token={client.token}")

    try:
        make_account("wes", "agent")
        laptop, phone = AgentClient(hub, "wes"), AgentClient(hub, "wes")
        with console(laptop, there) as on_laptop, console(phone, here) as on_phone:
            assert laptop.post("/logout").status_code == 204
            assert closed_with(on_laptop) == (4401, "signed out")
            assert still_served(on_phone)  # the other session goes on
        ends = {
            "the password changed: sign in again": lambda name, own: own.post("/password", {"current": PASSWORD, "new": "another-long-passphrase-9"}),
            "the password was reset: sign in again": lambda name, own: hub.post(f"/api/admin/agents/{name}/password", headers=admin.headers),
            "the role changed: sign in again": lambda name, own: hub.patch(f"/api/admin/agents/{name}", json={"role": "supervisor"}, headers=admin.headers),
            "the account was removed": lambda name, own: hub.delete(f"/api/admin/agents/{name}", headers=admin.headers),
        }
        for n, (reason, end) in enumerate(ends.items()):
            name = f"wes{n}"
            make_account(name, "agent")
            first, second = AgentClient(hub, name), AgentClient(hub, name)
            with console(first, here) as one, console(second, there) as other:
                assert end(name, first).status_code in (200, 204)
                assert closed_with(one) == closed_with(other) == (4401, reason), name
            if reason != "the account was removed":
                sign_off(settings, name)  # signed in, so online: no later test's chats for them
    finally:
        proc.terminate()
        proc.wait(10)


def test_a_session_that_expires_by_itself_closes_its_open_console(hub, staff, settings):
    """Nobody announces an idle session's end: the key just lapses. Its open console socket must not go on
    receiving customers' messages for ever: the socket checks its session (a third of the console lease, 1 s here)
    and closes with 4401 once it has expired; the open socket itself is not use. An agent at work (REST calls)
    keeps theirs."""
    proc, url = start_hub(settings.rasa_port, timeout=15, CS_SESSION_IDLE_MINUTES="0.1", CS_CONSOLE_LEASE_SECONDS="3")
    there = url.replace("http", "ws")
    try:
        with httpx.Client(base_url=url, timeout=60) as hub2:
            make_account("idler", "agent")
            make_account("worker", "agent")
            idle, busy = AgentClient(hub2, "idler"), AgentClient(hub2, "worker")
            with connect(f"{there}/api/agent/ws?token={idle.token}") as idle_ws, connect(f"{there}/api/agent/ws?token={busy.token}") as busy_ws:
                deadline = time.time() + 12  # twice the idle time: the busy agent's session stays, the idle one's ends
                while time.time() < deadline:
                    assert busy.get("/me").status_code == 200
                    time.sleep(1)
                assert closed_with(idle_ws) == (4401, "the session expired: sign in again")
                assert still_served(busy_ws)
            assert idle.get("/me").status_code == 401
    finally:
        for name in ("idler", "worker"):
            sign_off(settings, name)
        proc.terminate()
        proc.wait(10)


def test_weak_passwords_are_refused_by_the_cli(stack):
    proc = run_cli("-m", "handoff", "add", "weakling", "--password", "12345678")
    assert proc.returncode == 1 and "too short" in proc.stderr


def test_a_generated_password_must_be_changed_at_first_sign_in(hub, staff):
    admin = AgentClient(hub, "ada")
    created = hub.post("/api/admin/agents", json={"username": "newbie", "display_name": "Newbie", "role": "agent"}, headers=admin.headers)
    assert created.status_code == 201
    first = AgentClient(hub, "newbie", created.json()["password"])
    assert first.get("/me").json()["must_change_password"] is True
    refused = first.get("/queue")
    assert refused.status_code == 403 and "change your password" in refused.json()["detail"]
    changed = hub.post("/api/agent/password", json={"current": created.json()["password"], "new": "my-own-long-passphrase"}, headers=first.headers)
    assert changed.status_code == 200 and changed.json()["agent"]["must_change_password"] is False
    assert hub.get("/api/agent/queue", headers={"Authorization": f"Bearer {changed.json()['token']}"}).status_code == 200
    audit = hub.get("/api/admin/audit", headers=admin.headers).json()
    assert any(e["action"] == "account_created" and e["target"] == "newbie" and e["actor"] == "ada" for e in audit)
    assert any(e["action"] == "password_changed" and e["actor"] == "newbie" for e in audit)


def test_the_first_admins_password_file_goes_once_that_password_is_changed(hub, staff, settings):
    """The launcher keeps the first admin's generated password in var/secrets/initial-admin-password "until it is
    changed" (its first-run message, docs/security.md): changed in the console (the API) or with ``./cs agents
    passwd admin``, the file is gone; another account's change leaves it."""
    secret = initial_admin_password_file(settings.var_dir)

    def first_run() -> str:
        """What the launcher's first run leaves: an ``admin`` who must change a generated password, kept in the file."""
        generated = secrets.token_urlsafe(15)
        assert run_cli("-m", "handoff", "add", "admin", "--role", "admin", "--password", generated, "--must-change-password").returncode == 0
        keep_initial_admin_password(settings.var_dir, generated)
        return generated

    generated = first_run()
    assert run_cli("-m", "handoff", "passwd", "sam", "--password", PASSWORD).returncode == 0
    admin = AgentClient(hub, "admin", generated)
    changed = hub.post("/api/agent/password", json={"current": PASSWORD, "new": "the-admins-own-passphrase"}, headers=admin.headers)
    assert changed.status_code == 403 and secret.read_text().strip() == generated  # a wrong current password changes nothing
    changed = hub.post("/api/agent/password", json={"current": generated, "new": "the-admins-own-passphrase"}, headers=admin.headers)
    assert changed.status_code == 200 and not secret.exists()

    first_run()
    proc = run_cli("-m", "handoff", "passwd", "admin", "--password", "another-admin-passphrase")
    assert proc.returncode == 0 and not secret.exists()
    assert hub.post("/api/agent/login", json={"username": "admin", "password": "another-admin-passphrase", "take_chats": False}).status_code == 200


def test_idle_and_absolute_session_expiry(stack, staff, settings):
    """A hub whose sessions idle out after 3 s and end after 8 s whatever happens."""
    proc, url = start_hub(settings.rasa_port, timeout=15, CS_SESSION_IDLE_MINUTES="0.05", CS_AGENT_SESSION_HOURS=str(8 / 3600))
    try:
        with httpx.Client(base_url=url, timeout=30) as hub:
            idle = AgentClient(hub, "alice")
            busy = AgentClient(hub, "bob")
            seen = []  # bob uses his session every second; alice does nothing
            started = time.monotonic()
            while time.monotonic() - started < 12:
                seen.append(busy.get("/me").status_code)
                if len(seen) == 5:
                    assert idle.get("/me").status_code == 401  # 5 s unused: idle expiry
                time.sleep(1.0)
            assert seen[:5] == [200] * 5  # in use, it lives on...
            assert seen[-1] == 401  # ...until the absolute limit, used or not
    finally:
        proc.terminate()
        proc.wait(10)
