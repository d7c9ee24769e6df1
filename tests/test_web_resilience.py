"""The chat page while the service is briefly away, in a real browser: the customer is told, and nothing they typed is lost.

The session's Valkey is frozen (SIGSTOP: every request to it times out, the hub answers 503 with
Retry-After); the page must say so and keep the message pending, then deliver it by itself, once,
when Valkey is back (SIGCONT).
"""

from __future__ import annotations

import os
import signal

import httpx

from tests.browser import ARTIFACTS, PHONE, expect


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
