"""The dashboard's "Open now" panel in a real browser: the open tickets with their running SLA clocks, most urgent
first, counts per status and agent, a breach moving its ticket to the top, a ticket opening in the console; and an
agent refused (403, no panel).

Before it the dashboard showed breaches only after the fact (the period's tables) and the queue's longest wait:
nothing listed the tickets open now with the time left on their promises.

On a hub of its own whose promises are minutes long (as tests/test_service_desk.py's fast desk), so that no clock shown
as running runs out while the test looks at it; the ticket that breaches has its due time set in the past in Redis."""

from __future__ import annotations

import json
import re
import secrets
import time

import httpx
import pytest

from core.identity import sign_identity
from core.redis import Keys, sync_client
from tests.browser import DESKTOP, LOCALES, PHONE, assert_accessible, expect, shot, staff_page
from tests.clients import PASSWORD, AgentClient, Customer, run_cli, sign_off, start_hub, wait_for

WAIT = 60_000
KEEPER = "boardkeeper"
# Minutes, not the defaults' 1 and 5, so a clock shown as running cannot run out while the test looks at it.
POLICIES = [
    {"name": "vip", "tier": "vip", "first_response_seconds": 20 * 60, "resolution_seconds": 24 * 3600, "business_hours_only": False},
    {"name": "standard", "first_response_seconds": 30 * 60, "resolution_seconds": 72 * 3600, "business_hours_only": False},
]
CATEGORIES = {"Product quality", "Service attitude", "Logistics", "After-sales", "Billing", "Other"}
ROWS = "#open-tickets tbody tr[data-ticket]"


@pytest.fixture(scope="module")
def board_hub(stack, agents, settings, supervisor_account):
    proc, url = start_hub(settings.rasa_port, timeout=15, CS_SLA_POLICIES=json.dumps(POLICIES))
    yield url
    proc.terminate()
    proc.wait(10)


def order(page, refs: list[str]) -> list[str]:
    """``refs`` in the order the panel lists them (other tests' open tickets may be listed too)."""
    return [r for r in page.locator(ROWS).evaluate_all("(rows) => rows.map((r) => r.dataset.ticket)") if r in refs]


def row(page, ref: str):
    return page.locator(f"{ROWS}[data-ticket='{ref}']")


def test_open_now_lists_open_tickets_by_their_sla_clocks_and_a_breach_moves_to_the_top(browser, settings, board_hub, supervisor_account, only):
    proc = run_cli("-m", "handoff", "add", KEEPER, "--name", "Board Keeper", "--password", PASSWORD, "--capacity", "3")
    assert proc.returncode == 0, proc.stderr
    only(KEEPER)  # at a console, with room for three chats: the fourth waits
    real = httpx.Client(base_url=board_hub, timeout=60)
    keeper = AgentClient(real, KEEPER, console=False)
    boss = AgentClient(real, supervisor_account, console=False)
    boss.post("/presence", {"presence": "away"})
    chats: list[str] = []
    try:
        def ask(client: httpx.Client, customer: Customer | None = None) -> str:
            c = customer or Customer(client, "en")
            chats.append(c.id)
            return c.say("I want to talk to a person")["conversation"]["ticket_ref"]

        # Pending the customer: answered, then waiting for them (its clocks paused).
        c1 = Customer(real, "en")
        paused = ask(real, c1)
        assert keeper.post(f"/conversations/{c1.id}/messages", {"text": "Could you send your order number?"}).status_code == 200
        assert keeper.post(f"/tickets/{paused}/status", {"status": "pending_customer"}).status_code == 200
        # A VIP nobody has answered yet: 20 minutes to a first response.
        identity = {"ref": f"vip-{secrets.token_hex(3)}", "tier": "vip", "name": "Gao Wei"}
        started = real.post("/api/conversations", json={"language": "en", "customer": {**identity, "signature": sign_identity(settings.secret("identity-secret"), **identity)}}).json()
        vip_c = Customer.__new__(Customer)
        vip_c.hub, vip_c.id, vip_c.headers = real, started["conversation_id"], {"Authorization": f"Bearer {started['token']}"}
        vip = ask(real, vip_c)
        # Answered: its resolution is due in three days.
        cx = Customer(real, "en")
        late = ask(real, cx)
        assert keeper.post(f"/conversations/{cx.id}/messages", {"text": "I'm on it."}).status_code == 200
        # Keeper is full: this one waits for an agent, 30 minutes to a first response.
        waiting = ask(real)
        mine = [vip, waiting, late, paused]
        tickets = {ref: boss.get(f"/tickets/{ref}").json()["ticket"] for ref in mine}
        assert [tickets[r]["status"] for r in mine] == ["open", "new", "open", "pending_customer"], tickets
        assert tickets[waiting]["assignee"] is None and tickets[vip]["sla"]["policy"] == "vip"

        # The agent: refused by the API, and the dashboard shows them no panel.
        assert real.get("/api/analytics/open", headers=keeper.headers).status_code == 403
        ctx = browser.new_context(viewport=DESKTOP, locale=LOCALES["en"])
        agent_page = ctx.new_page()
        agent_page.goto(f"{board_hub}/dashboard")
        agent_page.locator("#username").fill(KEEPER)
        agent_page.locator("#password").fill(PASSWORD)
        agent_page.locator("#login-submit").click()
        expect(agent_page.locator("#login-error")).to_contain_text("Only supervisors")
        expect(agent_page.locator("#open-now")).to_be_hidden()
        assert agent_page.locator(ROWS).count() == 0
        ctx.close()

        ctx, page = staff_page(browser, board_hub, "/dashboard", supervisor_account, DESKTOP)
        expect(row(page, paused)).to_be_visible(timeout=WAIT)
        # Most urgent first: the VIP's first response (20 min), the waiting one's (30 min), a resolution (3 days), the paused one.
        assert order(page, mine) == mine
        clock = lambda ref: row(page, ref).locator(".sla-clock")  # noqa: E731
        expect(clock(vip)).to_have_text(re.compile(r"^First response · (1\d|20)m \d+s left$"))
        expect(clock(waiting)).to_have_text(re.compile(r"^First response · (2\d|30)m \d+s left$"))
        expect(clock(late)).to_have_text(re.compile(r"^Resolution · [23]d left$"))
        expect(clock(paused)).to_have_text(re.compile(r"^Resolution · paused, [23]d left$"))
        cells = lambda ref: row(page, ref).locator("td").all_inner_texts()  # noqa: E731
        assert cells(vip)[2:7] == ["Open", "Board Keeper", "Gao Wei", "English", "VIP"], cells(vip)
        assert cells(vip)[7] in CATEGORIES, cells(vip)
        assert cells(waiting)[2:4] == ["New", "Waiting"] and cells(waiting)[6] == "–", cells(waiting)
        assert cells(paused)[2:4] == ["Pending customer", "Board Keeper"], cells(paused)
        # The counts on top: Keeper holds three (two open, one pending), none breached.
        keeper_row = page.locator("#open-agents tbody tr", has_text="Board Keeper")
        expect(keeper_row.locator("td")).to_have_text(["Board Keeper", "3", "2", "1", "0"])
        for key in ("new", "open", "pending_customer", "breached", "waiting"):
            expect(page.locator(f"#open-counts [data-count={key}] dd")).to_have_text(re.compile(r"^\d+$"))
        assert int(page.locator("#open-counts [data-count=pending_customer] dd").inner_text()) >= 1
        shot(page, "dashboard-open-now")
        assert_accessible(page, "dashboard, open now")
        # 1366x768: every column in sight, no sideways scroll.
        assert page.locator("#open-tickets").evaluate("(t) => t.parentElement.scrollWidth <= t.parentElement.clientWidth")

        # Its resolution falls due two minutes ago: the ticket goes to the top, breached (before the desk's breach job
        # for it has run: the customer's wait is what counts).
        r, keys = sync_client(settings), Keys(settings.key_prefix)
        sla = json.loads(r.hget(keys.ticket(tickets[late]["id"]), "sla"))
        sla["clocks"]["resolution"].update(due_at=time.time() - 120, warn_at=time.time() - 600)
        r.hset(keys.ticket(tickets[late]["id"]), "sla", json.dumps(sla))
        expect(row(page, late)).to_have_attribute("data-state", "breached", timeout=15_000)
        assert order(page, mine) == [late, vip, waiting, paused]
        states = page.locator(ROWS).evaluate_all("(rows) => rows.map((r) => r.dataset.state)")
        refs = page.locator(ROWS).evaluate_all("(rows) => rows.map((r) => r.dataset.ticket)")
        assert "running" not in states[: refs.index(late)], "a breached ticket comes before every running one"
        expect(clock(late)).to_have_text(re.compile(r"^Resolution · overdue 2m \d+s$"))
        expect(keeper_row.locator("td")).to_have_text(["Board Keeper", "3", "2", "1", "1"])

        # In Chinese, and on a phone: each ticket a card, nothing wider than the screen.
        page.locator(".ui-lang-select:visible").select_option("zh")
        expect(page.locator("#h-open")).to_have_text("当前未结工单")
        expect(clock(vip)).to_have_text(re.compile(r"^首次响应 · 剩余 (1\d|20)分\d+秒$"))
        assert row(page, paused).locator("td").nth(2).inner_text() == "待顾客回复"
        assert row(page, waiting).locator("td").nth(3).inner_text().endswith("等待分配")
        page.set_viewport_size(PHONE)
        # The charts redraw at the new width on the window's resize event, a frame or more after the resize itself:
        # until then the page is as wide as the desktop's charts. Waited for, not read at once (a page that stays too
        # wide still fails here).
        page.wait_for_function("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth", timeout=10_000)
        box = row(page, late).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
        shot(page, "dashboard-open-now-phone-zh")
        assert_accessible(page, "dashboard, open now, phone, Chinese")
        page.set_viewport_size(DESKTOP)
        page.locator(".ui-lang-select:visible").select_option("en")

        # A click on the ticket opens it in the console.
        row(page, late).locator("td").nth(4).click()
        expect(page).to_have_url(re.compile(rf"/console#conv={cx.id}$"))
        expect(page.locator("#ticket-ref")).to_have_text(late, timeout=WAIT)
        ctx.close()
    finally:
        sign_off(settings, supervisor_account)
        # Out of the next tests' way: keeper resolves what he holds (the waiting chat comes to him once he has room).
        for cid in chats:
            wait_for(lambda: real.post(f"/api/agent/conversations/{cid}/resolve", headers=keeper.headers).status_code == 200, 10, 0.5)
        real.close()


# Counts, in the page, what the dashboard asks the hub for on its own (the open tickets, the live panel).
COUNT_POLLS = """(() => {
  window.__asked = { open: 0, live: 0 };
  const real = window.fetch;
  window.fetch = (url, ...rest) => {
    const u = String(url);
    if (u.includes("/api/analytics/open")) window.__asked.open += 1;
    if (u.includes("/api/analytics/live")) window.__asked.live += 1;
    return real(url, ...rest);
  };
})();"""
SET_HIDDEN = """(hidden) => {
  Object.defineProperty(document, "hidden", { configurable: true, get: () => hidden });
  Object.defineProperty(document, "visibilityState", { configurable: true, get: () => (hidden ? "hidden" : "visible") });
  document.dispatchEvent(new Event("visibilitychange"));
  return { ...window.__asked };  // read in the same turn: no round of the page's own can come in between
}"""


def test_a_dashboard_in_a_background_tab_asks_nothing_and_catches_up_when_looked_at(browser, settings, stack, supervisor_account):
    """Before, a dashboard left open in a background tab asked for the open tickets every 5 s and the live panel every
    15 s all day; and a figures summary answered after the tab went to the background (slow on a busy hub) still
    asked for the live panel (the suite saw it once). The page's clock is Playwright's: a minute passes at once."""
    ctx = browser.new_context(viewport=DESKTOP, locale=LOCALES["en"])
    try:
        page = ctx.new_page()
        page.add_init_script(COUNT_POLLS)
        held: list = []  # the first figures summary, answered only once the tab is in the background
        page.route("**/api/analytics/summary?*", lambda route: held.append(route))
        page.clock.install()
        page.goto(f"{settings.hub_url}/dashboard")
        page.locator("#username").fill(supervisor_account)
        page.locator("#password").fill(PASSWORD)
        page.locator("#login-submit").click()
        expect(page.locator("#open-counts [data-count=breached] dd")).to_have_text(re.compile(r"^\d+$"), timeout=WAIT)
        page.clock.run_for(16_000)  # the page's own rounds do ask while it is looked at
        shown = page.evaluate("() => ({ ...window.__asked })")
        assert shown["open"] >= 3 and shown["live"] >= 1, shown

        before = page.evaluate(SET_HIDDEN, True)
        assert held, "the dashboard never asked for its figures"
        held[0].continue_()
        page.unroute("**/api/analytics/summary?*")
        expect(page.locator("#period-line")).not_to_be_empty(timeout=WAIT)
        page.clock.run_for(60_000)
        assert page.evaluate("() => ({ ...window.__asked })") == before, "a hidden dashboard kept asking the hub"

        # Looked at again: both at once, not at the next round.
        assert page.evaluate(SET_HIDDEN, False) == {"open": before["open"] + 1, "live": before["live"] + 1}
    finally:
        ctx.close()
        sign_off(settings, supervisor_account)
