"""The one-line embed: a shop's own page (another origin) loads widget.js, the launcher opens the chat, the bot answers;
with the panel closed an agent's reply shows as an unread badge and a plain-text preview; Esc closes it, also from inside the chat."""

from __future__ import annotations

import base64
import functools
import http.server
import re
import threading

import pytest

from tests.browser import DESKTOP, LINK_ASK, LOCALES, PHONE, WAIT, assert_accessible, expect, shot
from tests.clients import AgentClient


@pytest.fixture
def shop_site(tmp_path, settings):
    """A stand-in for the customer's website, on its own origin, embedding the widget as the README says."""
    (tmp_path / "index.html").write_text(
        f'<!doctype html><html lang="en"><head><title>Harbor Market</title></head><body><main><h1>Harbor Market</h1>'
        f'<p>Spring sale!</p></main><script src="{settings.hub_url}/widget.js" async></script></body></html>'
    )
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/index.html"
    server.shutdown()


def open_widget(browser, shop_site, viewport, language="en"):
    context = browser.new_context(viewport=viewport, locale=LOCALES[language])
    page = context.new_page()
    page.goto(shop_site)
    launcher = page.locator(".cs-widget-launcher")
    expect(launcher).to_be_visible(timeout=15_000)
    launcher.click()
    chat = page.frame_locator("iframe[title='Support chat'], iframe[title='在线客服']")
    expect(chat.locator("#input")).to_be_visible(timeout=15_000)
    return context, page, launcher, chat


def test_embedded_widget_answers_on_a_third_party_page(stack, shop_site, browser, link_answer):
    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        context, page, launcher, chat = open_widget(browser, shop_site, viewport)
        box = chat.locator("#input")
        box.fill("How much is shipping?")
        box.press("Enter")
        expect(chat.locator(".row.bot", has_text="¥99").first).to_be_visible(timeout=WAIT)
        box.fill(LINK_ASK)
        box.press("Enter")
        link = chat.locator(".row.bot", has_text="GIFTWRAP7781").get_by_role("link", name="gift wrap guide")
        expect(link).to_have_attribute("href", "https://example.com/gift-wrap", timeout=WAIT)
        with context.expect_page() as opened:  # clickable inside the widget: it opens a new tab
            link.click()
        opened.value.close()
        shot(page, f"widget-{name}")
        context.close()


@pytest.mark.usefixtures("manual_assignment")  # the agent claims the chat from the queue
def test_unread_badge_and_preview_while_closed_and_esc_closes_from_inside(stack, settings, agents, shop_site, browser, hub):
    for name, viewport, language in (("desktop", DESKTOP, "en"), ("phone", PHONE, "zh")):
        context, page, launcher, chat = open_widget(browser, shop_site, viewport, language)
        panel = page.locator("#cs-widget-panel")
        if name == "phone":  # one header: the chat's own, with its close button; no extra bar above it
            expect(page.locator(".cs-widget-bar")).to_have_count(0)
            expect(launcher).to_be_hidden()
            expect(chat.locator("#close")).to_be_visible()
            shot(page, "widget-phone-open-zh")
        chat.locator("#human").click()
        expect(chat.locator("#banner")).to_be_visible(timeout=WAIT)
        expect(chat.locator(".row.system").first).to_be_visible(timeout=WAIT)  # the queue notice, read before closing
        frame = next(f for f in page.frames if "/chat" in f.url)
        cid = frame.evaluate("() => JSON.parse(localStorage.getItem('cs_chat_v1')).id")

        chat.locator("#input").click()  # focus inside the chat's iframe
        page.keyboard.press("Escape")
        expect(panel).to_be_hidden()
        expect(launcher).to_be_focused()

        alice = AgentClient(hub, "alice")
        assert alice.post(f"/conversations/{cid}/claim").status_code == 200
        reply = "Hi, **Alice** here: your parcel [left the warehouse](https://example.com/track/5531) today."
        assert alice.post(f"/conversations/{cid}/messages", json={"text": reply}).status_code == 200
        badge = page.locator(".cs-widget-badge")
        expect(badge).to_have_text(re.compile(r"^[12]$"), timeout=WAIT)  # the "joined" notice and the reply
        expect(launcher).to_have_attribute("aria-label", re.compile("unread|未读"))
        preview = page.locator(".cs-widget-preview")
        # plain words on the shop's page, as the chat shows them: no markdown marks, the link as its label
        expect(preview.locator(".cs-widget-preview-text")).to_have_text("Hi, Alice here: your parcel left the warehouse today.")
        expect(preview).to_contain_text("Alice")
        shot(page, f"widget-{name}-unread")
        assert_accessible(page, f"shop page with the widget's launcher ({name})")
        preview.locator(".cs-widget-preview-open").click()
        expect(panel).to_be_visible()
        expect(badge).to_be_hidden()
        expect(chat.locator(".row.agent", has_text="your parcel left the warehouse today")).to_be_visible()
        assert_accessible(frame, f"chat inside the widget ({name})")
        if name == "phone":
            chat.locator("#close").click()
            expect(panel).to_be_hidden()
            expect(launcher).to_be_visible()
        assert alice.post(f"/conversations/{cid}/resolve").status_code == 200
        context.close()


@pytest.fixture
def signed_shop_site(tmp_path, settings):
    """The shop's page for a signed-in customer: its server signed who they are, the widget's tag carries it."""
    from core.identity import sign_identity

    ref, tier, name = "c-widget-1", "vip", "Zhao Lei"
    signature = sign_identity(settings.secret("identity-secret"), ref, tier, name)
    (tmp_path / "index.html").write_text(
        f'<!doctype html><html lang="en"><head><title>Harbor Market</title></head><body><main><h1>My orders</h1></main>'
        f'<script src="{settings.hub_url}/widget.js" async data-customer-ref="{ref}" data-customer-tier="{tier}" '
        f'data-customer-name="{name}" data-customer-signature="{signature}"></script></body></html>'
    )
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/index.html"
    server.shutdown()


@pytest.mark.usefixtures("manual_assignment")  # the agent claims the chat from the queue
def test_a_customer_the_shop_signed_is_known_to_the_agents(stack, signed_shop_site, browser, agents, hub):
    context, page, launcher, chat = open_widget(browser, signed_shop_site, DESKTOP)
    box = chat.locator("#input")
    box.fill("I want to talk to a person")
    box.press("Enter")
    expect(chat.locator(".row.system").first).to_be_visible(timeout=WAIT)
    context.close()
    queue = AgentClient(hub, "alice").get("/queue").json()
    mine = [i for i in queue if i["conversation"]["customer_tier"] == "vip" and i["conversation"]["customer_verified"]]
    assert mine and mine[-1]["conversation"]["priority"] == 2  # a verified VIP: served first


GIF = base64.b64decode("R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==")


def test_a_phone_customer_sends_a_webp_and_a_gif_from_the_widget_and_views_one_full_size(stack, shop_site, browser):
    """In the widget on a phone (zh): the picture button is there and named, a WebP and a GIF are shown in the chat, a tap
    on one shows it full size inside the panel, and Escape closes the picture, not the panel."""
    context, page, _launcher, chat = open_widget(browser, shop_site, PHONE, "zh")
    frame = next(f for f in page.frames if "/chat" in f.url)
    webp = frame.evaluate("""() => new Promise((done) => { const c = document.createElement('canvas'); c.width = 1600; c.height = 1200;
        const g = c.getContext('2d'); g.fillStyle = '#c33'; g.fillRect(0, 0, 1600, 1200);
        c.toBlob(async (b) => done(Array.from(new Uint8Array(await b.arrayBuffer()))), 'image/webp'); })""")
    attach = chat.get_by_role("button", name="发送图片")
    for name, kind, data in (("photo.webp", "image/webp", bytes(webp)), ("wave.gif", "image/gif", GIF)):
        with page.expect_file_chooser() as chooser:
            attach.click()
        chooser.value.set_files(files=[{"name": name, "mimeType": kind, "buffer": data}])
    pictures = chat.locator(".row.customer img.picture")
    expect(pictures).to_have_count(2, timeout=WAIT)
    expect(chat.locator(".row.customer.pending, .row.customer.failed")).to_have_count(0, timeout=WAIT)
    box = pictures.first.bounding_box()
    assert box["width"] <= 240 and box["height"] <= 240, box
    chat.get_by_role("button", name="您发送的图片：查看大图").first.click()
    viewer = chat.get_by_role("dialog", name="您发送的图片")
    expect(viewer).to_be_visible()
    shot(page, "widget-phone-picture-full-size")
    page.keyboard.press("Escape")
    expect(viewer).to_be_hidden()
    expect(page.locator("#cs-widget-panel")).to_be_visible()  # the chat is still open
    context.close()
