"""The one-line embed: a shop's own page (another origin) loads widget.js, the launcher opens the chat, the bot answers."""

from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path

import pytest

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--disable-quic"]


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


def test_embedded_widget_answers_on_a_third_party_page(stack, shop_site):
    assert CHROMIUM.exists(), "Debian chromium is missing: ./test.sh installs it"
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=FLAGS)
        try:
            for name, viewport in (("desktop", {"width": 1280, "height": 800}), ("phone", {"width": 390, "height": 844})):
                page = browser.new_context(viewport=viewport, locale="en-US").new_page()
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
                page.context.close()
        finally:
            browser.close()
