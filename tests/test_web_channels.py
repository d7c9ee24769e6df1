"""The console with messaging channels, in a real browser: each line's channel and delivery, and one customer across channels.

An agent links a web visitor and a Telegram customer who are the same person:
the customer panel then lists both conversations and shows one history with
every line of both channels, and a reply typed in the console reaches Telegram
and says "Delivered" under it.
"""

from __future__ import annotations

import random
import re
import secrets

import pytest

from tests.browser import DESKTOP, WAIT, assert_accessible, expect, shot, staff_page
from tests.channel_clients import TelegramUser
from tests.clients import AgentClient
from tests.test_channel_attachments import photo_of, png
from tests.test_channel_telegram import _attachment_update, conversation_of


@pytest.mark.usefixtures("manual_assignment")  # the agent claims the chat from the queue
def test_linking_a_web_and_a_telegram_customer_shows_one_history(stack, settings, agents, browser, hub, channels_hub, telegram_api, telegram_secret):
    visitor = secrets.token_hex(16)
    web = hub.post("/api/conversations", json={"language": "en", "visitor_id": visitor}).json()
    said = hub.post(f"/api/conversations/{web['conversation_id']}/messages", json={"text": "Where is my order 5512? It is late."},
                    headers={"Authorization": f"Bearer {web['token']}"})
    assert said.status_code == 200
    user = TelegramUser(channels_hub, telegram_secret, language_code="en", name="Mia")
    user.say("I want to talk to a person")
    telegram_api.wait_for(lambda: [m for m in telegram_api.messages_to(user.user_id) if "queue" in m["text"]])
    cid = conversation_of(settings, "telegram", user.user_id)

    ctx, page = staff_page(browser, settings.hub_url, "/console", "alice", DESKTOP)
    row = page.locator(f'#queue li[data-cid="{cid}"]')
    row.get_by_role("button", name=re.compile("^Claim")).click()
    panel = page.locator("#customer")
    expect(panel).to_contain_text("1 conversation · Telegram", timeout=WAIT)
    expect(page.locator("#transcript .msg.customer .channel-badge").first).to_have_text("Telegram")

    toggle = panel.locator(".customer-toggle")
    expect(toggle).to_have_attribute("aria-expanded", "false")  # one line until the agent opens it: the transcript keeps its room
    toggle.click()
    page.locator("#customer-link-input").fill(f"web:{visitor}")
    panel.get_by_role("button", name="Link").click()
    expect(panel).to_contain_text("Linked: one customer, one history.")
    expect(panel).to_contain_text(re.compile(r"2 conversations · (Telegram, Web|Web, Telegram)"))
    expect(panel.locator(f'.identity[data-identity="web:{visitor}"]')).to_be_visible()
    expect(panel.locator(f'.identity[data-identity="telegram:{user.user_id}"]')).to_be_visible()

    panel.get_by_role("button", name="Show history on every channel").click()
    dialog = page.get_by_role("dialog", name="History on every channel")
    history = dialog.locator(".history")
    expect(history.locator('li[data-channel="web"]', has_text="Where is my order 5512? It is late.")).to_be_visible()
    expect(history.locator('li[data-channel="telegram"]', has_text="I want to talk to a person")).to_be_visible()
    texts = history.locator("li .h-text").all_inner_texts()
    assert texts.index("Where is my order 5512? It is late.") < texts.index("I want to talk to a person")  # one timeline, oldest first
    assert_accessible(page, "console with the history on every channel open")
    shot(page, "console-customer-history-across-channels")
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_have_count(0)

    page.locator("#reply").fill("Hi Mia, I can see both of your messages about order 5512.")
    page.locator("#reply").press("Enter")
    telegram_api.wait_for(lambda: [m for m in telegram_api.messages_to(user.user_id) if "both of your messages" in m["text"]])
    delivery = page.locator("#transcript .msg.agent .delivery").last
    expect(delivery).to_have_attribute("data-state", "delivered", timeout=WAIT)
    expect(delivery).to_contain_text("Delivered on Telegram")
    assert_accessible(page, "console with the customer panel open")
    shot(page, "console-delivered-on-telegram")

    page.locator("header .ui-lang-select").select_option("zh")
    expect(panel).to_contain_text("2 个会话")
    expect(page.locator("#transcript .msg.customer .channel-badge").first).to_have_text("Telegram")
    ctx.close()


@pytest.mark.usefixtures("manual_assignment")  # the chat waits in the queue, where the agent sees why it came
def test_a_message_too_long_for_the_bot_is_named_as_such_in_the_console_and_the_figures(stack, settings, hub, agents, supervisor, browser,
                                                                                         channels_hub, telegram_api, telegram_secret):
    """A Telegram message over the web chat's length limit goes to a person unread by the bot. The customer never asked
    for a person: the console said "Asked for a person", and the dashboard counted it among those, so a supervisor read
    the wrong reason why the bot escalated. It has its own reason, in both languages, on both pages."""
    boss = AgentClient(hub, supervisor, console=False)
    figures = lambda: hub.get("/api/analytics/summary", params={"period": "today"}, headers=boss.headers).json()["current"]["bot"]["escalation_reasons"]
    before = figures()
    user = TelegramUser(channels_hub, telegram_secret, language_code="en", name="Lin")
    rng = random.Random(11)
    long_text = "Order A12345 and what happened to it: " + " ".join(rng.choice(WORDS) for _ in range(int(settings.max_message_chars / 4)))
    assert len(long_text) > settings.max_message_chars
    user.say(long_text)
    telegram_api.wait_for(lambda: [m for m in telegram_api.messages_to(user.user_id) if "Your message is long" in m["text"]], timeout=60)
    cid = conversation_of(settings, "telegram", user.user_id)

    ctx, page = staff_page(browser, settings.hub_url, "/console", "alice", DESKTOP)
    row = page.locator(f'#queue li[data-cid="{cid}"]')
    expect(row.locator(".tag.reason")).to_have_text("Message too long for the bot", timeout=WAIT)
    row.locator("button.item").click()
    expect(page.locator("#packet-summary")).to_contain_text("Message too long for the bot")
    page.locator("header .ui-lang-select").select_option("zh")
    expect(row.locator(".tag.reason")).to_have_text("消息过长")
    expect(page.locator("#packet-summary")).to_contain_text("消息过长")
    ctx.close()

    after = figures()
    assert after.get("long_message", 0) == before.get("long_message", 0) + 1, after
    assert after.get("customer_request", 0) == before.get("customer_request", 0), after
    listed = hub.get("/api/analytics/conversations", params={"period": "today", "figure": "reason", "key": "long_message"}, headers=boss.headers).json()
    assert cid in [c["conversation_id"] for c in listed["conversations"]]


WORDS = ("parcel", "courier", "refund", "broken", "box", "week", "called", "nobody", "answered", "address", "wrong", "driver", "receipt",
         "screen", "cracked", "paid", "twice", "store", "promised", "again", "email", "tracking", "number", "warehouse", "late", "sorry")


@pytest.mark.usefixtures("manual_assignment")  # the agent claims the chat from the queue
def test_the_photo_a_telegram_customer_sends_shows_in_the_console(stack, settings, agents, browser, channels_hub, telegram_api, telegram_secret):
    """"商品和图片不一样": the customer sends a photo of what arrived and the receipt. The agent who holds the chat sees
    the photo itself under its line (the very bytes Telegram has), opens it full size in the console, downloads the
    receipt, and is told in their language when Telegram no longer has a file."""
    user = TelegramUser(channels_hub, telegram_secret, language_code="en", name="Lin")
    user.say("I want to talk to a person")
    telegram_api.wait_for(lambda: [m for m in telegram_api.messages_to(user.user_id) if "queue" in m["text"]])
    cid = conversation_of(settings, "telegram", user.user_id)
    ctx, page = staff_page(browser, channels_hub, "/console", "alice", DESKTOP)
    page.locator(f'#queue li[data-cid="{cid}"]').get_by_role("button", name=re.compile("^Claim")).click()
    expect(page.locator("#reply")).to_be_visible(timeout=WAIT)

    picture = png()
    receipt = b"%PDF-1.4\n% receipt for order 5512\n%%EOF\n"
    photo_id = telegram_api.add_file(picture, "photos/file_21.png")
    doc_id = telegram_api.add_file(receipt, "documents/file_22.pdf")
    assert user.post(_attachment_update(user, photo=photo_of(photo_id))).status_code == 200
    assert user.post(_attachment_update(user, document={"file_id": doc_id, "file_unique_id": "r1", "file_name": "收据.pdf"})).status_code == 200
    assert user.post(_attachment_update(user, photo=photo_of("AgAD-long-gone"))).status_code == 200

    shown = page.locator("#transcript .msg.customer .attachment-thumb img").first
    expect(shown).to_have_attribute("alt", "Photo the customer sent", timeout=WAIT)
    page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=shown.element_handle())
    assert shown.evaluate("(img) => [img.naturalWidth, img.naturalHeight]") == [48, 32]
    served = shown.evaluate("""async (img) => { const r = await fetch(img.src, { credentials: 'same-origin' });
        return [r.headers.get('content-type'), Array.from(new Uint8Array(await r.arrayBuffer()))]; }""")
    assert served[0] == "image/png" and bytes(served[1]) == picture

    shown.click()  # full size over the console (tests/test_console_viewer.py has the rest), not in a new tab
    viewer = page.get_by_role("dialog", name="Photo the customer sent")
    expect(viewer).to_be_visible()
    assert len(ctx.pages) == 1
    page.keyboard.press("Escape")
    expect(viewer).to_be_hidden()

    file_link = page.locator("#transcript .msg.customer .attachment-file")
    expect(file_link).to_have_text("⬇ Download 收据.pdf")
    with page.expect_download() as saved:
        file_link.click()
    assert saved.value.suggested_filename == "收据.pdf"
    assert open(saved.value.path(), "rb").read() == receipt

    gone = page.locator("#transcript .msg.customer .attachment-error:not([hidden])")
    expect(gone).to_have_text(re.compile("no longer keeps this attachment"), timeout=WAIT)
    assert_accessible(page, "console with a customer's photo and file")
    shot(page, "console-customer-photo")

    page.locator("header .ui-lang-select").select_option("zh")
    expect(page.locator("#transcript .msg.customer .attachment-thumb img").first).to_have_attribute("alt", "顾客发来的图片")
    expect(file_link).to_have_text("⬇ 下载收据.pdf")
    expect(gone).to_contain_text("渠道已不再保存这个附件", timeout=WAIT)
    ctx.close()
