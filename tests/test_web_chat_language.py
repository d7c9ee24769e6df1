"""The customer page's language (中文 / English) in a real browser against the real stack: the conversation follows the
switch, so the way to a person is written in it and what the desk says speaks it; times are the page's and the shop's."""

from __future__ import annotations

import httpx

from tests.browser import PHONE, WAIT, chat_page, expect, saved_conversation
from tests.clients import wait_for


def has_han(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def conversation(hub_url: str, page) -> dict:
    cid, token = saved_conversation(page)
    return httpx.get(f"{hub_url}/api/conversations/{cid}", headers={"Authorization": f"Bearer {token}"}).json()["conversation"]


def test_switched_to_chinese_the_person_button_and_the_desks_notices_speak_chinese(stack, settings, browser, only):
    (alice,) = only("alice")  # alone at work: the chat is pushed to her
    ctx, page = chat_page(browser, settings.hub_url, PHONE, "en")  # an English browser: the chat starts in English
    page.locator("#lang").click()
    expect(page.locator("#human-text")).to_have_text("转人工")
    page.locator("#human").click()
    expect(page.locator(".row.customer .bubble").last).to_have_text("转人工", timeout=WAIT)
    assigned = page.locator(".row.assigned .bubble")
    expect(assigned).to_be_visible(timeout=WAIT)
    for notice in page.locator(".row.system .bubble").all_inner_texts():
        assert has_han(notice), notice
    assert conversation(settings.hub_url, page)["language"] == "zh"

    # Back to English while with the agent: what the desk says next is English.
    page.locator("#lang").click()
    expect(page.locator("#human-text")).to_have_text("Talk to a person")
    assert wait_for(lambda: conversation(settings.hub_url, page)["language"] == "en", 10)
    cid, _ = saved_conversation(page)
    assert alice.post(f"/conversations/{cid}/resolve").status_code == 200
    resolved = page.locator(".row.rating_request .bubble")
    expect(resolved).to_be_visible(timeout=WAIT)
    assert not has_han(resolved.inner_text()), resolved.inner_text()
    ctx.close()
