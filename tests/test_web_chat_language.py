"""The customer page's language (中文 / English) in a real browser against the real stack: the conversation follows the
switch, so the way to a person is written in it and what the desk says speaks it; times are the page's and the shop's."""

from __future__ import annotations

import httpx

from tests.browser import LOCALES, PHONE, WAIT, chat_page, expect, saved_conversation, shot
from tests.clients import AgentClient, hub_out_of_hours, wait_for


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


def test_out_of_hours_the_banner_and_the_notice_say_the_same_time_on_the_shops_clock(stack, settings, browser, only):
    """A customer in New York, a shop in Shanghai: the banner used the browser's clock, the notice the shop's without a zone."""
    only()  # nobody online: the suite's own hub, open all day on the same Redis, would have its desk sweep push the chat
    with hub_out_of_hours(settings.rasa_port) as (url, opens):
        for language in ("zh", "en"):
            ctx = browser.new_context(viewport=PHONE, locale=LOCALES[language], timezone_id="America/New_York")
            page = ctx.new_page()
            page.goto(f"{url}/chat")
            page.locator("#human").click()
            notice = page.locator(".row.offline .bubble")
            expect(notice).to_be_visible(timeout=WAIT)
            said = f"{opens:%H:%M} UTC+8"
            expect(notice).to_contain_text(said)
            expect(page.locator("#banner-text")).to_contain_text(said)
            shot(page, f"chat-closed-banner-{language}")
            ctx.close()


def test_message_times_follow_the_pages_language_not_the_browsers(stack, settings, browser):
    """An American browser (12-hour clock) on the chat switched to 中文: every time is written the Chinese way."""
    ctx, page = chat_page(browser, settings.hub_url, PHONE, "en")  # en-US
    box = page.locator("#input")
    box.fill("hello")
    box.press("Enter")
    expect(page.locator(".row.bot time").first).to_be_visible(timeout=WAIT)
    page.locator("#lang").click()
    box.fill("你好")
    box.press("Enter")
    expect(page.locator(".row.customer time")).to_have_count(2, timeout=WAIT)
    expect(page.locator(".row.bot time")).to_have_count(2, timeout=WAIT)
    times = page.locator("#log time").evaluate_all(
        "(ns) => ns.map((n) => [n.textContent, new Date(n.dateTime).toLocaleTimeString('zh-CN', { hour: '2-digit', minute: '2-digit' })])")
    assert len(times) >= 4
    for shown, chinese in times:
        assert shown == chinese and "M" not in shown, times  # 14:05, never 02:05 PM
    ctx.close()


def test_the_contact_form_and_its_notices_follow_a_later_switch_of_language(stack, settings, browser, hub, only):
    """The offline form, its error, the line saying it is no longer needed and the survey's error were written once,
    in the language of the moment: a customer who switched to 中文 after the form appeared still read English labels."""
    only()  # nobody online: the chat offers the contact form
    ctx, page = chat_page(browser, settings.hub_url, PHONE, "en")
    page.get_by_role("button", name="Talk to a person").click()
    form = page.locator(".row.system.offline .contact-form")
    expect(form).to_be_visible(timeout=WAIT)
    form.get_by_label("Your phone number or e-mail").fill("not a phone")
    form.get_by_role("button", name="Leave contact").click()
    expect(form.locator(".contact-error")).to_have_text("That doesn't look like a phone number or an e-mail address.")

    page.locator("#lang").click()  # 中文
    expect(form.locator(".contact-label")).to_have_text("您的手机号或邮箱")
    expect(form.get_by_label("您的手机号或邮箱")).to_have_value("not a phone")  # the label still names the box
    expect(form.get_by_role("button", name="留下联系方式")).to_be_visible()
    expect(form.locator(".contact-error")).to_have_text("这看起来不是有效的手机号或邮箱地址。")
    shot(page, "chat-phone-contact-form-switched-zh")

    cid, _ = saved_conversation(page)
    alice = AgentClient(hub, "alice")
    claimed = alice.post(f"/conversations/{cid}/claim")  # 409 when signing in already handed her the waiting chat
    assert claimed.status_code in (200, 409), claimed.text
    closed = page.locator(".row.system.offline .contact-closed")
    expect(closed).to_have_text("客服已接入，无需再留联系方式，直接在这里留言即可。", timeout=WAIT)
    page.locator("#lang").click()  # back to English
    expect(closed).to_have_text("An agent has joined: no need to leave a contact, just write here.")

    assert alice.post(f"/conversations/{cid}/resolve").status_code == 200
    rating = page.locator("#rating")
    expect(rating).to_be_visible(timeout=WAIT)
    rating.get_by_role("button", name="Send rating").click()
    expect(page.locator("#rating-error")).to_have_text("Pick a number of stars first.")
    page.locator("#lang").click()  # 中文 again
    expect(page.locator("#rating-error")).to_have_text("请先选择星级。")
    expect(closed).to_have_text("客服已接入，无需再留联系方式，直接在这里留言即可。")
    ctx.close()
