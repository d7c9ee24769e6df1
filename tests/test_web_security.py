"""In a real browser: another site cannot frame the console or the editor (clickjacking), the content security policy
holds on every page, and markdown from the knowledge base cannot run script in the chat or the console."""

from __future__ import annotations

import functools
import http.server
import threading

import pytest

from tests.browser import ARTIFACTS, DESKTOP, expect
from tests.clients import PASSWORD, AgentClient, ask_until

HOSTILE_ANSWER = (
    "Hello **friend**. [click me](javascript:alert('link')) <img src=x onerror=\"alert('img')\"> "
    "<script>alert('script')</script> [real page](https://example.com/help)"
)


@pytest.fixture
def attacker_site(tmp_path, settings):
    """A page on another origin that tries to frame the staff pages."""
    hub = settings.hub_url
    (tmp_path / "index.html").write_text(
        f'<!doctype html><html><body><h1>Win a prize</h1><iframe id="console" src="{hub}/console" width="800" height="400"></iframe>'
        f'<iframe id="kb" src="{hub}/kb" width="800" height="400"></iframe></body></html>')
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("localhost", 0), handler)  # "localhost": another origin than 127.0.0.1
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://localhost:{server.server_address[1]}/index.html"
    server.shutdown()


def test_another_site_cannot_frame_the_console_or_the_editor(stack, attacker_site, browser):
    page = browser.new_context(viewport=DESKTOP).new_page()
    page.goto(attacker_site)
    page.wait_for_timeout(1500)
    for name in ("console", "kb"):
        frame = page.frame_locator(f"#{name}")
        expect(frame.locator("input[type=password]")).to_have_count(0)  # the sign-in form never renders inside
    page.screenshot(path=str(ARTIFACTS / "framing-refused.png"))


@pytest.mark.usefixtures("manual_assignment")  # the agents claim the chat from the queue
def test_markdown_from_the_knowledge_base_cannot_run_script(stack, settings, agents, browser, hub, customer_factory):
    editor = AgentClient(hub, "erin")
    entry = {"id": "security-probe-en", "question": "what is the security probe answer", "answer": HOSTILE_ANSWER, "language": "en", "category": "other"}
    assert hub.post("/api/kb/entries", json=entry, headers=editor.headers).status_code == 201
    assert hub.post("/api/kb/publish", headers=editor.headers).status_code == 200
    # The action server picks the new version up within a second (kb_reload_check_seconds): wait for it, or the
    # browser's question can still be searched in the version before (seen once, on a quiet box).
    assert "Hello" in ask_until(customer_factory, entry["question"], lambda r: "Hello" in r["text"])["text"]
    dialogs: list[str] = []
    violations: list[str] = []
    context = browser.new_context(viewport=DESKTOP, locale="en-US")
    page = context.new_page()
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(f"{settings.hub_url}/chat")
    box = page.get_by_label("Your message")
    box.fill("what is the security probe answer")
    box.press("Enter")
    answer = page.locator(".row.bot .bubble", has_text="Hello")
    expect(answer).to_be_visible(timeout=60_000)
    expect(answer.locator("strong")).to_have_text("friend")  # markdown still renders
    assert answer.locator("script").count() == 0 and answer.locator("img").count() == 0
    assert all(not (href or "").lower().startswith("javascript:") for href in answer.locator("a").evaluate_all("els => els.map(e => e.getAttribute('href'))"))
    page.wait_for_timeout(500)
    assert dialogs == []
    assert violations == []  # the page itself needs nothing the policy forbids
    page.screenshot(path=str(ARTIFACTS / "chat-hostile-markdown.png"))

    # The agent console shows the same transcript: no script runs there either.
    c = page.evaluate("() => JSON.parse(localStorage.getItem('cs_chat_v1'))")
    box.fill("I want to talk to a person")
    box.press("Enter")
    expect(page.locator(".row.system")).not_to_have_count(0, timeout=60_000)
    console = context.browser.new_context(viewport=DESKTOP, locale="en-US").new_page()
    console.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    console.goto(f"{settings.hub_url}/console")
    console.get_by_label("Username").fill("alice")
    console.get_by_label("Password").fill(PASSWORD)
    console.get_by_role("button", name="Sign in").click()
    console.locator(f"li[data-cid='{c['id']}'] button.item").click(timeout=30_000)  # preview the waiting chat
    expect(console.get_by_text("friend").first).to_be_visible(timeout=30_000)
    console.wait_for_timeout(500)
    assert dialogs == []
    assert hub.delete("/api/kb/entries/security-probe-en", headers=editor.headers).status_code == 204
    hub.post("/api/kb/publish", headers=editor.headers)
