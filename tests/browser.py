"""Shared set-up for the real-browser tests: Debian's chromium driven by Playwright (never a downloaded browser),
the accessibility check (axe-core from the npm registry, installed by ./test.sh), and sign-in helpers."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest
from playwright import sync_api

from tests.clients import PASSWORD, ROOT

expect = sync_api.expect

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "artifacts"  # screenshots (gitignored)
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
# Without the networking flags Chromium keeps trying to reach Google's hosts, which are closed here.
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--disable-quic", "--autoplay-policy=no-user-gesture-required"]
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
NARROW = {"width": 320, "height": 640}
LOCALES = {"en": "en-US", "zh": "zh-CN"}
WAIT = 60_000  # the first bot turn can be slow while Rasa warms up


@pytest.fixture(scope="module")
def browser():
    assert CHROMIUM.exists(), "Debian chromium is missing (/usr/bin/chromium): ./test.sh installs it"
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=FLAGS)
        yield b
        b.close()


def shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def accessibility_problems(target) -> list[str]:
    """Serious and critical WCAG 2.1 A/AA violations axe-core finds in a page or frame, one line each."""
    assert AXE.exists(), "axe-core is missing (node_modules): ./test.sh installs it with npm ci"
    if not target.evaluate("() => Boolean(window.axe)"):
        target.evaluate(AXE.read_text())  # evaluated, not a <script> tag: the pages' CSP allows no inline script
    result = target.evaluate("""() => axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }, resultTypes: ['violations'] })
        .then(r => r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
        .map(v => ({ id: v.id, help: v.help, nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ': ' + n.failureSummary.split('\\n').slice(1).join(' ')) })))""")
    return [f"{v['id']} ({v['help']}): {json.dumps(v['nodes'], ensure_ascii=False)}" for v in result]


def assert_accessible(target, where: str) -> None:
    problems = accessibility_problems(target)
    assert not problems, f"{where}: " + "\n".join(problems)


def staff_page(browser, hub: str, path: str, username: str, viewport: dict, language: str = "en"):
    """A signed-in console (/console) or editor (/kb) page in its own browser context."""
    ctx = browser.new_context(viewport=viewport, locale=LOCALES[language])
    page = ctx.new_page()
    page.goto(f"{hub}{path}")
    page.locator("#username").fill(username)
    page.locator("#password").fill(PASSWORD)
    page.locator("#login-submit").click()
    expect(page.locator("#app-view")).to_be_visible()
    return ctx, page


def chat_page(browser, hub: str, viewport: dict, language: str = "en"):
    """A customer on the full-page chat, with their conversation started."""
    ctx = browser.new_context(viewport=viewport, locale=LOCALES[language])
    page = ctx.new_page()
    page.goto(f"{hub}/chat")
    page.wait_for_function("() => { const s = JSON.parse(localStorage.getItem('cs_chat_v1') || 'null'); return s && s.id && s.token; }")
    return ctx, page


def saved_conversation(page) -> tuple[str, str]:
    saved = page.evaluate("() => JSON.parse(localStorage.getItem('cs_chat_v1'))")
    return saved["id"], saved["token"]


LINK_ENTRY = {
    "id": "other-gift-wrap-guide-en", "language": "en", "category": "other",
    "question": "Do you offer gift wrapping for presents?",
    "phrasings": ["can you gift wrap my order", "gift wrapping options", "wrap my parcel as a present"],
    "answer": "Yes! Gift wrapping costs **¥10** per parcel. GIFTWRAP7781\n\n- Pick *Gift wrap* at checkout\n- Add a card message\n\n"
              "See the [gift wrap guide](https://example.com/gift-wrap) for the designs.",
}
LINK_ASK = "Can I get gift wrapping on my order?"


@pytest.fixture(scope="module")
def link_answer(stack, settings, agents) -> dict:
    """A published answer with a markdown link, which the running bot gives for LINK_ASK."""
    with httpx.Client(base_url=settings.hub_url, timeout=120) as hub:
        token = hub.post("/api/agent/login", json={"username": "erin", "password": PASSWORD}).json()["token"]
        auth = {"Authorization": f"Bearer {token}"}
        body = {k: v for k, v in LINK_ENTRY.items() if k != "id"}
        if hub.get(f"/api/kb/entries/{LINK_ENTRY['id']}", headers=auth).status_code == 404:
            assert hub.post("/api/kb/entries", json=LINK_ENTRY, headers=auth).status_code == 201
        else:
            assert hub.put(f"/api/kb/entries/{LINK_ENTRY['id']}", json=body, headers=auth).status_code == 200
        pending = hub.get("/api/kb/pending", headers=auth).json()
        if pending["changed"] or pending["deleted"]:
            assert hub.post("/api/kb/publish", headers=auth).status_code == 200
        # The action server picks up a new version within about a second: ask until the answer shows.
        deadline = time.monotonic() + 30
        while True:
            start = hub.post("/api/conversations", json={"language": "en"}).json()
            said = hub.post(f"/api/conversations/{start['conversation_id']}/messages", json={"text": LINK_ASK},
                            headers={"Authorization": f"Bearer {start['token']}"}).json()
            if any("GIFTWRAP7781" in r["text"] for r in said["replies"]) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert any("GIFTWRAP7781" in r["text"] for r in said["replies"]), said["replies"]
    return LINK_ENTRY
