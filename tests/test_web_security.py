"""In a real browser: another site cannot frame the console or the editor (clickjacking), the content security policy
holds on every page (the API reference at /docs too, offline), and markdown from the knowledge base cannot run script
in the chat or the console."""

from __future__ import annotations

import functools
import http.server
import re
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


def test_the_api_reference_renders_offline_under_the_policy(stack, settings, browser, hub):
    """/docs (the README sends users there) is Swagger UI served by the hub itself: FastAPI's default page loads it
    from a CDN with an inline script, which the policy blocks (a blank page) and an offline machine cannot fetch."""
    origin = settings.hub_url
    outside: list[str] = []
    problems: list[str] = []
    context = browser.new_context(viewport=DESKTOP, locale="en-US")
    # Offline: any request off the hub fails, as on a machine without internet access.
    context.route(re.compile(r"^(?!" + re.escape(origin) + r")"), lambda route: (outside.append(route.request.url), route.abort()))
    page = context.new_page()
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    assert page.goto(f"{origin}/docs").status == 200
    expect(page.get_by_role("heading", name=re.compile("Customer service hub"))).to_be_visible(timeout=30_000)
    start = page.locator(".opblock-post", has=page.locator(".opblock-summary-path[data-path='/api/conversations']"))
    expect(start).to_be_visible()
    assert page.locator(".opblock").count() > 50  # every operation of the API is listed
    start.locator(".opblock-summary-control").click()  # open one: its request body and responses show
    expect(start.get_by_text("Successful Response").first).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "api-docs.png"))
    health = page.locator(".opblock-get", has=page.locator(".opblock-summary-path[data-path='/healthz']"))
    health.locator(".opblock-summary-control").click()  # "Try it out" calls the hub from the page (connect-src 'self')
    health.get_by_role("button", name="Try it out").click()
    health.get_by_role("button", name="Execute").click()
    expect(health.locator(".live-responses-table tr.response .response-col_status")).to_have_text("200", timeout=30_000)
    assert problems == [] and outside == []
    assert hub.get("/redoc").status_code == 404  # not served: ReDoc needs inline styles the policy forbids
    context.close()
