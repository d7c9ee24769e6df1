"""The chat page and the agent console while the service is briefly away, in a real browser: the customer and the
agent are told, and nothing they typed is lost.

The session's Valkey is frozen (SIGSTOP: every request to it times out, the hub answers 503 with
Retry-After); the page must say so and keep the message pending, then deliver it by itself, once,
when Valkey is back (SIGCONT).
"""

from __future__ import annotations

import json
import os
import random
import signal

import httpx
import pytest

from tests.browser import ARTIFACTS, DESKTOP, PHONE, WAIT, expect, shot, staff_page
from tests.clients import AgentClient, Customer, start_hub


def test_the_chat_says_so_while_the_store_is_away_and_delivers_afterwards(stack, settings, browser):
    ctx = browser.new_context(viewport=PHONE, locale="en-US")
    page = ctx.new_page()
    page.goto(f"{settings.hub_url}/chat")
    page.wait_for_function("() => { const s = JSON.parse(localStorage.getItem('cs_chat_v1') || 'null'); return s && s.id; }")
    box = page.get_by_label("Your message")
    box.fill("hello")
    box.press("Enter")
    expect(page.locator(".row.bot:not(.typing):not(.welcome)")).to_have_count(1, timeout=60_000)  # the reply to "hello"
    expect(page.locator(".row.typing")).to_have_count(0)

    valkey = stack.pid("redis")
    os.kill(valkey, signal.SIGSTOP)
    try:
        box.fill("Do you ship to Canada?")
        box.press("Enter")
        notice = page.get_by_text("We're having a brief problem. Your message will be sent automatically")
        expect(notice).to_be_visible(timeout=30_000)
        expect(page.locator(".row.customer.pending .bubble", has_text="Do you ship to Canada?")).to_have_count(1)
        expect(page.locator(".row.customer.failed")).to_have_count(0)
        page.screenshot(path=str(ARTIFACTS / "chat-store-away.png"))
    finally:
        os.kill(valkey, signal.SIGCONT)
    expect(notice).to_be_hidden(timeout=60_000)
    expect(page.locator(".row.customer .bubble", has_text="Do you ship to Canada?")).to_have_count(1)
    expect(page.locator(".row.customer.pending")).to_have_count(0, timeout=60_000)
    saved = page.evaluate("() => JSON.parse(localStorage.getItem('cs_chat_v1'))")
    ctx.close()
    # Stored exactly once, and answered.
    transcript = httpx.get(f"{settings.hub_url}/api/conversations/{saved['id']}/messages", headers={"Authorization": f"Bearer {saved['token']}"}).json()
    assert [m["text"] for m in transcript if m["sender"] == "customer"] == ["hello", "Do you ship to Canada?"]
    assert transcript[-1]["sender"] in ("bot", "system")


def _claimed_in_console(hub, browser, settings, agent: str, language: str, problem: str):
    """A customer handed to people, claimed by ``agent`` in a console page of ``language``, its reply box focused."""
    customer = Customer(hub, language)
    customer.say(problem)
    hub.post(f"/api/conversations/{customer.id}/handoff", headers=customer.headers)
    ctx, page = staff_page(browser, settings.hub_url, "/console", agent, DESKTOP, language)
    page.locator(f'#queue li[data-cid="{customer.id}"] button.claim').click(timeout=60_000)
    expect(page.locator("#reply")).to_be_focused(timeout=60_000)
    return customer, ctx, page


@pytest.mark.usefixtures("manual_assignment")
def test_the_console_keeps_a_reply_while_the_store_is_away_and_sends_it_once_afterwards(stack, settings, agents, browser, hub):
    """The hub answers 503 with its English sentence; the console says it in the agent's language, keeps the reply,
    and sends it by itself when the store is back: the customer gets it once (a request that timed out may still
    have been stored when the store woke up: the console's client message id keeps it single)."""
    customer, ctx, page = _claimed_in_console(hub, browser, settings, "alice", "zh", "订单 7719 还没到")
    reply, error = page.locator("#reply"), page.locator("#action-error")

    valkey = stack.pid("redis")
    os.kill(valkey, signal.SIGSTOP)
    try:
        reply.fill("您好，我来帮您查一下")
        reply.press("Enter")
        expect(error).to_have_text("无法连接到服务。您的回复已保留在此，连接恢复后会自动发送。", timeout=30_000)
        expect(reply).to_have_value("您好，我来帮您查一下")
        page.screenshot(path=str(ARTIFACTS / "console-store-away.png"))
    finally:
        os.kill(valkey, signal.SIGCONT)
    expect(error).to_be_hidden(timeout=60_000)
    expect(reply).to_have_value("")
    expect(page.locator("#transcript .msg.agent", has_text="您好，我来帮您查一下")).to_have_count(1)
    page.wait_for_timeout(500)  # a second copy, if any, would have arrived by now
    assert [m["text"] for m in customer.transcript() if m["sender"] == "agent"] == ["您好，我来帮您查一下"]
    ctx.close()
    AgentClient(hub, "alice").post(f"/conversations/{customer.id}/resolve")


@pytest.mark.usefixtures("manual_assignment")
def test_the_console_says_a_reply_is_kept_while_the_hub_has_not_answered(stack, settings, agents, browser, hub):
    """A send the hub leaves unanswered (its store frozen, the browser queueing the request behind the page's other
    stalled ones: half a minute in a crowded run) is announced as kept within seconds, and stays announced through
    the page's other refreshes; once the answer comes the notice goes and the reply is in the chat once."""
    customer, ctx, page = _claimed_in_console(hub, browser, settings, "bob", "en", "my parcel is late")
    reply, error = page.locator("#reply"), page.locator("#action-error")

    held = []
    page.route(f"**/api/agent/conversations/{customer.id}/messages", lambda route: held.append(route))
    reply.fill("Let me check that for you")
    reply.press("Enter")
    expect(error).to_have_text("Can't reach the service. Your reply is kept here and will be sent when the connection is back.", timeout=20_000)
    page.wait_for_timeout(3000)  # the page's own refreshes go on meanwhile
    expect(error).to_have_text("Can't reach the service. Your reply is kept here and will be sent when the connection is back.")
    expect(reply).to_have_value("Let me check that for you")
    assert len(held) == 1
    held[0].continue_()
    page.unroute(f"**/api/agent/conversations/{customer.id}/messages")
    expect(error).to_be_hidden(timeout=30_000)
    expect(reply).to_have_value("")
    expect(page.locator("#transcript .msg.agent", has_text="Let me check that for you")).to_have_count(1)
    assert [m["text"] for m in customer.transcript() if m["sender"] == "agent"] == ["Let me check that for you"]
    ctx.close()
    AgentClient(hub, "bob").post(f"/conversations/{customer.id}/resolve")


def test_a_chat_refused_for_now_at_start_says_when_it_starts_not_to_check_the_connection(stack, settings, browser):
    """Too many chats started from one address (an office, a campus, a carrier's NAT: common in China) and the hub
    refuses a new one for a while (429, Retry-After). The page said "无法开始会话，请检查网络后刷新页面" (check your network
    and reload), which helps nobody, and tried again every 5 s. It says when the chat starts by itself, in the
    page's language, and keeps what the customer types for it."""
    limits = {name: "1000000/60" for name in ("messages_per_conversation", "messages_per_address", "customer_actions_per_conversation",
                                              "login_per_address", "kb_search_per_user", "requests_per_address")}
    proc, url = start_hub(settings.rasa_port, timeout=15, CS_RATE_LIMITS=json.dumps({**limits, "start_per_address": "1/600"}))
    # An address of the test's own (the hub trusts loopback as its proxy): the suite's chats from 127.0.0.1 count too.
    address = {"X-Forwarded-For": f"198.51.100.{random.randint(1, 254)}"}
    try:
        assert httpx.post(f"{url}/api/conversations", json={"language": "zh"}, headers=address).status_code == 201  # the address's one chat
        ctx = browser.new_context(viewport={"width": 375, "height": 740}, locale="zh-CN", extra_http_headers=address)
        page = ctx.new_page()
        page.goto(f"{url}/chat")
        conn = page.locator("#conn")
        expect(conn).to_contain_text("分钟后自动开始", timeout=WAIT)
        expect(conn).not_to_contain_text("检查网络")
        assert page.evaluate("() => localStorage.getItem('cs_chat_v1')") is None  # nothing started
        box = page.get_by_label("您的消息")
        box.fill("我的订单还没发货")
        box.press("Enter")
        expect(page.locator(".row.customer.pending")).to_have_count(1)  # kept for the chat when it starts
        shot(page, "chat-phone-zh-start-refused")
        page.locator("#lang").click()
        expect(conn).to_contain_text("starts by itself in about 10 min")
        ctx.close()
    finally:
        proc.terminate()
        proc.wait(10)


def test_asking_for_a_person_while_offline_is_sent_once_the_network_is_back(stack, settings, browser):
    """A customer taps 转人工 on a phone whose network just dropped (a lift, a tunnel). The page dropped the request:
    the button came back as if nothing had been asked, the connection line said "messages will be sent when you're
    back", and once back nobody was asked for. The request waits like a message does, and is sent by itself when
    the network is back (a service briefly away, 503 or 429, is asked again the same way)."""
    ctx = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = ctx.new_page()
    page.goto(f"{settings.hub_url}/chat")
    page.wait_for_function("() => { const s = JSON.parse(localStorage.getItem('cs_chat_v1') || 'null'); return s && s.id; }")
    saved = page.evaluate("() => JSON.parse(localStorage.getItem('cs_chat_v1'))")
    ctx.set_offline(True)
    try:
        page.get_by_role("button", name="转人工").click()
        expect(page.locator("#conn")).to_contain_text("网络已断开")
        shot(page, "chat-phone-zh-person-asked-offline")
    finally:
        ctx.set_offline(False)
    expect(page.locator("#banner")).to_be_visible(timeout=60_000)  # in the queue (or already with an agent)
    expect(page.locator("#conn")).to_be_hidden()
    view = httpx.get(f"{settings.hub_url}/api/conversations/{saved['id']}", headers={"Authorization": f"Bearer {saved['token']}"}).json()
    assert view["conversation"]["status"] in ("queued", "assigned")
    ctx.close()
