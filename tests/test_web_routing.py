"""Routing in the product, in a real browser: a transfer with a hand-over note for the colleague (theirs alone,
never the customer's), an admin setting an agent's languages, skills and capacity, and a supervisor setting a
customer's VIP flag and dedicated agent (专属客服) in the console; the next chats are routed by what was set."""

from __future__ import annotations

import json
import threading

from websockets.sync.client import connect

from core.redis import Keys, sync_client
from tests.browser import DESKTOP, WAIT, assert_accessible, expect, shot, staff_page
from tests.clients import PASSWORD, AgentClient, Customer, run_cli, wait_for

NOTE = "Refund code RF-7731 already sent; she wants the courier's answer before 6pm"


class Frames:
    """Every frame one WebSocket receives, kept until the test reads them."""

    def __init__(self, url: str) -> None:
        self.ws = connect(url, open_timeout=60, close_timeout=5)
        self.frames: list[dict] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        try:
            for raw in self.ws:
                self.frames.append(json.loads(raw))
        except Exception:  # closed by either side
            pass

    def close(self) -> None:
        self.ws.close()


def account(username: str, *options: str) -> None:
    proc = run_cli("-m", "handoff", "add", username, "--name", username.title(), "--password", PASSWORD, *options)
    assert proc.returncode == 0, proc.stderr


def test_a_transfer_note_reaches_the_colleague_and_nobody_else(stack, settings, agents, browser, hub, only):
    """Alice transfers her chat to Bob with a note beside the colleague picker. Bob reads it at the top of the chat
    when he opens it (in English and Chinese); the customer's transcript and socket never carry it, nor does the
    socket of another agent's console (it hears which ticket has a new note, not what it says)."""
    ws = settings.hub_url.replace("http", "ws")
    only("alice")  # alone at work: the chat is pushed to her
    customer = Customer(hub, "en")
    customer.say("I want to talk to a person")
    assert customer.status()["conversation"]["agent"] == "alice"
    cid = customer.id
    assert AgentClient(hub, "bob").post("/presence", {"presence": "online"}).status_code == 200
    account("carl")
    carl = hub.post("/api/agent/login", json={"username": "carl", "password": PASSWORD, "take_chats": False}).json()["token"]
    customer_socket = Frames(f"{ws}/api/conversations/{cid}/ws?token={customer.token}")
    carl_socket = Frames(f"{ws}/api/agent/ws?token={carl}")

    alice_ctx, alice = staff_page(browser, settings.hub_url, "/console", "alice", DESKTOP)
    alice.locator(f"#mine li[data-cid='{cid}'] button.item").click(timeout=WAIT)
    alice.locator("#transfer-to").select_option("bob")
    note = alice.get_by_label("Note for your colleague (optional)")
    expect(note).to_be_visible()
    note.fill(NOTE)
    alice.locator("#transfer").click()
    expect(alice.locator("#conv-sub")).to_contain_text("with Bob", timeout=WAIT)
    expect(note).to_have_value("")
    assert customer.status()["conversation"]["agent"] == "bob"
    alice_ctx.close()

    bob_ctx, bob = staff_page(browser, settings.hub_url, "/console", "bob", DESKTOP)
    bob.locator(f"#mine li[data-cid='{cid}'] button.item").click(timeout=WAIT)
    handover = bob.locator("#handover")
    expect(handover).to_be_visible(timeout=WAIT)
    expect(handover.locator("#handover-text")).to_have_text(NOTE)
    expect(handover.locator("#handover-title")).to_contain_text("Note from Alice")
    shot(bob, "console-handover-note")
    assert_accessible(bob, "console with a hand-over note")
    bob.locator("header .ui-lang-select").select_option("zh")
    expect(handover.locator("#handover-title")).to_contain_text("交接说明")
    bob.locator("header .ui-lang-select").select_option("en")
    bob_ctx.close()

    # Kept as an internal note of the chat's ticket, for Bob (and supervisors) to read again.
    ref = customer.status()["conversation"]["ticket_ref"]
    notes = AgentClient(hub, "bob", console=False).get(f"/tickets/{ref}").json()["notes"]
    assert [(n["author"], n["text"], n.get("kind"), n.get("to")) for n in notes if n["text"] == NOTE] == [("alice", NOTE, "handover", "bob")]

    # The customer: not in their transcript, not on their socket (which heard the transfer itself).
    assert NOTE not in json.dumps(customer.transcript(), ensure_ascii=False)
    assert wait_for(lambda: any(f.get("type") == "message" and f["message"]["meta"].get("kind") == "transferred" for f in customer_socket.frames), 20)
    # Carl's console heard that the ticket has a new note, and nothing of what it says.
    note_id = next(n["id"] for n in notes if n["text"] == NOTE)
    assert wait_for(lambda: any(f.get("note_id") == note_id for f in carl_socket.frames), 20), carl_socket.frames
    customer_socket.close()
    carl_socket.close()
    for frames in (customer_socket.frames, carl_socket.frames):
        assert "RF-7731" not in json.dumps(frames, ensure_ascii=False)

