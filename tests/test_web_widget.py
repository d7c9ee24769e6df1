"""The one-line embed: a shop's own page (another origin) loads widget.js, the launcher opens the chat, the bot answers."""

from __future__ import annotations

import functools
import http.server
import threading

import pytest

from tests.browser import ARTIFACTS, DESKTOP, PHONE, expect


@pytest.fixture
def shop_site(tmp_path, settings):
    """A stand-in for the customer's website, on its own origin, embedding the widget as the README says."""
    (tmp_path / "index.html").write_text(
        f'<!doctype html><html><head><title>Harbor Market</title></head><body><h1>Harbor Market</h1>'
        f'<p>Spring sale!</p><script src="{settings.hub_url}/widget.js" async></script></body></html>'
    )
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/index.html"
    server.shutdown()


def test_embedded_widget_answers_on_a_third_party_page(stack, shop_site, browser):
    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        context = browser.new_context(viewport=viewport, locale="en-US")
        page = context.new_page()
        page.goto(shop_site)
        launcher = page.get_by_role("button", name="Open support chat")
        expect(launcher).to_be_visible(timeout=15_000)
        launcher.click()
        chat = page.frame_locator("iframe[title='Support chat']")
        box = chat.locator("#input")
        expect(box).to_be_visible(timeout=15_000)
        box.fill("How much is shipping?")
        box.press("Enter")
        expect(chat.locator(".row.bot", has_text="¥99").first).to_be_visible(timeout=60_000)
        page.screenshot(path=str(ARTIFACTS / f"widget-{name}.png"))
        context.close()
