"""Layout at a laptop's 1366x768 in a real browser: the agent console's transcript keeps most of the chat column, a
canned-reply shortcut that matches nothing is not sent by the Enter that was meant to pick it, the sidebar's ticket
rows stay on one line, and the dashboard heatmap's colour legend stays clear of its hour labels."""

from __future__ import annotations

import pytest

from handoff.models import HUMAN_PAYLOAD
from tests.browser import DESKTOP, PHONE, assert_accessible, expect, shot, staff_page
from tests.clients import Customer, sign_off

WAIT = 60_000

QUESTIONS = {
    "en": "I bought a phone from you last week and the screen has a deep scratch across the middle, the box was also "
          "dented when it arrived and the charger is missing; can I exchange it for a new one or get my money back?",
    "zh": "我上周在你们店买的手机屏幕中间有一道很深的划痕，收到时包装盒也压坏了，充电器也没有，能不能换一台新的或者退款？",
}
NONE_OF_THESE = {"en": "None of these, a person please", "zh": "都不是，转人工"}


def _handed_over(hub, language: str) -> Customer:
    """A chat the bot handed over after offering answers that did not fit: a long summary and a list of what it tried."""
    customer = Customer(hub, language)
    customer.say(QUESTIONS[language])
    asked = customer.say(NONE_OF_THESE[language], payload=HUMAN_PAYLOAD)
    assert asked["conversation"]["status"] == "queued", asked
    return customer


def _share(page) -> float:
    """The transcript's visible height as a share of the chat column's (the open conversation, header to reply box)."""
    return page.evaluate("""() => {
      const t = document.getElementById('transcript').getBoundingClientRect();
      const c = document.getElementById('conversation').getBoundingClientRect();
      const visible = Math.max(0, Math.min(t.bottom, c.bottom, innerHeight) - Math.max(t.top, c.top, 0));
      return visible / c.height;
    }""")


@pytest.mark.usefixtures("manual_assignment")
@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_transcript_gets_most_of_the_chat_column_once_the_handoff_details_were_read(stack, settings, agents, browser, hub, language):
    """At 1366x768 the ticket bar and the hand-over details (open every time the chat was opened) took about 300 px,
    the transcript the other 300: agents, who spend the day in it, read the conversation through a slot. The details
    open the first time an agent opens a chat; after that (remembered per chat for the browser tab) they are one line
    saying why the bot handed over, one click or Enter away, and the transcript has most of the column."""
    customer = _handed_over(hub, language)
    ctx, console = staff_page(browser, settings.hub_url, "/console", "alice", DESKTOP, language)
    try:
        console.locator(f'#queue li[data-cid="{customer.id}"] button.claim').click(timeout=WAIT)
        toggle = console.locator("#packet-toggle")
        expect(toggle).to_have_attribute("aria-expanded", "true", timeout=WAIT)  # the first look: everything shown
        expect(console.locator("#packet-body .tried li").first).to_be_visible()
        expect(console.locator("#ticket")).to_be_visible()

        # Back later (another chat, a reload): the details are a one-line summary and the transcript has the room.
        console.reload()
        console.locator(f'#mine li[data-cid="{customer.id}"] button.item').click(timeout=WAIT)
        expect(console.locator("#ticket")).to_be_visible(timeout=WAIT)
        expect(toggle).to_have_attribute("aria-expanded", "false")
        expect(console.locator("#packet-body")).to_be_hidden()
        expect(console.locator("#packet-summary")).not_to_be_empty()
        share = _share(console)
        shot(console, f"console-{language}-transcript-room")
        assert share >= 0.6, f"the transcript has {share:.0%} of the chat column"
        assert_accessible(console, "console with the handoff details folded")

        # Nothing is out of reach: Enter on the summary opens the details again, and that choice stays for this chat.
        toggle.focus()
        console.keyboard.press("Enter")
        expect(toggle).to_have_attribute("aria-expanded", "true")
        expect(console.locator("#packet-body .tried li").first).to_be_visible()
        console.reload()
        console.locator(f'#mine li[data-cid="{customer.id}"] button.item').click(timeout=WAIT)
        expect(toggle).to_have_attribute("aria-expanded", "true", timeout=WAIT)
        assert_accessible(console, "console with the handoff details open")
    finally:
        ctx.close()


HELD = {
    "zh": "没有匹配“/zz-none”的快捷回复，所以未发送。再按一次回车将按原样发送“/zz-none”。",
    "en": "No canned reply matches “/zz-none”, so it was not sent. Press Enter again to send “/zz-none” as typed.",
}


@pytest.mark.usefixtures("manual_assignment")
@pytest.mark.parametrize(("language", "viewport"), [("zh", DESKTOP), ("en", PHONE)])
def test_enter_on_a_shortcut_that_matches_nothing_does_not_send_it(stack, settings, agents, browser, hub, language, viewport):
    """The canned list said "no canned reply matches /zz-none", yet Enter (meant to pick one) sent "/zz-none" to the
    customer. That Enter now sends nothing and the list (and a screen reader) says so; a second Enter sends it as typed."""
    customer = Customer(hub, language)
    hub.post(f"/api/conversations/{customer.id}/handoff", headers=customer.headers)
    ctx, console = staff_page(browser, settings.hub_url, "/console", "alice", viewport, language)
    try:
        console.locator(f'#queue li[data-cid="{customer.id}"] button.claim').click(timeout=WAIT)
        reply = console.locator("#reply")
        expect(reply).to_be_focused(timeout=WAIT)
        reply.fill("/zz-none")
        hint = console.locator("#canned .canned-none")
        expect(hint).to_be_visible()
        reply.press("Enter")
        expect(hint).to_have_text(HELD[language])
        expect(console.locator("#reply-form [role=status]")).to_have_text(HELD[language])
        expect(reply).to_have_value("/zz-none")
        shot(console, f"console-{language}-canned-held")
        assert_accessible(console, "console holding a shortcut that matches nothing")

        reply.press("Enter")  # meant: sent as typed
        expect(console.locator("#transcript .msg.agent", has_text="/zz-none")).to_be_visible(timeout=WAIT)
        expect(console.locator("#canned")).to_be_hidden()
        sent = [m for m in customer.transcript() if m["sender"] == "agent"]
        assert [m["text"] for m in sent] == ["/zz-none"], sent
    finally:
        ctx.close()


ROWS = """() => [...document.querySelectorAll('#tickets .ticket-row .item-top')].map((top) => {
  const name = top.firstElementChild, clock = top.lastElementChild;
  const n = name.getBoundingClientRect(), c = clock.getBoundingClientRect(), b = top.closest('button').getBoundingClientRect();
  const line = parseFloat(getComputedStyle(name).lineHeight) || 1.5 * parseFloat(getComputedStyle(name).fontSize);
  const overlap = n.left < c.right && c.left < n.right && n.top < c.bottom && c.top < n.bottom;
  return { text: name.textContent, height: n.height, line, overlap, inside: n.left >= b.left && n.right <= b.right && c.right <= b.right + 0.5 };
})"""


@pytest.mark.usefixtures("manual_assignment")
@pytest.mark.parametrize("language", ["zh", "en"])
def test_ticket_rows_in_the_sidebar_keep_the_number_and_customer_on_one_line(stack, settings, agents, browser, hub, language):
    """In the console's ticket list "T-000001 ·" stood on one line and "#42b89a" under it, beside the SLA clock. The
    number and the customer are one line (the customer cut short if need be), never under or over the clock."""
    customers = [_handed_over(hub, language) for _ in range(2)]
    ctx, console = staff_page(browser, settings.hub_url, "/console", "alice", DESKTOP, language)
    try:
        for customer in customers:
            console.locator(f'#queue li[data-cid="{customer.id}"] button.claim').click(timeout=WAIT)
            expect(console.locator("#ticket")).to_be_visible(timeout=WAIT)
        expect(console.locator("#tickets .ticket-row")).not_to_have_count(0)
        console.locator("#tickets .ticket-row .sla").first.wait_for()
        rows = console.evaluate(ROWS)
        assert rows
        for row in rows:
            assert row["height"] <= 1.5 * row["line"], f"{row['text']!r} wraps: {row}"
            assert not row["overlap"] and row["inside"], row
        shot(console, f"console-{language}-ticket-rows")
        assert_accessible(console, "console with its ticket list")
    finally:
        ctx.close()


LEGEND_AND_HOURS = """() => {
  const chart = echarts.getInstanceByDom(document.getElementById('chart-heatmap'));
  const model = chart.getModel();
  const box = (component) => {
    const g = chart.getViewOfComponentModel(model.getComponent(component)).group;
    const r = g.getBoundingRect();
    if (g.transform) r.applyTransform(g.transform);
    return { x: r.x, y: r.y, width: r.width, height: r.height };
  };
  return { legend: box('visualMap'), axis: box('xAxis'), height: chart.getHeight() };
}"""


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_heatmaps_colour_legend_stays_clear_of_its_hour_labels(browser, hub, settings, demo_history, supervisor_account, language):
    """On the dashboard the heatmap's colour legend (with its draggable handles and their numbers) was drawn over the
    hour labels under the chart. They are apart, and the legend is inside the chart."""
    sign_off(settings, supervisor_account)
    ctx, page = staff_page(browser, settings.hub_url, "/dashboard", supervisor_account, DESKTOP, language)
    try:
        page.locator("#chart-heatmap-data tbody tr").first.wait_for(state="attached", timeout=WAIT)
        page.wait_for_function("() => window.echarts && echarts.getInstanceByDom(document.getElementById('chart-heatmap'))")
        page.locator("#chart-heatmap").scroll_into_view_if_needed()
        got = page.evaluate(LEGEND_AND_HOURS)
        legend, axis = got["legend"], got["axis"]
        shot(page, f"dashboard-{language}-heatmap")
        assert axis["y"] + axis["height"] <= legend["y"], f"the legend overlaps the hour labels: {got}"
        assert legend["y"] + legend["height"] <= got["height"] + 0.5, got
    finally:
        ctx.close()
        sign_off(settings, supervisor_account)


@pytest.mark.usefixtures("manual_assignment")
@pytest.mark.parametrize("language", ["zh", "en"])
def test_every_action_of_a_claimed_chat_is_on_screen_on_a_phone(stack, settings, agents, browser, hub, language):
    """On a phone the chat's header ran the colleague picker, the hand-over note and Transfer off the right edge of
    the screen: Transfer could not be reached. Every control of the header is inside the screen."""
    customer = Customer(hub, language)
    hub.post(f"/api/conversations/{customer.id}/handoff", headers=customer.headers)
    ctx, console = staff_page(browser, settings.hub_url, "/console", "alice", PHONE, language)
    try:
        console.locator(f'#queue li[data-cid="{customer.id}"] button.claim').click(timeout=WAIT)
        expect(console.locator("#transfer")).to_be_visible(timeout=WAIT)
        outside = console.evaluate("""() => [...document.querySelectorAll('.conv-actions button, .conv-actions select, .conv-actions input')]
          .filter((el) => el.offsetParent !== null)
          .map((el) => ({ id: el.id || el.className, right: el.getBoundingClientRect().right, left: el.getBoundingClientRect().left }))
          .filter((b) => b.right > innerWidth + 0.5 || b.left < -0.5)""")
        shot(console, f"console-{language}-phone-actions")
        assert not outside, outside
    finally:
        ctx.close()
