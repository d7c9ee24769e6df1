"""The customer chat page and the agent console, driven in a real (Debian) Chromium with Playwright.

One scenario, two independent browser contexts (a customer and an agent), against the real stack.
Screenshots land in artifacts/ (gitignored).
"""

from __future__ import annotations

import re

import httpx
import pytest

from tests.browser import ARTIFACTS, DESKTOP, PHONE, expect
from tests.conftest import PASSWORD

WAIT = 60_000  # the first bot turn can be slow while Rasa warms up


@pytest.mark.usefixtures("manual_assignment")  # the agent claims the chat from the queue
def test_customer_and_agent_pages(stack, settings, agents, browser):
    ARTIFACTS.mkdir(exist_ok=True)
    hub = settings.hub_url
    dialogs: list[str] = []

    # The agent signs in first, so the chat appearing in the queue is a live update.
    agent_ctx = browser.new_context(viewport=DESKTOP, locale="en-US")
    agent = agent_ctx.new_page()
    agent.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    agent.goto(f"{hub}/console")
    agent.get_by_label("Username").fill("alice")
    agent.get_by_label("Password").fill(PASSWORD)
    agent.get_by_role("button", name="Sign in").click()
    expect(agent.locator("#app-view")).to_be_visible()
    expect(agent.locator("#me-name")).to_have_text("Alice")

    customer_ctx = browser.new_context(viewport=DESKTOP, locale="en-US")
    customer = customer_ctx.new_page()
    customer.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    customer.goto(f"{hub}/chat")
    expect(customer.get_by_role("button", name="Talk to a person")).to_be_visible()
    customer.wait_for_function("() => { const s = JSON.parse(localStorage.getItem('cs_chat_v1') || 'null'); return s && s.id && s.token; }")
    saved = customer.evaluate("() => JSON.parse(localStorage.getItem('cs_chat_v1'))")
    cid, token = saved["id"], saved["token"]

    # Record whether the "bot is typing" dots ever appear (the bot may answer faster than a poll would notice).
    customer.evaluate("""() => { window.__sawBotTyping = false;
        new MutationObserver(() => { if (document.querySelector('#log .row.typing.bot')) window.__sawBotTyping = true; })
            .observe(document.getElementById('log'), { childList: true }); }""")
    box = customer.get_by_label("Your message")
    box.fill("How much is shipping?")
    box.press("Enter")
    answer = customer.locator(".row.bot .bubble", has_text="¥99")
    expect(answer).to_be_visible(timeout=WAIT)
    assert customer.evaluate("window.__sawBotTyping"), "no 'bot is typing' bubble while waiting for the reply"
    expect(customer.locator("#log .row.typing")).to_have_count(0)  # gone once the reply is in
    expect(customer.locator(".row.customer .bubble", has_text="How much is shipping?")).to_have_count(1)
    customer.screenshot(path=str(ARTIFACTS / "chat-desktop.png"))

    # Reload restores the same conversation from localStorage.
    customer.reload()
    expect(customer.locator(".row.bot .bubble", has_text="¥99").first).to_be_visible()
    expect(customer.locator(".row.customer .bubble", has_text="How much is shipping?")).to_have_count(1)

    customer.get_by_role("button", name="Talk to a person").click()
    expect(customer.locator(".row.system.queued")).to_be_visible(timeout=WAIT)
    expect(customer.locator("#banner-text")).to_contain_text("queue")

    # The chat shows up in the console's queue without a reload; the title counts it.
    queued = agent.locator(f'#queue li[data-cid="{cid}"]')
    expect(queued).to_be_visible(timeout=WAIT)
    expect(agent).to_have_title(re.compile(r"^\(\d+\) waiting"))

    hostile = "<script>alert(1)</script>"
    box.fill(hostile)
    box.press("Enter")
    expect(customer.locator(".row.customer:not(.pending) .bubble", has_text=hostile)).to_be_visible(timeout=WAIT)

    customer.set_viewport_size(PHONE)
    customer.screenshot(path=str(ARTIFACTS / "chat-phone-queued.png"))
    agent.screenshot(path=str(ARTIFACTS / "console-desktop-queue.png"))

    queued.get_by_role("button", name=re.compile("^Claim")).click()
    transcript = agent.locator("#transcript")
    expect(transcript.locator(".msg.customer .text", has_text="How much is shipping?")).to_be_visible()
    expect(transcript.locator(".msg.bot .text", has_text="¥99")).to_be_visible()
    hostile_line = transcript.locator(".msg.customer .text", has_text=hostile)
    expect(hostile_line).to_be_visible()
    assert hostile_line.text_content() == hostile
    assert agent.locator("#transcript script").count() == 0
    expect(agent.locator("#packet")).to_contain_text("Asked for a person")
    expect(agent.locator(f'#mine li[data-cid="{cid}"]')).to_be_visible()

    expect(customer.locator("#subtitle")).to_contain_text("Alice", timeout=WAIT)

    # Suggested answers: the panel is there for an owned chat, expanded on desktop.
    suggest = agent.locator("#suggest")
    expect(suggest).to_be_visible()
    expect(agent.locator("#suggest-toggle")).to_have_attribute("aria-expanded", "true")

    # The customer types: the console shows it in the open chat (ephemeral, not a transcript line).
    box.fill("what does shipping cost?")
    typing_pill = agent.locator("#typing")
    expect(typing_pill).to_be_visible(timeout=WAIT)
    expect(typing_pill).to_contain_text("is typing")
    expect(transcript.locator(".msg", has_text="is typing")).to_have_count(0)
    agent.screenshot(path=str(ARTIFACTS / "console-desktop-typing.png"))
    box.press("Enter")
    expect(transcript.locator(".msg.customer .text", has_text="what does shipping cost?")).to_be_visible(timeout=WAIT)
    expect(typing_pill).to_be_hidden()

    # ...and the suggestions refresh for that newest question.
    entry = suggest.locator("li.suggestion", has_text="How much is shipping").first
    expect(entry).to_be_visible(timeout=WAIT)
    expect(entry.locator(".score")).to_have_text(re.compile(r"^\d\.\d\d$"))
    expect(entry.locator(".sg-answer strong").first).to_have_text("¥99 or more")  # rendered, not raw markdown
    reply = agent.get_by_label("Reply to customer")
    entry.get_by_role("button", name=re.compile("^Insert")).click()
    expect(reply).to_be_focused()
    inserted = reply.input_value()
    assert "¥99 or more" in inserted and "**" not in inserted, inserted  # plain text, never raw markup

    # The agent "types" (the insert counts, and so does typing): the customer sees "Alice is typing…".
    agent_typing = customer.locator("#log .row.typing.agent")
    expect(agent_typing).to_contain_text("Alice is typing", timeout=WAIT)
    reply.fill("")
    reply.press_sequentially("Let me check")
    expect(agent_typing).to_contain_text("is typing", timeout=WAIT)
    customer.screenshot(path=str(ARTIFACTS / "chat-phone-typing.png"))
    agent.screenshot(path=str(ARTIFACTS / "console-desktop-suggestions.png"))

    reply.fill("Hi, I'm Alice. Shipping is free over ¥99.")
    agent.get_by_role("button", name="Send", exact=True).click()
    expect(customer.locator(".row.agent .bubble", has_text="Hi, I'm Alice.")).to_be_visible(timeout=WAIT)
    expect(agent_typing).to_have_count(0)  # a message from the agent clears the notice
    customer.screenshot(path=str(ARTIFACTS / "chat-phone-agent.png"))
    agent.screenshot(path=str(ARTIFACTS / "console-desktop-chat.png"))

    agent.set_viewport_size(PHONE)
    toggle = agent.locator("#suggest-toggle")
    expect(toggle).to_have_attribute("aria-expanded", "false")  # collapsed by default on a phone
    expect(agent.locator("#suggest-list")).to_be_hidden()
    agent.screenshot(path=str(ARTIFACTS / "console-phone-chat.png"))
    toggle.click()
    expect(agent.locator("#suggest-list li.suggestion").first).to_be_visible()
    agent.screenshot(path=str(ARTIFACTS / "console-phone-suggestions.png"))
    agent.set_viewport_size(DESKTOP)

    agent.get_by_role("button", name="Resolve", exact=True).click()
    five = customer.get_by_role("button", name="Rate 5 out of 5")
    expect(five).to_be_visible(timeout=WAIT)
    five.click()
    expect(five).to_have_attribute("aria-pressed", "true")
    customer.get_by_label("Anything to add? (optional)").fill("Quick and kind, thanks Alice")
    customer.screenshot(path=str(ARTIFACTS / "chat-phone-rating.png"))
    customer.get_by_role("button", name="Send rating").click()
    expect(customer.locator("#rating")).to_be_hidden(timeout=WAIT)
    thanks = customer.get_by_text("Thank you for your feedback!")
    expect(thanks).to_have_count(1)  # one thank-you, in the conversation

    status = httpx.get(f"{hub}/api/conversations/{cid}", headers={"Authorization": f"Bearer {token}"}, timeout=30).json()
    assert status["conversation"]["status"] == "resolved"
    assert status["conversation"]["rating"] == 5
    assert status["conversation"]["rating_comment"] == "Quick and kind, thanks Alice"
    assert dialogs == [], f"a dialog fired: {dialogs}"

    customer.set_viewport_size(DESKTOP)
    customer.screenshot(path=str(ARTIFACTS / "chat-desktop-resolved.png"))
    agent.screenshot(path=str(ARTIFACTS / "console-desktop-resolved.png"))
    agent.set_viewport_size(PHONE)
    agent.locator("#back").click()
    agent.screenshot(path=str(ARTIFACTS / "console-phone-lists.png"))
    agent_ctx.close()
    customer_ctx.close()
