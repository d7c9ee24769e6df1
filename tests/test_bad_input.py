"""Bad input gets a clear 4xx and loses nothing; a Rasa that is down or hangs escalates instead of hanging."""

from __future__ import annotations

import json
import time

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from core.redis import Keys, sync_client
from core.identity import sign_identity
from core.settings import Settings
from tests.clients import PASSWORD, AgentClient, HangingServer, free_port, run_cli, sign_off, start_hub

# Chats wait in the queue for an agent to claim them (the desk's push assignment is tested in test_service_desk.py).
pytestmark = pytest.mark.usefixtures("manual_assignment")


def test_customer_token_cannot_read_another_conversation(customer_factory, hub):
    a, b = customer_factory(), customer_factory()
    a.say("hello")
    stolen = hub.get(f"/api/conversations/{a.id}/messages", headers=b.headers)
    assert stolen.status_code == 403
    assert hub.post(f"/api/conversations/{a.id}/messages", json={"text": "hi"}, headers=b.headers).status_code == 403
    assert hub.get(f"/api/conversations/{a.id}/messages").status_code == 403


def test_unknown_conversation_is_404_and_a_malformed_id_422(hub, customer_factory):
    c = customer_factory()
    resp = hub.post(f"/api/conversations/{'0' * 32}/messages", json={"text": "hi"}, headers=c.headers)
    assert resp.status_code == 404 and "unknown conversation" in resp.json()["detail"]
    malformed = hub.post("/api/conversations/doesnotexist/messages", json={"text": "hi"}, headers=c.headers)
    assert malformed.status_code == 422 and malformed.json()["errors"][0]["loc"] == ["path", "cid"]


def test_oversize_message_is_413_and_not_stored(customer_factory, hub, settings):
    c = customer_factory()
    resp = hub.post(f"/api/conversations/{c.id}/messages", json={"text": "x" * (settings.max_message_chars + 1)}, headers=c.headers)
    assert resp.status_code == 413 and "limit" in resp.json()["detail"]
    huge = hub.post(f"/api/conversations/{c.id}/messages", content=b'{"text": "' + b"y" * 400_000 + b'"}', headers={**c.headers, "content-type": "application/json"})
    assert huge.status_code == 413


def test_malformed_json_is_400(customer_factory, hub):
    c = customer_factory()
    resp = hub.post(f"/api/conversations/{c.id}/messages", content=b'{"text": "hi",', headers={**c.headers, "content-type": "application/json"})
    assert resp.status_code == 400 and "malformed JSON" in resp.json()["detail"]
    empty = hub.post(f"/api/conversations/{c.id}/messages", json={"text": ""}, headers=c.headers)
    assert empty.status_code == 422


def test_resending_a_client_message_id_does_not_duplicate(customer_factory):
    c = customer_factory()
    first = c.say("hello", client_message_id="m-1")
    second = c.say("hello", client_message_id="m-1")
    assert second["duplicate"] is True and second["message"]["id"] == first["message"]["id"]
    assert [m["text"] for m in c.transcript() if m["sender"] == "customer"] == ["hello"]


def test_an_agent_reply_resent_with_its_client_message_id_is_stored_once(customer_factory, agent_factory, hub, settings):
    """The console resends a reply whose answer it never got (the hub restarting): the customer sees it once,
    analytics count it once; the customer's own ids never collide with the agent's."""
    c = customer_factory()
    c.say("I want to talk to a person")
    hub.post(f"/api/conversations/{c.id}/handoff", headers=c.headers)
    alice = agent_factory("alice")
    assert alice.post(f"/conversations/{c.id}/claim").status_code == 200
    first = alice.post(f"/conversations/{c.id}/messages", json={"text": "Hi, Alice here", "client_message_id": "r-1"})
    again = alice.post(f"/conversations/{c.id}/messages", json={"text": "Hi, Alice here", "client_message_id": "r-1"})
    assert first.status_code == again.status_code == 200 and again.json()["id"] == first.json()["id"]
    other = alice.post(f"/conversations/{c.id}/messages", json={"text": "One moment", "client_message_id": "r-2"})
    assert other.json()["id"] != first.json()["id"]
    mine = c.say("thanks", client_message_id="r-1")  # the same id from the customer is theirs, not the agent's
    assert mine["duplicate"] is False
    assert [(m["sender"], m["text"]) for m in c.transcript() if m["sender"] in ("customer", "agent")] == [
        ("customer", "I want to talk to a person"), ("agent", "Hi, Alice here"), ("agent", "One moment"), ("customer", "thanks")]
    r, keys = sync_client(settings), Keys(settings.key_prefix)
    counted = [json.loads(e["e"]) for _, e in r.xrange(keys.events, "-", "+")]
    assert len([e for e in counted if e["type"] == "agent_message" and e["conversation_id"] == c.id]) == 2
    too_long = alice.post(f"/conversations/{c.id}/messages", json={"text": "x", "client_message_id": "x" * 101})
    assert too_long.status_code == 422


@pytest.fixture
def hanging_rasa():
    with HangingServer() as server:
        yield server.port


@pytest.mark.parametrize("mode", ["down", "hanging"])
def test_rasa_down_or_hanging_escalates_and_keeps_the_message(mode, customer_factory, hanging_rasa):
    c = customer_factory("en")
    assert c.say("hello")["replies"]  # the real bot is up for the first turn
    rasa_port = free_port() if mode == "down" else hanging_rasa
    proc, url = start_hub(rasa_port, timeout=3)
    try:
        started = time.monotonic()
        resp = httpx.post(f"{url}/api/conversations/{c.id}/messages", json={"text": "where is my parcel?"}, headers=c.headers, timeout=30)
        elapsed = time.monotonic() - started
    finally:
        proc.terminate()
        proc.wait(10)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["conversation"]["status"] == "queued"
    assert elapsed < 25  # it answered instead of hanging with the request
    kinds = [m["meta"].get("kind") for m in body["replies"] if m["sender"] == "system"]
    assert "bot_unavailable" in kinds and "queued" in kinds
    assert [m["text"] for m in c.transcript() if m["sender"] == "customer"] == ["hello", "where is my parcel?"]


def test_an_agent_cannot_transfer_a_chat_to_themselves(hub, customer_factory, agent_factory, supervisor):
    c = customer_factory("en")
    c.say("I want to talk to a person")
    hub.post(f"/api/conversations/{c.id}/handoff", headers=c.headers)
    alice = agent_factory("alice")
    assert alice.post(f"/conversations/{c.id}/claim").status_code == 200
    before = c.transcript()
    for _ in range(2):
        resp = alice.post(f"/conversations/{c.id}/transfer", {"to": "alice"})
        assert resp.status_code == 422 and "already yours" in resp.json()["detail"], resp.text
    # A supervisor moving the chat to the agent who has it is refused the same way.
    boss = AgentClient(hub, supervisor)
    ticket = c.status()["conversation"]["ticket_id"]
    again = hub.post(f"/api/agent/tickets/{ticket}/reassign", json={"to": "alice"}, headers=boss.headers)
    assert again.status_code == 422 and "already alice's" in again.json()["detail"], again.text
    # Nothing was said to the customer, the chat is still alice's, and no transfer was counted.
    assert c.transcript() == before
    assert not [m for m in before if m["meta"].get("kind") == "transferred"]
    assert c.status()["conversation"]["agent"] == "alice"
    listed = hub.get("/api/analytics/conversations", params={"period": "today", "figure": "transferred"}, headers=boss.headers).json()
    assert c.id not in [row["conversation_id"] for row in listed["conversations"]]
    # A real transfer still works (to a colleague signed in: a transfer to someone offline is refused).
    agent_factory("bob")
    moved = alice.post(f"/conversations/{c.id}/transfer", {"to": "bob"})
    assert moved.status_code == 200 and moved.json()["conversation"]["agent"] == "bob", moved.text


def test_rating_again_replaces_the_score_with_one_thank_you_and_one_rating_counted(hub, customer_factory, agent_factory, supervisor):
    boss = AgentClient(hub, supervisor)

    def ratings() -> dict:
        return hub.get("/api/analytics/summary", params={"period": "today"}, headers=boss.headers).json()["current"]["satisfaction"]

    c = customer_factory("en")
    c.say("I want to talk to a person")
    hub.post(f"/api/conversations/{c.id}/handoff", headers=c.headers)
    alice = agent_factory("alice")
    assert alice.post(f"/conversations/{c.id}/claim").status_code == 200
    assert alice.post(f"/conversations/{c.id}/resolve").status_code == 200
    before = ratings()
    url = f"/api/conversations/{c.id}/rating"
    first = hub.post(url, json={"score": 2, "comment": "slow"}, headers=c.headers)
    assert first.status_code == 200 and first.json()["conversation"]["rating"] == 2
    for _ in range(2):  # the customer changes their mind, or their client sends it again
        again = hub.post(url, json={"score": 5, "comment": "solved after all"}, headers=c.headers)
        assert again.status_code == 200 and again.json()["conversation"]["rating"] == 5, again.text
    thanks = [m for m in c.transcript() if m["meta"].get("kind") == "rating_thanks"]
    assert len(thanks) == 1
    after = ratings()
    assert after["ratings"] == before["ratings"] + 1
    assert after["distribution"]["5"] == before["distribution"]["5"] + 1 and after["distribution"]["2"] == before["distribution"]["2"]


BLANK_TEXTS = [" ", "   \n\t ", "\n\n", "\t", "\u200b", "\u200b\u200c\u200d\u2060\ufeff", " \u200b \n\ufeff ", "\x00", "\x1b\x07 \x7f", "\u202e"]


def test_blank_messages_are_refused_like_empty_ones_and_nothing_is_stored(hub, customer_factory, agent_factory, settings):
    c = customer_factory("en")
    started = c.transcript()
    url = f"/api/conversations/{c.id}/messages"
    empty = hub.post(url, json={"text": ""}, headers=c.headers)
    assert empty.status_code == 422
    for text in BLANK_TEXTS:
        resp = hub.post(url, json={"text": text}, headers=c.headers)
        assert resp.status_code == 422, (text, resp.text)
        assert resp.json()["errors"][0]["loc"] == ["body", "text"] and "visible text" in resp.json()["errors"][0]["msg"]
    # Over the live socket, too: an error frame, and nothing stored.
    with connect(f"{settings.hub_url.replace('http', 'ws')}/api/conversations/{c.id}/ws?token={c.token}") as ws:
        while json.loads(ws.recv(timeout=10))["type"] != "status":
            pass
        for text in BLANK_TEXTS:
            ws.send(json.dumps({"type": "message", "text": text, "client_message_id": f"blank-{len(text)}"}))
            frame = json.loads(ws.recv(timeout=10))
            assert frame["type"] == "error" and "visible text" in frame["detail"], frame
    assert c.transcript() == started  # no message stored, no fallback answered, no failed attempt counted
    assert c.status()["conversation"]["status"] == "bot"  # not handed to a person for "failing" twice
    # Text with content is kept as typed, spaces included.
    sent = c.say("  hello  ")
    assert sent["message"]["text"] == "  hello  "

    # An agent's blank reply is refused too: no empty bubble for the customer.
    queued = customer_factory("en")
    queued.say("I want to talk to a person")
    alice = agent_factory("alice")
    assert alice.post(f"/conversations/{queued.id}/claim").status_code == 200
    before = queued.transcript()
    for text in ["", " \n ", "\u200b\ufeff"]:
        assert alice.post(f"/conversations/{queued.id}/messages", {"text": text}).status_code == 422, repr(text)
    assert queued.transcript() == before
    assert alice.post(f"/conversations/{queued.id}/messages", {"text": " Hi, Alice here "}).json()["text"] == " Hi, Alice here "


RLO, PDF, LRI, PDI = "\u202e", "\u202c", "\u2066", "\u2069"
DIRECTION_CONTROLS = (RLO, PDF, LRI, PDI, "\u202a", "\u202b", "\u202d", "\u2067", "\u2068")


def test_direction_controls_and_control_characters_are_not_stored(hub, settings):
    """A right-to-left override (U+202E) in a customer's name or message acts on the text shown after it: the
    console's "Rated 1/5" beside the name read "5/1 detaR", and the lines after the message in the handoff summary
    came out mirrored. Names, messages, notes, tags and comments are stored without direction controls and control
    characters; the words stay as typed."""
    signed = {"ref": "rtl-1", "tier": "standard", "name": f"Li{RLO} Na"}
    started = hub.post("/api/conversations", json={"language": "en", "customer": {
        **signed, "signature": sign_identity(Settings().secret("identity-secret"), **signed)}}).json()
    cid, headers = started["conversation_id"], {"Authorization": f"Bearer {started['token']}"}
    assert started["conversation"]["customer_name"] == "Li Na"
    said = hub.post(f"/api/conversations/{cid}/messages", json={"text": f"I want to talk to a person {RLO}about order 12{PDF}\x00"}, headers=headers)
    assert said.json()["message"]["text"] == "I want to talk to a person about order 12"
    proc = run_cli("-m", "handoff", "add", "rtl-agent", "--name", f"{LRI}Ann{RLO}a", "--password", PASSWORD, "--capacity", "5")
    assert proc.returncode == 0, proc.stderr
    agent = AgentClient(hub, "rtl-agent")
    claimed = agent.post(f"/conversations/{cid}/claim").json()
    assert claimed["conversation"]["customer_name"] == "Li Na"
    ref = claimed["ticket"]["ref"]
    assert agent.post(f"/tickets/{ref}/notes", {"text": f"call{RLO} back"}).json()["text"] == "call back"
    assert hub.patch(f"/api/agent/tickets/{ref}", json={"tags": [f"refund{RLO}", RLO]}, headers=agent.headers).json()["tags"] == ["refund"]
    assert agent.post(f"/conversations/{cid}/messages", {"text": f"Hello{RLO} there"}).json()["text"] == "Hello there"
    assert agent.post(f"/conversations/{cid}/resolve").status_code == 200
    assert hub.post(f"/api/conversations/{cid}/rating", json={"score": 1, "comment": f"slow{RLO}!"}, headers=headers).status_code == 200
    conv = agent.get(f"/conversations/{cid}").json()
    assert conv["conversation"]["rating_comment"] == "slow!"
    everything = json.dumps([conv, agent.get(f"/tickets/{ref}").json(), agent.get(f"/conversations/{cid}/customer").json(),
                             hub.get(f"/api/conversations/{cid}/messages", headers=headers).json(), agent.get("/me").json()])
    assert not [c for c in DIRECTION_CONTROLS + ("\x00",) if f"\\u{ord(c):04x}" in everything]  # json.dumps writes them as \\uXXXX
    assert agent.get("/me").json()["display_name"] == "Anna"
    sign_off(settings, "rtl-agent")


def test_websocket_errors_are_short_plain_lines(customer_factory, settings):
    c = customer_factory("en")
    started = c.transcript()
    with connect(f"{settings.hub_url.replace('http', 'ws')}/api/conversations/{c.id}/ws?token={c.token}") as ws:
        while json.loads(ws.recv(timeout=10))["type"] != "status":
            pass
        for frame, expected in [({"type": "message", "text": 123}, "text: must be a string"),
                                ({"type": "message", "text": ""}, "text: must not be empty"),
                                ({"type": "message"}, "text: required"),
                                ({"type": "message", "text": "hi", "client_message_id": "x" * 101}, "client_message_id: too long (at most 100 characters)"),
                                ({"type": "bogus"}, "unknown frame type 'bogus' (expected: message, typing)"),
                                ({"type": "message", "text": "x" * (settings.max_message_chars + 1)}, "message too long")]:
            ws.send(json.dumps(frame))
            reply = json.loads(ws.recv(timeout=10))
            assert reply["type"] == "error", reply
            assert reply["detail"].startswith(expected), (frame, reply["detail"])
            assert "\n" not in reply["detail"] and "pydantic" not in reply["detail"] and "validation error" not in reply["detail"]
    assert c.transcript() == started


def closed_with(url: str) -> tuple[int, str]:
    """The close code and reason a WebSocket client sees when the hub turns it away."""
    with pytest.raises(ConnectionClosed) as closed:
        with connect(url) as ws:
            ws.recv(timeout=10)
    assert closed.value.rcvd is not None, closed.value  # a close frame from the hub, not a refused handshake (a browser's 1006)
    return closed.value.rcvd.code, closed.value.rcvd.reason


def test_websocket_refusals_reach_the_client_as_close_codes(customer_factory, agent_factory, settings):
    c = customer_factory("en")
    base = settings.hub_url.replace("http", "ws")
    assert closed_with(f"{base}/api/conversations/{c.id}/ws?token=bad") == (4403, "unknown conversation or wrong token")
    assert closed_with(f"{base}/api/conversations/{'0' * 32}/ws?token={c.token}")[0] == 4403
    assert closed_with(f"{base}/api/conversations/{c.id}/ws?token={c.token}&after=notanid") == (4422, "after must be a message id")
    # The agent console's socket: not signed in, and an account that takes no chats.
    assert closed_with(f"{base}/api/agent/ws?token=bad") == (4401, "log in first")
    assert closed_with(f"{base}/api/agent/ws?token={agent_factory('erin').token}") == (4403, "this account does not take chats")
