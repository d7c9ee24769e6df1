"""The supervisor dashboard in a real browser, on three simulated days (./cs demo): every chart draws, the numbers on
the page are the API's, a complaint category lists its conversations; screenshots in both languages."""

from __future__ import annotations

import math

import pytest

from core.redis import Keys, sync_client
from tests.browser import DESKTOP, assert_accessible, expect, shot, staff_page
from tests.clients import PASSWORD, AgentClient, Console, Customer, run_cli, sign_off

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
    """As the page writes it: JavaScript's toFixed rounds the exact value half up (0.8125 -> 81.3%), Python's format half to even."""
    from decimal import ROUND_HALF_UP, Decimal

    return "no data" if value is None else f"{Decimal(value * 100).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}%"


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
        if language == "zh":  # channels, languages, statuses and presence in words, never the API's codes
            channel, lang, status = (drill.locator(f"tbody tr td:nth-child({n})").all_inner_texts() for n in (3, 4, 10))
            assert set(channel) <= {"网页", "微信", "Telegram", "App"} and set(lang) <= {"中文", "英文"}, (channel, lang)
            assert set(status) <= {"机器人接待中", "排队中", "人工接待中", "已结束"}, status
            expect(page.locator("#live tbody tr").first).to_be_visible()
            presence = page.locator("#live tbody td:nth-child(2)").all_inner_texts()
            assert presence and set(presence) <= {"在线", "离开", "离线", "在线，未打开工作台"}, presence
            # Switched to English, the live panel follows at once, not at its next 15-second round.
            page.locator(".ui-lang-select:visible").select_option("en")
            expect(page.locator("#live .live-figures")).to_contain_text("With the bot", timeout=3000)
            assert set(page.locator("#live tbody td:nth-child(2)").all_inner_texts()) <= {"Online", "Away", "Offline", "Online, no console open"}
            page.locator(".ui-lang-select:visible").select_option("zh")
            expect(page.locator("#live .live-figures")).to_contain_text("与机器人对话中", timeout=3000)
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
    drill = hub.get("/api/analytics/conversations", params={"period": "7d", "figure": "resolved"}, headers=sup.headers).json()
    listed = drill["conversations"]  # the first page: other tests' resolved chats may make more than one
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
        expect(page.locator("#drill")).to_have_attribute("data-total", str(drill["total"]))
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


def test_a_drill_down_lists_the_period_on_screen_not_a_period_chosen_but_not_applied(browser, hub, settings, demo_history, supervisor_account):
    """The cards show the last 7 days; choosing "Today" without pressing Apply changes nothing they show, so the
    conversations behind a card are still the 7 days' ones."""
    headers = AgentClient(hub, supervisor_account).headers
    week, today = (hub.get("/api/analytics/summary", params={"period": p}, headers=headers).json()["current"]["volume"]["conversations"]
                   for p in ("7d", "today"))
    assert week != today, "the demo's three days are not all today"
    sign_off(settings, supervisor_account)
    ctx, page = staff_page(browser, settings.hub_url, "/dashboard", supervisor_account, DESKTOP)
    try:
        expect(page.locator("[data-kpi=conversations] .value")).to_have_text(str(week))
        page.locator("#period").select_option("today")
        page.locator("[data-kpi=conversations]").click()
        expect(page.locator("#drill")).to_have_attribute("data-figure", "conversations")
        expect(page.locator("#drill")).to_have_attribute("data-total", str(week))
        expect(page.locator("#drill-title")).to_contain_text(f"{week} conversation")
        # Applied, the cards and the list both say today.
        page.locator("#filters button[type=submit]").click()
        expect(page.locator("[data-kpi=conversations] .value")).to_have_text(str(today))
        expect(page.locator("#drill")).to_have_attribute("data-total", str(today))
    finally:
        ctx.close()
        sign_off(settings, supervisor_account)


def test_last_month_is_shown_beside_the_calendar_month_before_it(browser, settings, stack, supervisor_account):
    """The period list offers this month and last month; last month's figures stand beside the whole calendar month
    before it (the dashboard had only "last 30 days", compared with the 30 days before)."""
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    last = datetime.now(ZoneInfo(settings.business_hours.timezone)).date().replace(day=1) - timedelta(days=1)
    before = last.replace(day=1) - timedelta(days=1)
    ctx, page = staff_page(browser, settings.hub_url, "/dashboard", supervisor_account, DESKTOP)
    try:
        expect(page.locator("#period-line")).not_to_be_empty()
        page.locator("#period").select_option(label="Last month")
        page.locator("#filters button[type=submit]").click()
        expect(page.locator("#period-line")).to_contain_text(f"{last.replace(day=1)} – {last}")
        expect(page.locator("#period-line")).to_contain_text(f"previous period {before.replace(day=1)} – {before}")
    finally:
        ctx.close()
        sign_off(settings, supervisor_account)


def test_the_dashboard_fits_a_phone(browser, settings, demo_history, supervisor_account):
    ctx, page = staff_page(browser, settings.hub_url, "/dashboard", supervisor_account, {"width": 375, "height": 667}, "zh")
    try:
        for chart in CHARTS:
            page.wait_for_function(f"() => ({DRAWN})('{chart}') > 500")
        width = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert width[0] <= width[1], f"the page scrolls sideways: {width[0]} px wide on a {width[1]} px screen"
        for chart in CHARTS:
            box = page.locator(f"#{chart} canvas").first.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= width[1], (chart, box)
        page.locator("#chart-trend").scroll_into_view_if_needed()
        shot(page, "dashboard-phone-zh")
    finally:
        ctx.close()
        sign_off(settings, supervisor_account)


def test_charts_and_tables_work_by_keyboard_and_say_what_they_show(browser, hub, settings, demo_history, supervisor_account):
    """Each chart is an image with a name and its numbers as a table; a slice, a bar, a sort and an agent's
    conversations are reached with Tab and Enter, and the keyboard stays where it was when a table is rebuilt."""
    cur = hub.get("/api/analytics/summary", params={"period": "7d"}, headers=AgentClient(hub, supervisor_account).headers).json()["current"]
    sign_off(settings, supervisor_account)
    ctx, page = staff_page(browser, settings.hub_url, "/dashboard", supervisor_account, DESKTOP)
    try:
        for chart in CHARTS:
            node = page.locator(f"#{chart}")
            expect(node).to_have_attribute("role", "img")
            title = node.locator("xpath=..").locator("h2").inner_text()
            expect(node).to_have_attribute("aria-label", f"Chart: {title}. Its numbers are in the table “Numbers” under it.")
            expect(page.locator(f"#{chart}-data summary")).to_have_text("Numbers")
        expect(page.locator("#chart-heatmap-data tbody tr")).to_have_count(7)

        # A complaint category's slice, by keyboard: open its numbers, Tab to the category, Enter.
        top = next(row for row in cur["complaints"]["by_category"] if row["count"] > 0)
        page.locator("#chart-categories-data summary").focus()
        page.keyboard.press("Enter")
        page.keyboard.press("Tab")  # the table's scrollable region
        page.keyboard.press("Tab")
        focused = page.evaluate("() => document.activeElement.closest('tr') && document.activeElement.closest('tr').rowIndex")
        assert focused == 1, "the first row's button follows the table's region"
        page.keyboard.press("Enter")
        drill = page.locator("#drill")
        expect(drill).to_have_attribute("data-key", top["category"])
        expect(drill).to_have_attribute("data-total", str(top["count"]))
        assert_accessible(page, "dashboard, a chart's numbers open")

        # A channel's bar the same way (every chart with bars lists its conversations from its table).
        channel, count = max(cur["volume"]["by_channel"].items(), key=lambda kv: kv[1])
        page.locator("#chart-channels-data summary").press("Enter")
        page.locator("#chart-channels-data tbody button").first.press("Enter")
        expect(drill).to_have_attribute("data-figure", "channel")
        expect(drill).to_have_attribute("data-key", channel)
        expect(drill).to_have_attribute("data-total", str(count))

        # The agents table: each column head is a button saying how it sorts; the keyboard stays on it.
        chats = page.locator("#agents th[data-key=chats]")
        expect(chats).to_have_attribute("aria-sort", "descending")
        chats.get_by_role("button").focus()
        page.keyboard.press("Enter")
        expect(chats).to_have_attribute("aria-sort", "ascending")
        assert page.evaluate("() => document.activeElement.closest('th') && document.activeElement.closest('th').dataset.key") == "chats"
        page.locator("#agents th[data-key=resolved] button").press("Enter")
        expect(page.locator("#agents th[data-key=resolved]")).to_have_attribute("aria-sort", "descending")
        expect(chats).not_to_have_attribute("aria-sort", "ascending")
        # An agent's row, which names them as the team knows them, lists their conversations (by their sign-in name).
        first = page.locator("#agents tbody tr").first.get_by_role("button")
        name = first.inner_text()
        username = next(row["agent"] for row in cur["agents"] if row["name"] == name)
        first.press("Enter")
        expect(drill).to_have_attribute("data-figure", "agent")
        expect(drill).to_have_attribute("data-key", username)
        assert int(drill.get_attribute("data-total")) > 0
    finally:
        ctx.close()
        sign_off(settings, supervisor_account)


def test_the_dashboard_says_in_its_language_when_the_service_fails_or_cannot_be_reached(browser, settings, supervisor_account):
    """It showed "HTTP 500" and "offline" under a Chinese interface."""
    ctx, page = staff_page(browser, settings.hub_url, "/dashboard", supervisor_account, DESKTOP, "zh")
    try:
        expect(page.locator("#kpis .kpi").first).to_be_visible()
        failures = (
            (lambda route: route.fulfill(status=500, body="Internal Server Error", content_type="text/plain"), "服务出错（500），请重试。"),
            (lambda route: route.abort("connectionrefused"), "无法连接到服务，请在网络恢复后重试。"),
        )
        for failure, said in failures:
            page.route("**/api/analytics/**", failure)
            page.locator("#filters button[type=submit]").click()
            expect(page.locator("#error")).to_have_text(said)
            page.unroute("**/api/analytics/**")
    finally:
        ctx.close()
        sign_off(settings, supervisor_account)


def test_a_chinese_dashboard_names_sla_policies_clocks_and_briefings_in_chinese(browser, hub, settings, demo_history, supervisor_account):
    """The SLA table and the breaches listed the policies and clocks by their codes ("complaint", "first_response"),
    and the briefings as "weekly 2026-11-16 – 2026-11-22 · en · pdf", in the middle of a Chinese page (the briefing
    itself says 投诉 / 标准). Now they are words of the interface language, and follow its switch."""
    from datetime import date, timedelta

    from tests.clients import run_cli
    today = date.today()
    done = run_cli("-m", "analytics", "--from", (today - timedelta(days=6)).isoformat(), "--to", today.isoformat(), "--lang", "en", "--format", "html")
    assert done.returncode == 0, done.stderr
    ctx, page = staff_page(browser, settings.hub_url, "/dashboard", supervisor_account, {**DESKTOP, "height": 900}, "zh")
    try:
        policies = page.locator("#sla tbody tr td:first-child")
        expect(policies.first).to_be_visible()
        named = set(policies.all_inner_texts())  # the built-in policies in words; a shop's own (another test's "fast") as written
        assert {"VIP", "投诉", "标准"} <= named and not named & {"vip", "complaint", "standard"}, named
        clocks = page.locator("#breaches tbody tr td:nth-child(3)").all_inner_texts()
        assert set(clocks) <= {"首次响应", "解决"}, clocks
        briefing = page.locator("#reports li", has_text="英文").first
        expect(briefing).to_have_text(f"简报 {(today - timedelta(days=6)).isoformat()} – {today.isoformat()} · 英文 · html")
        page.locator(".ui-lang-select:visible").select_option("en")
        expect(page.locator("#reports li", has_text="English").first).to_contain_text("Briefing ")
        named = set(page.locator("#sla tbody tr td:first-child").all_inner_texts())
        assert {"VIP", "Complaint", "Standard"} <= named and not named & {"vip", "complaint", "standard"}, named
        shot(page, "dashboard-sla-briefings-zh-then-en")
    finally:
        ctx.close()
        sign_off(settings, supervisor_account)


def test_an_agent_signed_in_through_the_api_alone_is_not_shown_available(browser, hub, settings, agents, supervisor_account):
    """Routing offers chats only to agents at a console (CS_PRESENCE_GRACE_SECONDS, handoff/consoles.py). An agent signed
    in through the API alone, with no console open, is "online" but offered nothing: the dashboard showed them online
    and counted them among the agents online, so a supervisor saw help where routing saw none. Now the live panel, the
    count and the team list say what routing does, and the agent turns available once a console connects."""
    proc = run_cli("-m", "handoff", "add", "apiuser", "--name", "Apiuser", "--role", "agent", "--password", PASSWORD, "--capacity", "3")
    assert proc.returncode == 0, proc.stderr
    api_only = AgentClient(hub, "apiuser", console=False)
    assert api_only.get("/me").json()["presence"] == "online"
    boss = AgentClient(hub, supervisor_account, console=False)
    live = hub.get("/api/analytics/live", headers=boss.headers).json()
    (row,) = [a for a in live["agents"] if a["agent"] == "apiuser"]
    assert (row["presence"], row["available"]) == ("online", False)
    assert live["agents_online"] == sum(a["available"] for a in live["agents"])
    (team,) = [r for r in boss.get("/load").json() if r["agent"]["username"] == "apiuser"]
    assert team["available"] is False
    sign_off(settings, supervisor_account)

    ctx, page = staff_page(browser, settings.hub_url, "/dashboard", supervisor_account, DESKTOP)
    try:
        presence = page.locator("#live tbody tr", has_text="Apiuser").locator("td:nth-child(2)")
        expect(presence).to_have_text("Online, no console open")
        page.locator(".ui-lang-select:visible").select_option("zh")  # the live panel is drawn again at once
        expect(presence).to_have_text("在线，未打开工作台")
        console = Console(settings.hub_url, api_only.token)  # the console page connects: routing offers chats now
        page.locator(".ui-lang-select:visible").select_option("en")
        expect(presence).to_have_text("Online")
        (row,) = [a for a in hub.get("/api/analytics/live", headers=boss.headers).json()["agents"] if a["agent"] == "apiuser"]
        assert row["available"] is True
        console.close()
    finally:
        ctx.close()
        sign_off(settings, "apiuser")
        sign_off(settings, supervisor_account)


@pytest.mark.parametrize("language", ["en", "zh"])
def test_the_agents_table_shows_every_column_on_a_laptop(browser, settings, supervisor_account, language):
    """On a 1366x768 laptop the Agents table sits in half of the page, and its heads were kept on one line
    ("Handle time (mean)", "First response"): the table was wider than its half, and the last column (Breaches,
    the one a supervisor looks for) showed as a lone "B" at the edge, the rest behind a sideways scroll. Heads wrap,
    and every column is in view."""
    ctx, page = staff_page(browser, settings.hub_url, "/dashboard", supervisor_account, DESKTOP, language)
    try:
        heads = page.locator("#agents th")
        expect(heads.last).to_have_text({"en": "Breaches", "zh": "超时"}[language])
        region = page.get_by_role("region", name={"en": "Agents", "zh": "客服人员"}[language])
        wide, shown = region.evaluate("(wrap) => [wrap.scrollWidth, wrap.clientWidth]")
        assert wide <= shown, f"the Agents table is {wide} px wide in a {shown} px region: its last columns are cut off"
        edge = region.bounding_box()
        last = heads.last.bounding_box()
        assert last["x"] + last["width"] <= edge["x"] + edge["width"] + 1, (last, edge)
        region.scroll_into_view_if_needed()
        shot(page, f"dashboard-{language}-agents-laptop")
    finally:
        ctx.close()
        sign_off(settings, supervisor_account)


@pytest.mark.parametrize(("language", "says"), [("en", "No complaints in this period."), ("zh", "本期没有投诉。")])
def test_a_period_without_complaints_says_so_instead_of_a_grey_ring(browser, hub, settings, supervisor_account, language, says):
    """A week without complaints drew "Complaints by category" as a bare grey ring, and the channel and handoff
    charts as empty axes: it read as still loading or broken. Each says in words that the period has none."""
    Customer(hub, language).say({"en": "How much is shipping?", "zh": "运费怎么算"}[language])  # this week has a chat
    ctx, page = staff_page(browser, settings.hub_url, "/dashboard", supervisor_account, DESKTOP, language)
    try:
        page.locator("#period").select_option("custom")
        page.locator("#from").fill("2021-03-01")
        page.locator("#to").fill("2021-03-07")
        page.locator("#apply, .filters button[type=submit]").first.click()
        expect(page.locator("#period-line")).to_contain_text("2021-03-01")
        expect(page.locator("#chart-categories-empty")).to_have_text(says)
        expect(page.locator("#chart-categories")).to_be_hidden()
        for chart in ("chart-channels", "chart-reasons"):
            expect(page.locator(f"#{chart}-empty")).to_be_visible()
        page.locator("#chart-categories-empty").scroll_into_view_if_needed()
        shot(page, f"dashboard-{language}-no-complaints")
        page.locator("#period").select_option("7d")  # back to a period with chats: the channel chart draws again
        page.locator("#apply, .filters button[type=submit]").first.click()
        expect(page.locator("#chart-channels-empty")).to_be_hidden()
        page.wait_for_function(f"() => ({DRAWN})('chart-channels') > 500")
    finally:
        ctx.close()
        sign_off(settings, supervisor_account)
