"""How many WebSockets may be open at once (core/sockets.py), through real hub workers sharing one Redis.

Before, only the rate of opening was limited: one address could hold thousands of idle sockets, and one chat hundreds,
each sent every frame of the chat. Each test runs hubs of its own with small limits, and its clients come from
addresses of their own (X-Forwarded-For from loopback, a trusted proxy), so the suite's other sockets do not count.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from core.redis import Keys, async_client, sync_client
from core.settings import Settings
from core.sockets import Cap, OpenSockets
from tests.browser import DESKTOP, WAIT, chat_page, expect, shot, staff_page
from tests.clients import PASSWORD, run_cli, sign_off, start_hub

LIMITS = {"per_conversation": 2, "per_address": 3, "per_agent": 2}


def hubs(settings, count: int, **env: str) -> list[tuple]:
    return [start_hub(settings.rasa_port, timeout=15, CS_SOCKET_LIMITS=json.dumps(LIMITS), **env) for _ in range(count)]


def stop(*procs) -> None:
    for proc in procs:
        proc.terminate()
        proc.wait(10)


def start_chat(url: str, address: str) -> tuple[str, str]:
    started = httpx.post(f"{url}/api/conversations", json={"language": "en"}, headers={"X-Forwarded-For": address}, timeout=60)
    assert started.status_code == 201, started.text
    return started.json()["conversation_id"], started.json()["token"]


def open_chat(url: str, cid: str, token: str, address: str) -> ClientConnection | tuple[int, str]:
    """The customer's socket once its status frame came, or the close code and reason it was turned away with."""
    ws = connect(f"{url.replace('http', 'ws')}/api/conversations/{cid}/ws?token={token}", additional_headers={"X-Forwarded-For": address},
                 open_timeout=60)
    try:
        while json.loads(ws.recv(timeout=60))["type"] != "status":
            pass
    except ConnectionClosed as closed:
        return closed.rcvd.code, closed.rcvd.reason
    return ws


def receives(ws: ClientConnection, text: str) -> bool:
    """Read the socket until the customer's message ``text`` comes (True), or it closes (False)."""
    try:
        while True:
            frame = json.loads(ws.recv(timeout=60))
            if frame["type"] == "message" and frame["message"]["text"] == text:
                return True
    except ConnectionClosed:
        return False


def test_a_chat_and_an_address_hold_only_so_many_sockets_at_once_across_hub_workers(stack, settings):
    (a, url_a), (b, url_b) = hubs(settings, 2)
    opened: list[ClientConnection] = []
    try:
        cid, token = start_chat(url_a, "192.0.2.61")
        # Two sockets to the chat, one on each worker: a third, on either, is one too many.
        opened += [open_chat(url_a, cid, token, "192.0.2.61"), open_chat(url_b, cid, token, "192.0.2.62")]
        assert all(isinstance(ws, ClientConnection) for ws in opened), opened
        assert open_chat(url_a, cid, token, "192.0.2.63") == (1013, "too many open connections to this chat")
        assert open_chat(url_b, cid, token, "192.0.2.63") == (1013, "too many open connections to this chat")
        # The two still open are served: a message reaches both.
        said = httpx.post(f"{url_a}/api/conversations/{cid}/messages", json={"text": "still here?"},
                          headers={"Authorization": f"Bearer {token}", "X-Forwarded-For": "192.0.2.61"}, timeout=60)
        assert said.status_code == 200, said.text
        assert all(receives(ws, "still here?") for ws in opened)
        # One closes: its place is free again.
        opened.pop().close()
        again = open_chat(url_a, cid, token, "192.0.2.63")
        assert isinstance(again, ClientConnection), again
        opened.append(again)

        # An address: 3 sockets at once whatever the chats, on any worker (192.0.2.61 holds one already).
        others = [start_chat(url_a, "192.0.2.61") for _ in range(3)]
        opened += [open_chat(url, c, t, "192.0.2.61") for url, (c, t) in zip((url_a, url_b), others)]
        assert all(isinstance(ws, ClientConnection) for ws in opened), opened
        assert open_chat(url_b, *others[2], "192.0.2.61") == (1013, "too many open connections from this address")
        assert isinstance(ws := open_chat(url_b, *others[2], "192.0.2.64"), ClientConnection)  # another address is not affected
        opened.append(ws)
    finally:
        for ws in opened:
            ws.close()
        stop(a, b)


def test_a_hub_killed_with_sockets_open_does_not_leave_them_counted(stack, settings):
    """The killed worker cannot remove its sockets from the count: their leases lapse (3 s here) and they stop counting."""
    (doomed, url_doomed), = hubs(settings, 1, CS_SOCKET_LEASE_SECONDS="3")
    (survivor, url) = hubs(settings, 1)[0]
    try:
        cid, token = start_chat(url, "192.0.2.71")
        held = [open_chat(url_doomed, cid, token, "192.0.2.71") for _ in range(2)]
        assert all(isinstance(ws, ClientConnection) for ws in held), held
        doomed.kill()  # SIGKILL: nothing runs on the way out
        doomed.wait(10)
        for ws in held:
            ws.close()
        # Both places come free (not one: a count that went down by one, or not at all, would stop here).
        deadline, reopened = time.monotonic() + 90, []
        while len(reopened) < 2:
            ws = open_chat(url, cid, token, "192.0.2.72")
            if isinstance(ws, ClientConnection):
                reopened.append(ws)
                continue
            assert ws == (1013, "too many open connections to this chat"), ws
            assert time.monotonic() < deadline, "the killed worker's sockets still count"
            time.sleep(0.5)
        assert open_chat(url, cid, token, "192.0.2.72") == (1013, "too many open connections to this chat")  # and the limit holds
        for ws in reopened:
            ws.close()
    finally:
        stop(survivor)


def test_an_agent_holds_only_so_many_consoles_at_once(stack, settings, agents):
    proc = run_cli("-m", "handoff", "add", "cappy", "--name", "Cappy", "--role", "agent", "--password", PASSWORD)
    assert proc.returncode == 0, proc.stderr
    (a, url_a), (b, url_b) = hubs(settings, 2)
    consoles: list[ClientConnection] = []
    try:
        login = httpx.post(f"{url_a}/api/agent/login", json={"username": "cappy", "password": PASSWORD, "take_chats": False}, timeout=60)
        token = login.json()["token"]

        def console(url: str, address: str) -> ClientConnection | tuple[int, str]:
            ws = connect(f"{url.replace('http', 'ws')}/api/agent/ws?token={token}", additional_headers={"X-Forwarded-For": address}, open_timeout=60)
            try:
                ws.send("ping")  # as the console page does: not JSON, so an open console answers with an error frame
                assert json.loads(ws.recv(timeout=60))["type"] == "error"
            except ConnectionClosed as closed:
                return closed.rcvd.code, closed.rcvd.reason
            return ws

        consoles += [console(url_a, "192.0.2.81"), console(url_b, "192.0.2.82")]
        assert all(isinstance(ws, ClientConnection) for ws in consoles), consoles
        assert console(url_a, "192.0.2.83") == (1013, "too many open connections for this agent")
    finally:
        for ws in consoles:
            ws.close()
        stop(a, b)
        sign_off(settings, "cappy")


@pytest.mark.parametrize("language, says", [("en", "too many windows"), ("zh", "窗口或标签页过多")])
def test_the_chat_page_says_when_the_chat_is_open_in_too_many_tabs(stack, settings, browser, language, says):
    """A tab over the limit is told why it is not live (not "reconnecting" for ever), and gets in once another closes."""
    limits = {**LIMITS, "per_conversation": 1, "per_address": 1_000_000}
    proc, url = start_hub(settings.rasa_port, timeout=15, CS_SOCKET_LIMITS=json.dumps(limits))
    try:
        ctx, first = chat_page(browser, url, DESKTOP, language)
        cid = first.evaluate("() => JSON.parse(localStorage.getItem('cs_chat_v1')).id")
        open_sockets = Keys(settings.key_prefix).open_sockets("conversation", cid)
        deadline = time.monotonic() + 60
        while not sync_client(settings).zcard(open_sockets):  # the first tab's live link is up
            assert time.monotonic() < deadline, "the first tab never connected"
            time.sleep(0.2)
        second = ctx.new_page()  # the same chat (the same browser's storage) in a second tab
        second.goto(f"{url}/chat")
        expect(second.locator("#conn")).to_contain_text(says, timeout=WAIT)
        expect(second.locator("#conn")).to_have_attribute("data-state", "too_many_windows")
        shot(second, f"chat-too-many-tabs-{language}")
        first.close()
        expect(second.locator("#conn")).to_be_hidden(timeout=WAIT)  # it tries again by itself, and is let in
        ctx.close()
    finally:
        stop(proc)


def test_the_console_says_when_the_agent_has_too_many_consoles_open(stack, settings, agents, browser):
    limits = {**LIMITS, "per_agent": 1, "per_address": 1_000_000}
    proc = run_cli("-m", "handoff", "add", "tabby", "--name", "Tabby", "--role", "agent", "--password", PASSWORD)
    assert proc.returncode == 0, proc.stderr
    hub, url = start_hub(settings.rasa_port, timeout=15, CS_SOCKET_LIMITS=json.dumps(limits))
    try:
        token = httpx.post(f"{url}/api/agent/login", json={"username": "tabby", "password": PASSWORD, "take_chats": False}, timeout=60).json()["token"]
        elsewhere = connect(f"{url.replace('http', 'ws')}/api/agent/ws?token={token}", open_timeout=60)  # a console open in another tab
        elsewhere.send("ping")
        assert json.loads(elsewhere.recv(timeout=60))["type"] == "error"  # it is open (and answers)
        ctx, page = staff_page(browser, url, "/console", "tabby", DESKTOP)
        expect(page.locator("#conn")).to_have_text(re.compile("Too many consoles are open"), timeout=WAIT)
        shot(page, "console-too-many-consoles")
        elsewhere.close()
        expect(page.locator("#conn")).to_have_text("", timeout=WAIT)  # it tries again by itself, and is let in
        ctx.close()
    finally:
        stop(hub)
        sign_off(settings, "tabby")


def test_a_renewal_gives_every_held_socket_a_new_lease_and_never_recreates_an_erased_chats_set(valkey_url):
    """``OpenSockets.renew_all`` against a real Valkey: each socket this worker holds gets a new lease in every set it is
    counted in (an address's set holds many of them), each set lives on, and a chat's set erased meanwhile
    (``Keys.of_conversation``) is not created again."""

    async def scenario() -> None:
        client = async_client(Settings(redis_url=valkey_url))
        keys = Keys("socket-renewal-test")
        sockets = OpenSockets(client, keys, lease_seconds=60)
        chat1, chat2, address = (keys.open_sockets("conversation", "c1"), keys.open_sockets("conversation", "c2"),
                                 keys.open_sockets("address", "192.0.2.81"))
        try:
            held = [await sockets.admit([Cap("conversation", cid, 5), Cap("address", "192.0.2.81", 5)]) for cid in ("c1", "c1", "c2")]
            for key in (chat1, chat2, address):  # every lease about to lapse
                await client.zadd(key, dict.fromkeys(held, 1), xx=True)
            await client.delete(chat2)  # the second chat erased
            before = time.time() * 1000
            await sockets.renew_all()
            assert set(await client.zrange(chat1, 0, -1)) == set(held[:2])
            assert set(await client.zrange(address, 0, -1)) == set(held)
            for key in (chat1, address):
                assert all(score >= before + 59_000 for _, score in await client.zrange(key, 0, -1, withscores=True))
                assert await client.pttl(key) > 60_000
            assert not await client.exists(chat2)
        finally:
            await client.aclose()

    # In a thread of its own, with its own event loop: this file's browser tests leave Playwright's loop on this one.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, scenario()).result()
