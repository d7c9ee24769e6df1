"""Routing in the product, in a real browser: a transfer with a hand-over note for the colleague (theirs alone,
never the customer's), an admin setting an agent's languages, skills and capacity, and a supervisor setting a
customer's VIP flag and dedicated agent (专属客服) in the console; the next chats are routed by what was set."""

from __future__ import annotations

import json
import secrets
import threading
import time

from websockets.sync.client import connect

from core.redis import Keys, sync_client
from tests.browser import DESKTOP, WAIT, assert_accessible, expect, shot, staff_page
from tests.clients import PASSWORD, AgentClient, Customer, run_cli, sign_off, wait_for

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


def test_an_admin_gives_an_agent_a_skill_in_the_console_and_the_chat_needing_it_goes_to_them(stack, settings, agents, browser, hub, only):
    """Skills and languages could only be set with ./cs agents --skill. The admin's team list opens each agent's
    routing: a capacity out of range is refused in the form; a skill ticked there routes the next chat of that kind
    to the agent, ahead of a colleague who would otherwise have had it."""
    tag = secrets.token_hex(2)
    dana, ema, boss = f"dana{tag}", f"ema{tag}", f"boss{tag}"
    account(dana, "--skill", "en")
    account(ema, "--skill", "en")
    account(boss, "--role", "admin")

    ctx, console = staff_page(browser, settings.hub_url, "/console", boss, DESKTOP)
    sign_off(settings, boss)  # admins take chats while online: not this one
    row = console.locator(f"#team li[data-agent='{dana}']")
    row.get_by_role("button", name=f"Routing for {dana.title()}").click(timeout=WAIT)
    dialog = console.get_by_role("dialog", name=f"Routing for {dana.title()}")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("English")).to_be_checked()
    capacity = dialog.get_by_label("Chats at once")
    capacity.fill("0")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog.get_by_role("alert")).to_have_text("Chats at once must be a whole number from 1 to 100.")
    capacity.fill("4")
    dialog.get_by_label("Logistics").check()
    shot(console, "console-agent-routing")
    assert_accessible(console, "an agent's routing dialog")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_be_hidden()
    expect(row.locator(".team-sub")).to_contain_text("Logistics", timeout=WAIT)
    saved = {a["username"]: a for a in AgentClient(hub, boss, console=False).get("/agents").json()}[dana]
    assert sorted(saved["skills"]) == ["en", "logistics"] and saved["capacity"] == 4
    ctx.close()
    sign_off(settings, boss)

    only(dana, ema)
    # Everything else equal, ema would be next (she has waited longer since her last chat): only the skill decides.
    r, keys = sync_client(settings), Keys(settings.key_prefix)
    r.zadd(keys.agent_last_assigned(), {ema: 0, dana: time.time() + 10**6})
    customer = Customer(hub, "en")
    customer.say("My parcel is lost, the courier says delivered but I never got it")
    customer.say("I want to talk to a person")
    assert customer.status()["conversation"]["agent"] == dana
    r.zrem(keys.agent_last_assigned(), dana, ema)


def test_a_supervisor_makes_a_customer_vip_with_a_dedicated_agent_and_their_next_chat_goes_to_that_agent(stack, settings, agents, browser, hub, only):
    """A VIP's own agent could be set only through the API. The supervisor opens the customer's chat, ticks VIP in
    the customer panel and picks the agent; a dedicated agent without VIP is refused in the panel. The customer's next
    hand-over goes to the dedicated agent, not to the colleague routing would otherwise choose."""
    tag = secrets.token_hex(2)
    fay, gus, chief = f"fay{tag}", f"gus{tag}", f"chief{tag}"
    account(fay)
    account(gus)
    account(chief, "--role", "supervisor")
    only(fay, gus)
    r, keys = sync_client(settings), Keys(settings.key_prefix)
    r.zadd(keys.agent_last_assigned(), {gus: 0, fay: time.time() + 10**6})  # gus is next, whenever it is a tie
    visitor = f"visitor-{secrets.token_hex(8)}"

    def hand_over() -> tuple[Customer, dict]:
        started = hub.post("/api/conversations", json={"language": "en", "visitor_id": visitor})
        assert started.status_code == 201, started.text
        c = Customer.__new__(Customer)
        c.hub, c.id, c.token = hub, started.json()["conversation_id"], started.json()["token"]
        c.headers = {"Authorization": f"Bearer {c.token}"}
        c.say("I want to talk to a person")
        return c, c.status()["conversation"]

    first, conv = hand_over()
    assert conv["agent"] == gus
    ref = conv["ticket_ref"]

    ctx, console = staff_page(browser, settings.hub_url, "/console", chief, DESKTOP, "zh")
    sign_off(settings, chief)  # supervisors take chats while online: not this one
    console.locator(f"#team li[data-agent='{gus}'] .ticket-chip", has_text=ref).click(timeout=WAIT)
    expect(console.locator("#ticket-ref")).to_have_text(ref, timeout=WAIT)
    console.locator("#customer .customer-toggle").click()
    panel = console.locator("#customer")
    vip = panel.get_by_label("VIP 顾客")
    expect(vip).not_to_be_checked(timeout=WAIT)
    panel.get_by_label("专属客服").select_option(fay)
    panel.get_by_role("button", name="保存方案").click()
    expect(panel.get_by_role("alert")).to_contain_text("专属客服只适用于 VIP 顾客")
    vip.check()
    panel.get_by_role("button", name="保存方案").click()
    expect(panel.locator(".customer-note")).to_have_text("已保存：此后的会话按此分配。", timeout=WAIT)
    expect(panel.get_by_label("VIP 顾客")).to_be_checked()
    expect(panel.get_by_label("专属客服")).to_have_value(fay)
    shot(console, "console-customer-plan")
    assert_accessible(console, "the customer panel's service plan")
    ctx.close()
    sign_off(settings, chief)

    # gus finishes the first chat: both are free again, and gus would be next, were the customer not fay's.
    assert AgentClient(hub, gus, console=False).post(f"/conversations/{first.id}/resolve").status_code == 200
    _, again = hand_over()
    assert again["agent"] == fay
    assert again["customer_tier"] == "vip"  # priority in the queue, and "VIP" beside the chat in the console
    ticket = AgentClient(hub, fay, console=False).get(f"/tickets/{again['ticket_ref']}").json()["ticket"]
    assert ticket["customer_tier"] == "vip"
    r.zrem(keys.agent_last_assigned(), fay, gus)
