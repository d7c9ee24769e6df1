"""The supervisor dashboard in a real browser, on three simulated days (./cs demo): every chart draws, the numbers on
the page are the API's, a complaint category lists its conversations; screenshots in both languages."""

from __future__ import annotations

import math

import pytest

from core.redis import Keys, sync_client
from tests.browser import DESKTOP, assert_accessible, expect, shot, staff_page
from tests.clients import AgentClient, sign_off

CHARTS = ("chart-trend", "chart-categories", "chart-heatmap", "chart-channels", "chart-decisions", "chart-ratings", "chart-reasons")
DRAWN = """(id) => {
  const canvas = document.querySelector('#' + id + ' canvas');
  if (!canvas || !canvas.width || !canvas.height) return 0;
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted++;
  return painted;
}"""


def _pct(value: float | None) -> str:
    return "no data" if value is None else f"{value * 100:.1f}%"


@pytest.mark.parametrize("language", ["en", "zh"])
def test_every_chart_draws_numbers_match_the_api_and_a_category_lists_its_conversations(browser, hub, settings, demo_history, supervisor_account, language):
    api = hub.get("/api/analytics/summary", params={"period": "7d"}, headers=AgentClient(hub, supervisor_account).headers).json()
    sign_off(settings, supervisor_account)
    ctx, page = staff_page(browser, settings.hub_url, "/dashboard", supervisor_account, {**DESKTOP, "height": 900}, language)
    try:
        # Signing in to read the dashboard does not make the supervisor available for chats.
        assert sync_client(settings).hget(Keys(settings.key_prefix).agent(supervisor_account), "presence") == "offline"
        cards = page.locator("#kpis .kpi")
        expect(cards.first).to_be_visible()
        cur = api["current"]
        expect(page.locator("[data-kpi=conversations] .value")).to_have_text(str(cur["volume"]["conversations"]))
        expect(page.locator("[data-kpi=complaints] .value")).to_have_text(str(cur["complaints"]["count"]))
        if language == "en":
            expect(page.locator("[data-kpi=fcr] .value")).to_have_text(_pct(cur["humans"]["fcr"]))
            expect(page.locator("[data-kpi=csat] .value")).to_have_text(_pct(cur["satisfaction"]["csat"]))
            expect(page.locator("#simulated")).to_contain_text("Simulated data")
        else:
            expect(page.locator("#simulated")).to_contain_text("模拟数据")
            expect(page.locator("#h-kpis")).to_have_text("核心指标")
        for chart in CHARTS:
            page.wait_for_function(f"() => ({DRAWN})('{chart}') > 500")
        expect(page.locator("#agents tbody tr").first).to_be_visible()

        # Click the biggest complaint category's slice of the donut: its conversations are listed.
        top = next(row for row in cur["complaints"]["by_category"] if row["count"] > 0)
        page.locator("#chart-categories").scroll_into_view_if_needed()
        box = page.locator("#chart-categories").bounding_box()
        radius = 0.55 * min(box["width"], box["height"]) / 2
        angle = math.pi * top["share"]  # the first slice starts at 12 o'clock and runs clockwise
        page.mouse.click(box["x"] + box["width"] / 2 + radius * math.sin(angle), box["y"] + box["height"] / 2 - radius * math.cos(angle))
        drill = page.locator("#drill")
        expect(drill).to_have_attribute("data-key", top["category"])
        expect(drill).to_have_attribute("data-total", str(top["count"]))
        expect(drill.locator("tbody tr")).to_have_count(top["count"])
        shot(page, f"dashboard-desktop-{language}")
        if language == "en":
            assert_accessible(page, "dashboard")

        # A custom period starts today (the browser's date, not UTC's) and says so, in the page's language, when it
        # ends before it starts.
        page.locator("#period").select_option("custom")
        today = page.evaluate("() => { const d = new Date(); return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`; }")
        expect(page.locator("#from")).to_have_value(today)
        page.locator("#from").fill("2026-03-10")
        page.locator("#to").fill("2026-03-01")
        page.locator("#filters button[type=submit]").click()
        expect(page.locator("#error")).to_have_text("The start date is after the end date." if language == "en" else "开始日期晚于结束日期。")
    finally:
        ctx.close()
        sign_off(settings, supervisor_account)


def test_agents_cannot_open_the_dashboard(browser, settings, agents):
    ctx, page = browser.new_context(viewport=DESKTOP), None
    try:
        page = ctx.new_page()
        page.goto(f"{settings.hub_url}/dashboard")
        page.locator("#username").fill("alice")
        page.locator("#password").fill("correct-horse-battery")
        page.locator("#login-submit").click()
        expect(page.locator("#login-error")).to_contain_text("supervisors and admins")
        expect(page.locator("#app-view")).to_be_hidden()
    finally:
        ctx.close()


def test_a_drill_down_row_opens_the_conversations_transcript_in_the_console(browser, hub, settings, demo_history, supervisor_account):
    """From "handle time" (resolved conversations) to one of them: the console shows its transcript, customer and bot
    lines, read-only (the supervisor does not own it)."""
    sup = AgentClient(hub, supervisor_account)
    listed = hub.get("/api/analytics/conversations", params={"period": "7d", "figure": "resolved"}, headers=sup.headers).json()["conversations"]
    chosen = None
    for row in listed:
        messages = sup.get(f"/conversations/{row['conversation_id']}").json()["messages"]
        if any(m["sender"] == "customer" for m in messages) and any(m["sender"] == "bot" for m in messages):
            chosen, expected = row["conversation_id"], messages
            break
    assert chosen, "the demo resolves conversations in which the customer talked to the bot first"
    ctx, page = staff_page(browser, settings.hub_url, "/dashboard", supervisor_account, DESKTOP)
    try:
        page.locator("[data-kpi=handle]").click()
        expect(page.locator("#drill")).to_have_attribute("data-figure", "resolved")
        expect(page.locator("#drill")).to_have_attribute("data-total", str(len(listed)))
        page.locator(f"#drill a[href='/console#conv={chosen}']").click()
        page.wait_for_url(f"**/console#conv={chosen}")
        transcript = page.locator("#transcript")
        first_customer = next(m["text"] for m in expected if m["sender"] == "customer")
        expect(transcript.locator(".msg.customer").first).to_contain_text(first_customer)
        expect(transcript.locator(".msg.customer")).to_have_count(sum(1 for m in expected if m["sender"] == "customer"))
        expect(transcript.locator(".msg.bot")).to_have_count(sum(1 for m in expected if m["sender"] == "bot"))
        expect(page.locator("#reply-form")).to_be_hidden()  # resolved, and not the supervisor's: read-only
        shot(page, "dashboard-drill-to-console")
    finally:
        ctx.close()
        sign_off(settings, supervisor_account)
