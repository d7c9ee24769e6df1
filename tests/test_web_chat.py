"""The customer chat (issue 10), in a real browser against the real stack: links in answers, the message limit,
nothing lost offline, the not-helpful follow-up, chips that retire, and a header that fits at 320px."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.browser import DESKTOP, LINK_ASK, LOCALES, NARROW, PHONE, WAIT, assert_accessible, chat_page, expect, saved_conversation, shot, staff_page
from tests.clients import PASSWORD, AgentClient, Customer, run_cli


@pytest.mark.usefixtures("manual_assignment")  # the agent claims the chat from the queue
def test_a_link_in_a_published_answer_is_clickable_in_the_chat_and_the_console(stack, settings, agents, browser, link_answer):
    hub = settings.hub_url
    ctx, page = chat_page(browser, hub, DESKTOP)
    box = page.get_by_label("Your message")
    box.fill(LINK_ASK)
    box.press("Enter")
    answer = page.locator(".row.bot", has_text="GIFTWRAP7781")
    expect(answer).to_be_visible(timeout=WAIT)
    link = answer.get_by_role("link", name="gift wrap guide")
    expect(link).to_have_attribute("href", "https://example.com/gift-wrap")
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    expect(answer.locator("strong")).to_have_text("¥10")
    expect(answer.locator("li")).to_have_count(2)
    with ctx.expect_page() as opened:  # clickable: it opens a new tab
        link.click()
    opened.value.close()
    shot(page, "chat-desktop-link")
    assert_accessible(page, "chat with an answer (desktop, en)")

    # The agent sees the same answer rendered, and a plain URL they send becomes a link for the customer.
    page.get_by_role("button", name="Talk to a person").click()
    cid, _ = saved_conversation(page)
    actx, agent = staff_page(browser, hub, "/console", "alice", DESKTOP)
    agent.locator(f'#queue li[data-cid="{cid}"]').get_by_role("button", name=re.compile("^Claim")).click()
    bot_line = agent.locator("#transcript .msg.bot", has_text="GIFTWRAP7781")
    expect(bot_line.get_by_role("link", name="gift wrap guide")).to_have_attribute("href", "https://example.com/gift-wrap")
    agent.get_by_label("Reply to customer").fill("Track it here: https://example.com/track/123 and tell me **if** it helps")
    agent.get_by_role("button", name="Send", exact=True).click()
    sent = page.locator(".row.agent .bubble", has_text="Track it here")
    expect(sent.get_by_role("link", name="https://example.com/track/123")).to_have_attribute("rel", "noopener noreferrer", timeout=WAIT)
    expect(sent.locator("strong")).to_have_text("if")

    # Someone looking elsewhere sees the reply in the title and the favicon; looking again clears them.
    page.evaluate("() => { document.hasFocus = () => false; }")
    agent.get_by_label("Reply to customer").fill("Anything else I can do?")
    agent.get_by_role("button", name="Send", exact=True).click()
    expect(page).to_have_title("(1) Support", timeout=WAIT)
    expect(page.locator("link[rel='icon']")).to_have_attribute("href", re.compile("favicon-unread"))
    page.evaluate("() => { delete document.hasFocus; window.dispatchEvent(new Event('focus')); }")
    expect(page).to_have_title("Support")
    expect(page.locator("link[rel='icon']")).to_have_attribute("href", re.compile("favicon.svg"))
    expect(agent.locator("#transcript .msg.agent").get_by_role("link", name="https://example.com/track/123")).to_be_visible()
    shot(agent, "console-desktop-links")
    actx.close()
    ctx.close()


def test_the_limit_shows_before_it_is_reached_and_a_draft_survives_a_reload(stack, settings, browser):
    ctx, page = chat_page(browser, settings.hub_url, PHONE, "zh")
    box = page.get_by_label("您的消息")
    counter = page.locator("#counter")
    box.fill("问" * 100)
    expect(counter).to_be_hidden()
    box.fill("问" * 1700)
    expect(counter).to_have_text("1700 / 2000 字")
    box.fill("问" * 2100)
    expect(counter).to_have_text(re.compile("超出 100 字"))
    expect(page.locator("#send")).to_have_attribute("aria-disabled", "true")
    box.press("Enter")
    expect(page.locator(".row.customer")).to_have_count(0)  # nothing sent, nothing lost
    assert box.input_value() == "问" * 2100
    shot(page, "chat-phone-zh-over-limit")
    assert_accessible(page, "chat over the limit (phone, zh)")
    page.reload()
    expect(page.get_by_label("您的消息")).to_have_value("问" * 2100)
    expect(page.locator("#counter")).to_have_text(re.compile("超出 100 字"))
    ctx.close()


def test_a_message_sent_offline_is_delivered_once_when_the_connection_returns(stack, settings, browser):
    ctx, page = chat_page(browser, settings.hub_url, DESKTOP)
    cid, token = saved_conversation(page)
    expect(page.locator("#conn")).to_be_hidden()
    ctx.set_offline(True)
    box = page.get_by_label("Your message")
    box.fill("Where is my parcel 5531?")
    box.press("Enter")
    expect(page.locator("#conn")).to_have_text("You're offline. Your messages will be sent when you're back.")
    expect(page.locator(".row.customer.pending", has_text="Where is my parcel 5531?")).to_have_count(1)
    expect(page.locator(".row.customer.failed")).to_have_count(0)
    shot(page, "chat-desktop-offline")
    ctx.set_offline(False)
    expect(page.locator(".row.customer.pending")).to_have_count(0, timeout=WAIT)
    expect(page.locator(".row.customer", has_text="Where is my parcel 5531?")).to_have_count(1)
    expect(page.locator("#conn")).to_be_hidden(timeout=WAIT)
    page.reload()  # nothing left waiting in the outbox, nothing sent again
    expect(page.locator(".row.customer", has_text="Where is my parcel 5531?")).to_have_count(1)
    expect(page.locator(".row.customer.pending")).to_have_count(0)
    transcript = httpx.get(f"{settings.hub_url}/api/conversations/{cid}/messages", headers={"Authorization": f"Bearer {token}"}).json()
    assert [m["text"] for m in transcript if m["sender"] == "customer"] == ["Where is my parcel 5531?"]
    ctx.close()


def chat_with_its_start_held(browser, hub_url: str):
    """The chat page with its first "start a conversation" request held in the browser (in ``held``, to release
    or abandon): the page as a slow network or a busy hub shows it in its first moments."""
    ctx = browser.new_context(viewport=DESKTOP, locale="en-US")
    page = ctx.new_page()
    held: list = []
    page.route(re.compile(r"/api/conversations$"), lambda route: held.append(route) if route.request.method == "POST" and not held else route.continue_())
    page.goto(f"{hub_url}/chat")
    return ctx, page, held


def test_a_message_typed_while_the_chat_is_still_starting_is_sent_once_it_has_started(stack, settings, browser):
    """A fast typist (or a slow network): the first message goes out when the conversation exists, not into the void."""
    ctx, page, held = chat_with_its_start_held(browser, settings.hub_url)
    box = page.get_by_label("Your message")
    box.fill("how long does shipping take")
    box.press("Enter")
    expect(page.locator(".row.customer.pending", has_text="how long does shipping take")).to_have_count(1)
    assert len(held) == 1  # the conversation is not started yet
    page.reload()  # still waiting, and not lost by a reload (the held start request is abandoned; the next one goes)
    expect(page.locator(".row.customer", has_text="how long does shipping take")).to_have_count(1)
    expect(page.locator(".row.customer.pending")).to_have_count(0, timeout=WAIT)
    expect(page.locator(".row.bot:not(.welcome):not(.typing) .bubble").last).to_be_visible(timeout=WAIT)  # the bot's reply
    cid, token = saved_conversation(page)
    transcript = httpx.get(f"{settings.hub_url}/api/conversations/{cid}/messages", headers={"Authorization": f"Bearer {token}"}).json()
    assert [m["text"] for m in transcript if m["sender"] == "customer"] == ["how long does shipping take"]
    assert any(m["sender"] == "bot" for m in transcript)
    ctx.close()


@pytest.mark.usefixtures("manual_assignment")  # the chat waits in the queue, where the banner says so
def test_a_person_asked_for_while_the_chat_is_still_starting_is_called_once_it_has_started(stack, settings, browser):
    """The button is there from the first paint; a click before the conversation exists is kept, not dropped."""
    ctx, page, held = chat_with_its_start_held(browser, settings.hub_url)
    human = page.get_by_role("button", name="Talk to a person")
    human.click()
    expect(human).to_be_disabled()  # on its way, not offered twice
    for _ in range(100):
        if held:
            break
        page.wait_for_timeout(100)
    assert len(held) == 1 and page.evaluate("() => localStorage.getItem('cs_chat_v1')") is None  # not started yet
    held[0].continue_()
    expect(page.locator("#banner-text")).to_contain_text("queue", timeout=WAIT)
    cid, token = saved_conversation(page)
    view = httpx.get(f"{settings.hub_url}/api/conversations/{cid}", headers={"Authorization": f"Bearer {token}"}).json()
    assert view["conversation"]["status"] == "queued"
    ctx.close()


@pytest.mark.usefixtures("manual_assignment")  # the agent claims the chat from the queue
def test_not_helpful_offers_other_answers_and_a_person_and_the_agent_sees_the_vote(stack, settings, agents, browser, hub):
    ctx, page = chat_page(browser, settings.hub_url, PHONE)
    box = page.get_by_label("Your message")
    box.fill("How long does delivery take?")
    box.press("Enter")
    answer = page.locator(".row.bot", has=page.get_by_role("button", name="No", exact=True)).last
    expect(answer).to_be_visible(timeout=WAIT)
    answer.get_by_role("button", name="No", exact=True).click()
    expect(answer.locator(".feedback")).to_contain_text("Thanks for the feedback")
    follow_up = page.locator(".row.bot", has_text="Sorry that didn't help")
    expect(follow_up).to_be_visible(timeout=WAIT)
    chips = follow_up.locator(".choice")
    expect(chips.last).to_have_text("None of these, talk to a person")
    assert chips.count() >= 2, "the next best answers come first"
    shot(page, "chat-phone-not-helpful")
    assert_accessible(page, "chat with the not-helpful follow-up (phone, en)")
    chips.last.click()
    expect(page.locator("#banner-text")).to_contain_text("queue", timeout=WAIT)
    for i in range(chips.count()):
        expect(chips.nth(i)).to_be_disabled()  # used: it can't be sent twice
    expect(follow_up.locator(".choice.chosen")).to_have_text("None of these, talk to a person")
    page.reload()
    expect(page.locator(".row.bot", has_text="Sorry that didn't help").locator(".choice").first).to_be_disabled()
    shot(page, "chat-phone-after-choice")

    cid, _ = saved_conversation(page)
    packet = AgentClient(hub, "bob").get(f"/conversations/{cid}").json()["packet"]
    assert [v["question"] for v in packet["not_helpful"]] == ["How long does delivery take?"]
    assert packet["not_helpful"][0]["entry_id"]
    actx, agent = staff_page(browser, settings.hub_url, "/console", "bob", DESKTOP)
    agent.locator(f'#queue li[data-cid="{cid}"] button.item').click()
    expect(agent.locator("#packet")).to_contain_text("Voted not helpful")
    expect(agent.locator("#packet")).to_contain_text("How long does delivery take?")
    shot(agent, "console-desktop-vote-in-packet")
    actx.close()
    ctx.close()


def test_the_header_keeps_its_title_at_320px_in_both_languages(stack, settings, browser):
    for language, title in (("en", "Support"), ("zh", "在线客服")):
        ctx, page = chat_page(browser, settings.hub_url, NARROW, language)
        heading = page.get_by_role("heading", level=1)
        expect(heading).to_have_text(title)
        assert heading.evaluate("h => h.scrollWidth <= h.clientWidth"), "the title is cut"
        box = heading.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 320
        for button in page.locator(".top-actions button:visible").all():
            b = button.bounding_box()
            assert b["x"] + b["width"] <= 320, button.get_attribute("aria-label")
        shot(page, f"chat-320-{language}")
        assert_accessible(page, f"chat at 320px ({language})")
        ctx.close()


def test_a_chat_whose_conversation_was_erased_starts_a_new_one_instead_of_reconnecting_forever(stack, settings, browser):
    """The conversation is erased (a privacy request, the retention purge) while the page is open; when the live
    link next reconnects the hub refuses it with 4403, and the page starts a new conversation and says so.
    (Chromium's offline emulation leaves open WebSockets alone, so the link is dropped by restarting the hub.)"""
    ctx, page = chat_page(browser, settings.hub_url, PHONE)
    old_id, _ = saved_conversation(page)
    box = page.get_by_label("Your message")
    box.fill("Where is my parcel 8820?")
    box.press("Enter")
    expect(page.locator(".row.customer:not(.pending)", has_text="Where is my parcel 8820?")).to_have_count(1, timeout=WAIT)
    proc = run_cli("-m", "privacy", "delete", "--conversation", old_id, "--yes")
    assert proc.returncode == 0, proc.stderr
    stack.stop_service("hub")  # the hub restarts (a deploy, a crash): the live link drops and the page reconnects
    try:
        expect(page.locator("#conn")).to_have_text("Connection lost. Reconnecting…", timeout=WAIT)
    finally:
        stack.supervisor.start(stack.hub_service())
    expect(page.get_by_text("Your previous conversation is no longer available, so a new one has started.")).to_be_visible(timeout=WAIT)
    page.wait_for_function("(old) => { const s = JSON.parse(localStorage.getItem('cs_chat_v1') || 'null'); return s && s.id && s.id !== old; }", arg=old_id)
    expect(page.locator("#conn")).to_be_hidden(timeout=WAIT)  # not "Reconnecting…" forever
    expect(page.locator(".row.customer", has_text="Where is my parcel 8820?")).to_have_count(0)  # the erased transcript is gone
    shot(page, "chat-phone-conversation-erased")
    box.fill("How much does shipping cost?")
    box.press("Enter")
    expect(page.locator(".row.customer:not(.pending)", has_text="How much does shipping cost?")).to_have_count(1, timeout=WAIT)
    new_id, token = saved_conversation(page)
    transcript = httpx.get(f"{settings.hub_url}/api/conversations/{new_id}/messages", headers={"Authorization": f"Bearer {token}"}).json()
    assert [m["text"] for m in transcript if m["sender"] == "customer"] == ["How much does shipping cost?"]
    ctx.close()


FOCUS_ASKS = {"en": "How long does delivery take?", "zh": "下单后多久能收到货？"}
FOCUS_LABELS = {
    "en": {"box": "Your message", "no": "No", "person": "Talk to a person", "star": "Rate 4 out of 5", "comment": "Anything to add? (optional)"},
    "zh": {"box": "您的消息", "no": "没帮助", "person": "转人工", "star": "4 星（满分 5 星）", "comment": "还有什么想说的吗？（选填）"},
}


@pytest.mark.usefixtures("manual_assignment")  # the agent claims the chat from the queue, then resolves it
def test_keyboard_focus_moves_on_after_a_vote_a_choice_and_a_rating(stack, settings, agents, browser, hub):
    """A keyboard or screen-reader user who votes "not helpful", picks one of the answers offered, or sends a
    rating lands on the next thing to use, not at the top of the page (the control they used goes inactive)."""
    for name, viewport, language in (("desktop", DESKTOP, "en"), ("phone", PHONE, "zh")):
        labels = FOCUS_LABELS[language]
        ctx, page = chat_page(browser, settings.hub_url, viewport, language)
        box = page.get_by_label(labels["box"])
        box.fill(FOCUS_ASKS[language])
        box.press("Enter")
        no = page.locator(".row.bot .feedback").get_by_role("button", name=labels["no"], exact=True)
        expect(no).to_be_visible(timeout=WAIT)
        page.keyboard.press("Shift+Tab")  # from the message box back to the answer's vote
        expect(no).to_be_focused()
        page.keyboard.press("Enter")
        follow_up = page.locator(".row.bot", has=page.locator(".choices")).last
        first_choice = follow_up.locator(".choice").first
        expect(first_choice).to_be_focused(timeout=WAIT)  # the answers offered instead
        chosen = first_choice.inner_text()
        page.keyboard.press("Enter")
        expect(box).to_be_focused()  # the choice went inactive; next, the message box
        expect(page.locator(".row.customer", has_text=chosen)).to_have_count(1, timeout=WAIT)
        shot(page, f"chat-{name}-{language}-focus-after-choice")

        page.get_by_role("button", name=labels["person"], exact=True).click()
        expect(page.locator(".row.system.queued")).to_be_visible(timeout=WAIT)
        cid, _ = saved_conversation(page)
        bob = AgentClient(hub, "bob")
        assert bob.post(f"/conversations/{cid}/claim").status_code == 200
        assert bob.post(f"/conversations/{cid}/resolve").status_code == 200
        star = page.get_by_role("button", name=labels["star"])
        expect(star).to_be_visible(timeout=WAIT)
        star.focus()
        page.keyboard.press("Enter")
        expect(star).to_have_attribute("aria-pressed", "true")
        page.get_by_label(labels["comment"]).focus()
        page.keyboard.type("ok")
        page.keyboard.press("Tab")  # to "Send rating"
        page.keyboard.press("Enter")
        expect(page.locator("#rating")).to_be_hidden(timeout=WAIT)
        expect(box).to_be_focused()  # the survey went away; focus did not fall to the top of the page
        ctx.close()


def log_position(page) -> dict:
    return page.locator("#log").evaluate("l => ({ top: l.scrollTop, fromBottom: l.scrollHeight - l.scrollTop - l.clientHeight })")


@pytest.mark.usefixtures("manual_assignment")  # the agent claims the chat from the queue
def test_a_customer_reading_earlier_messages_is_not_pulled_to_the_bottom(stack, settings, agents, browser, hub):
    """New messages follow only while the customer is at the bottom; otherwise they stay where they are reading and
    a "new messages" button takes them down. What they send themselves always scrolls down."""
    for name, viewport, language, jump_label in (("phone", PHONE, "zh", "有新消息"), ("desktop", DESKTOP, "en", "New messages")):
        ctx, page = chat_page(browser, settings.hub_url, viewport, language)
        cid, token = saved_conversation(page)
        assert hub.post(f"/api/conversations/{cid}/handoff", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        alice = AgentClient(hub, "alice")
        assert alice.post(f"/conversations/{cid}/claim").status_code == 200
        for i in range(25):
            assert alice.post(f"/conversations/{cid}/messages", json={"text": f"Step {i}: part {i} of the instructions, please read carefully."}).status_code == 200
        expect(page.locator(".row.agent", has_text="Step 24:")).to_be_visible(timeout=WAIT)
        jump = page.locator("#jump")
        assert log_position(page)["fromBottom"] < 60 and jump.is_hidden()  # at the bottom: it followed

        page.locator("#log").evaluate("l => { l.scrollTop = 0; l.dispatchEvent(new Event('scroll')); }")  # reading from the start
        assert alice.post(f"/conversations/{cid}/messages", json={"text": "One more thing about step 3."}).status_code == 200
        expect(page.locator(".row.agent", has_text="One more thing")).to_have_count(1, timeout=WAIT)
        assert log_position(page)["top"] == 0, "pulled away from what the customer was reading"
        expect(jump).to_be_visible()
        expect(jump).to_have_text(jump_label)
        shot(page, f"chat-{name}-{language}-new-messages")
        assert_accessible(page, f"chat with the new-messages button ({name}, {language})")
        jump.click()
        expect(jump).to_be_hidden()
        assert log_position(page)["fromBottom"] < 60

        page.locator("#log").evaluate("l => { l.scrollTop = 0; l.dispatchEvent(new Event('scroll')); }")
        box = page.locator("#input")
        box.fill("Thanks, step 3 is clear now")
        box.press("Enter")  # the customer's own message: down to it
        expect(page.locator(".row.customer:not(.pending)", has_text="step 3 is clear")).to_have_count(1, timeout=WAIT)
        assert log_position(page)["fromBottom"] < 60
        expect(jump).to_be_hidden()
        assert alice.post(f"/conversations/{cid}/messages", json={"text": "Glad to help!"}).status_code == 200
        expect(page.locator(".row.agent", has_text="Glad to help!")).to_have_count(1, timeout=WAIT)
        assert log_position(page)["fromBottom"] < 60  # at the bottom, it keeps following
        expect(jump).to_be_hidden()
        assert alice.post(f"/conversations/{cid}/resolve").status_code == 200
        ctx.close()


def test_an_agent_named_with_the_word_for_agent_is_not_called_agent_twice(stack, settings, agents, browser, hub, only):
    """An agent whose display name already starts with 客服 ("客服小李", as Chinese shops name their staff) was announced
    as "客服 客服小李 已接入" and shown as "客服 客服小李 正在为您服务"; the word is said once. A plain name keeps it."""
    for username, name in (("kf-xiaoli", "客服小李"), ("kf-xiaowang", "小王")):
        proc = run_cli("-m", "handoff", "add", username, "--name", name, "--role", "agent", "--password", PASSWORD, "--capacity", "5")
        assert proc.returncode == 0, proc.stderr
    for username, called in (("kf-xiaoli", "客服小李"), ("kf-xiaowang", "客服 小王")):
        only(username)  # the only agent online: the chat is theirs at once
        ctx, page = chat_page(browser, settings.hub_url, PHONE, "zh")
        page.get_by_role("button", name="转人工", exact=True).click()
        joined = page.locator(".row.system.assigned .bubble")
        expect(joined).to_have_text(f"{called} 已接入，为您服务。", timeout=WAIT)
        expect(page.locator("#subtitle")).to_have_text(called)
        expect(page.locator("#banner-text")).to_have_text(re.compile(f"(^|· ){called} 正在为您服务$"))
        shot(page, f"chat-phone-zh-agent-{username}")
        page.reload()  # the same from the transcript as loaded
        expect(page.locator(".row.system.assigned .bubble")).to_have_text(f"{called} 已接入，为您服务。", timeout=WAIT)
        expect(page.locator("#subtitle")).to_have_text(called)
        ctx.close()
    # English names the agent by their name alone, whatever it is.
    only("kf-xiaoli")
    en = Customer(hub, "en")
    en.say("I want to talk to a person")
    assert [m["text"] for m in en.transcript() if m["meta"].get("kind") == "assigned"] == ["客服小李 has joined the conversation."]


def test_the_offline_contact_form_closes_once_an_agent_joins_or_the_request_ends(stack, settings, agents, browser, hub, only):
    """With nobody online the chat offers a form for a phone number or e-mail. It stayed usable in the log after an
    agent had joined and talked, and after the chat was resolved; now it gives way to a line saying it is not needed
    (also when the page loads the transcript again), and so it does when the customer leaves the queue."""
    only()  # nobody online
    ctx, page = chat_page(browser, settings.hub_url, PHONE, "zh")
    page.get_by_role("button", name="转人工", exact=True).click()
    offered = page.locator(".row.system.offline")
    expect(offered.locator(".contact-form")).to_be_visible(timeout=WAIT)
    expect(offered.get_by_role("button", name="留下联系方式")).to_be_enabled()
    cid, _ = saved_conversation(page)
    alice = AgentClient(hub, "alice")  # signing in makes her online (only() would clear the queue)
    claimed = alice.post(f"/conversations/{cid}/claim")  # 409 when signing in already handed her the waiting chat
    assert claimed.status_code in (200, 409), claimed.text
    expect(page.locator(".row.system.assigned")).to_be_visible(timeout=WAIT)
    not_needed = "客服已接入，无需再留联系方式，直接在这里留言即可。"
    expect(offered.locator(".contact-form")).to_have_count(0)
    expect(offered.locator(".contact-closed")).to_have_text(not_needed)
    expect(page.get_by_role("button", name="留下联系方式")).to_have_count(0)
    shot(page, "chat-phone-zh-contact-not-needed")
    assert alice.post(f"/conversations/{cid}/messages", json={"text": "您好，我来帮您处理。"}).status_code == 200
    assert alice.post(f"/conversations/{cid}/resolve").status_code == 200
    expect(page.locator(".row.system.rating_request")).to_be_visible(timeout=WAIT)
    page.reload()  # the transcript as loaded: the form is not offered again
    expect(page.locator(".row.system.rating_request")).to_be_visible(timeout=WAIT)
    expect(page.locator(".row.system.offline .contact-closed")).to_have_text(not_needed)
    expect(page.locator(".contact-form")).to_have_count(0)
    ctx.close()

    only()
    ctx, page = chat_page(browser, settings.hub_url, DESKTOP, "en")
    page.get_by_role("button", name="Talk to a person").click()
    expect(page.locator(".row.system.offline .contact-form")).to_be_visible(timeout=WAIT)
    page.get_by_role("button", name="Leave queue", exact=True).click()
    expect(page.locator(".row.system.queue_left")).to_be_visible(timeout=WAIT)
    expect(page.locator(".contact-form")).to_have_count(0)
    expect(page.locator(".row.system.offline .contact-closed")).to_have_text("This request has ended: no contact is needed.")
    assert_accessible(page, "chat with a closed contact form (desktop, en)")
    ctx.close()


def test_a_score_typed_after_the_agent_resolved_rates_the_chat_and_reopens_nothing(stack, settings, agents, browser, hub, only):
    """The service asks "请为本次服务打分：1（很差）到 5（非常满意）". A customer who typed "5分" in answer reopened the solved
    ticket: "已为您重新打开工单", an agent pulled back, the survey still waiting and no rating recorded. Now the typed score
    is the rating: thanked once, the survey goes away, the ticket stays solved."""
    (alice,) = only("alice")  # alone at work: the chat is pushed to her
    ctx, page = chat_page(browser, settings.hub_url, {"width": 375, "height": 740}, "zh")
    page.get_by_role("button", name="转人工", exact=True).click()
    expect(page.locator(".row.system.assigned")).to_be_visible(timeout=WAIT)
    cid, token = saved_conversation(page)
    assert alice.post(f"/conversations/{cid}/messages", json={"text": "已为您处理好了。"}).status_code == 200
    assert alice.post(f"/conversations/{cid}/resolve").status_code == 200
    expect(page.locator("#rating")).to_be_visible(timeout=WAIT)
    box = page.get_by_label("您的消息")
    box.fill("5分")
    box.press("Enter")
    expect(page.locator(".row.system.rating_thanks")).to_have_count(1, timeout=WAIT)
    expect(page.locator("#rating")).to_be_hidden()
    expect(page.locator("#subtitle")).to_have_text("已结束")
    expect(page.locator(".row.system.ticket_reopened")).to_have_count(0)
    expect(page.locator(".row.system.assigned")).to_have_count(1)  # the first "已接入" only: nobody pulled back
    shot(page, "chat-phone-zh-typed-rating")
    view = httpx.get(f"{settings.hub_url}/api/conversations/{cid}", headers={"Authorization": f"Bearer {token}"}).json()["conversation"]
    assert view["status"] == "resolved" and view["rating"] == 5, view
    ticket = alice.get(f"/tickets/{view['ticket_ref']}").json()["ticket"]
    assert ticket["status"] == "solved" and ticket["reopened"] == 0 and ticket["rating"] == 5, ticket
    ctx.close()


def test_the_header_keeps_its_title_on_phones_and_in_the_widgets_panel(stack, settings, browser):
    """Fixed breakpoints shortened the buttons only below 370 px: at 375 and 390 px the English title "Support" was cut
    under the buttons, and in the widget's panel (one more button: close) up to 430 px, in Chinese too at 375 px.
    The buttons now get shorter whenever the title would be cut, in either language, after a switch as well."""
    for path, width in (("/chat", 375), ("/chat", 390), ("/chat?embed=1", 375), ("/chat?embed=1", 414)):
        for language in ("en", "zh"):
            ctx = browser.new_context(viewport={"width": width, "height": 740}, locale=LOCALES[language])
            page = ctx.new_page()
            page.goto(f"{settings.hub_url}{path}")
            for switched in (False, True):
                where = f"{path} at {width}px, {language}{' then switched' if switched else ''}"
                heading = page.get_by_role("heading", level=1)
                expect(heading).to_have_text("Support" if (language == "en") != switched else "在线客服")
                assert heading.evaluate("h => h.scrollWidth <= h.clientWidth"), f"the title is cut: {where}"
                actions = page.locator(".top-actions").bounding_box()
                assert heading.bounding_box()["x"] + heading.evaluate("h => h.scrollWidth") <= actions["x"], f"the title runs under the buttons: {where}"
                for button in page.locator(".top-actions button:visible").all():
                    b = button.bounding_box()
                    assert b["x"] + b["width"] <= width, f"{button.get_attribute('aria-label')}: {where}"
                expect(page.locator("#human")).to_have_accessible_name("Talk to a person" if (language == "en") != switched else "转人工")
                if not switched:
                    shot(page, f"chat-header-{width}-{language}{'-embed' if 'embed' in path else ''}")
                    page.locator("#lang").click()
            ctx.close()
