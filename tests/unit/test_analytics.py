"""The metric definitions (docs/metrics.md) on a small hand-built history where every figure is known by construction."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from analytics.facts import ConversationFacts, fold
from analytics.index import filter_tags, tag_of, tags
from analytics.metrics import SELECTORS, Filters, Partial, Targets, finish, partial, percentile, select, summarize
from analytics.periods import InvalidPeriod, resolve
from core.settings import BusinessHours
from tickets.hours import Hours

ZONE = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=ZONE).timestamp()  # a Monday, 10:00 in Shanghai
NOW = T0 + 30 * 3600


def history() -> list[dict]:
    """Six conversations; the comments say what each one must count for."""
    ev: list[dict] = []

    def add(cid: str, offset: float, type_: str, **data) -> None:
        ev.append({"type": type_, "conversation_id": cid, "ts": T0 + offset, **data})

    # c1: the bot answered twice, one helpful vote: contained
    add("c1", 0, "conversation_started", channel="web", language="en", customer_tier="standard")
    add("c1", 1, "customer_message"); add("c1", 2, "bot_turn", decision="answer")
    add("c1", 3, "customer_message"); add("c1", 4, "bot_turn", decision="answer")
    add("c1", 5, "answer_feedback", helpful=True)
    # c2: complaint (logistics), waited 60 s, first response 120 s, resolved, rated 5: first-contact resolved
    add("c2", 0, "conversation_started", channel="web", language="zh")
    add("c2", 1, "customer_message"); add("c2", 2, "bot_turn", decision="fallback")
    add("c2", 10, "escalated", reason="complaint", category="logistics", to="queued")
    add("c2", 11, "ticket_created", ticket="T-000001", policy="complaint", category="logistics")
    add("c2", 70, "assigned", agent="alice", to="assigned")
    add("c2", 131, "ticket_first_response", seconds=120, met=True, policy="complaint", category="logistics")
    add("c2", 132, "agent_message")
    add("c2", 610, "resolved", agent="alice", to="resolved")
    add("c2", 611, "ticket_status", status="solved", met=True, policy="complaint", category="logistics")
    add("c2", 620, "rated", score=5, comment="", agent="alice")
    # c3: complaint (product quality), waited 300 s, first response 400 s (late), transferred bob -> alice, rated 2
    add("c3", 0, "conversation_started", channel="telegram", language="en")
    add("c3", 1, "customer_message"); add("c3", 2, "bot_turn", decision="handoff")
    add("c3", 3, "escalated", reason="complaint", category="product_quality", to="queued")
    add("c3", 4, "ticket_created", ticket="T-000002", policy="complaint", category="product_quality")
    add("c3", 303, "assigned", agent="bob", to="assigned")
    add("c3", 404, "ticket_first_response", seconds=400, met=False, policy="complaint", category="product_quality")
    add("c3", 500, "transferred", agent="alice", to="assigned")
    add("c3", 900, "resolved", agent="alice", to="resolved")
    add("c3", 901, "ticket_status", status="solved", met=True, policy="complaint", category="product_quality")
    add("c3", 950, "rated", score=2, comment="too slow", agent="alice")
    # c4: asked for a person (other), waited 30 s, first response 60 s, resolved, reopened, rated 4
    add("c4", 0, "conversation_started", channel="web", language="zh")
    add("c4", 1, "customer_message"); add("c4", 2, "bot_turn", decision="answer")
    add("c4", 5, "escalated", reason="customer_request", category="other", to="queued")
    add("c4", 6, "ticket_created", ticket="T-000003", policy="standard", category="other")
    add("c4", 35, "assigned", agent="alice", to="assigned")
    add("c4", 66, "ticket_first_response", seconds=60, met=True, policy="standard", category="other")
    add("c4", 300, "resolved", agent="alice", to="resolved")
    add("c4", 301, "ticket_status", status="solved", met=True, policy="standard", category="other")
    add("c4", 400, "rated", score=4, comment="", agent="alice")
    add("c4", 500, "reopened", to="bot")
    # c5: complaint (product quality) straight to the queue, never answered: first response breached, 24 h missed
    add("c5", 0, "conversation_started", channel="web", language="en", customer_tier="vip")
    add("c5", 1, "escalated", reason="complaint", category="product_quality", to="queued")
    add("c5", 2, "ticket_created", ticket="T-000004", policy="complaint", category="product_quality")
    add("c5", 400, "sla_breached", clock="first_response", due_at=T0 + 301, policy="complaint", category="product_quality")
    # c6: the bot suggested; one not-helpful vote; contained
    add("c6", 0, "conversation_started", channel="web", language="en")
    add("c6", 1, "customer_message"); add("c6", 2, "bot_turn", decision="suggest")
    add("c6", 3, "answer_feedback", helpful=False)
    return ev


def facts_of(events: list[dict], hours: Hours | None = None) -> list[ConversationFacts]:
    out: dict[str, ConversationFacts] = {}
    for e in events:
        fold(out.setdefault(e["conversation_id"], ConversationFacts(e["conversation_id"])), e, hours)
    return list(out.values())


@pytest.fixture
def summary() -> dict:
    return summarize(facts_of(history()), Targets(), ZONE, NOW)


def test_containment_counts_conversations_the_bot_closed_among_those_it_talked_in(summary):
    assert summary["bot"]["conversations_with_bot"] == 5  # c5 never talked to the bot
    assert summary["bot"]["contained"] == 2
    assert summary["bot"]["containment"] == pytest.approx(2 / 5)
    assert summary["bot"]["decisions"] == {"answer": 3, "suggest": 1, "fallback": 1, "handoff": 1}
    assert summary["bot"]["votes"] == {"helpful": 1, "not_helpful": 1, "helpful_share": 0.5}
    assert summary["bot"]["escalation_reasons"] == {"complaint": 3, "customer_request": 1}


def test_first_response_percentiles_are_nearest_rank_and_the_target_share_uses_five_minutes(summary):
    frt = summary["humans"]["first_response"]
    assert (frt["p50"], frt["p90"], frt["count"]) == (120, 400, 3)
    assert frt["within_target"] == pytest.approx(2 / 3)
    wait = summary["humans"]["queue_wait"]
    assert (wait["p50"], wait["p90"]) == (60, 300)


def test_first_contact_resolution_excludes_reopened_and_transferred_chats(summary):
    humans = summary["humans"]
    assert humans["resolved"] == 3
    assert humans["fcr"] == pytest.approx(1 / 3)  # only c2: c3 was transferred, c4 reopened
    assert humans["reopen_rate"] == pytest.approx(1 / 3)
    assert humans["transfers"] == 1
    assert humans["handle_time"]["mean"] == pytest.approx((540 + 597 + 265) / 3)


def test_csat_is_the_share_of_four_and_five_among_ratings(summary):
    sat = summary["satisfaction"]
    assert sat["ratings"] == 3 and sat["csat"] == pytest.approx(2 / 3)
    assert sat["distribution"] == {"1": 0, "2": 1, "3": 0, "4": 1, "5": 1}
    assert sat["response_rate"] == 1.0
    assert [c["comment"] for c in sat["low_comments"]] == ["too slow"]


def test_complaint_shares_by_category_and_24_hour_attainment(summary):
    comp = summary["complaints"]
    assert comp["count"] == 3
    shares = {row["category"]: (row["count"], row["share"]) for row in comp["by_category"]}
    assert shares["product_quality"] == (2, pytest.approx(2 / 3))
    assert shares["logistics"] == (1, pytest.approx(1 / 3))
    assert shares["after_sales"] == (0, 0.0)
    assert comp["within_target"] == pytest.approx(2 / 3)  # c5: 30 h unsolved


def test_sla_attainment_per_policy_and_the_breach_list(summary):
    policies = {p["policy"]: (p["met"], p["breached"]) for p in summary["sla"]["policies"]}
    assert policies == {"complaint": (3, 2), "standard": (2, 0)}
    assert {(b["conversation_id"], b["clock"]) for b in summary["sla"]["breaches"]} == {("c3", "first_response"), ("c5", "first_response")}


def test_agent_table_and_volume(summary):
    rows = {r["agent"]: r for r in summary["agents"]}
    assert rows["alice"]["chats"] == 3 and rows["alice"]["resolved"] == 3 and rows["bob"]["resolved"] == 0
    assert rows["alice"]["fcr"] == pytest.approx(1 / 3) and rows["alice"]["csat"] == pytest.approx(2 / 3)
    assert rows["bob"]["frt_p50"] == 400
    vol = summary["volume"]
    assert vol["conversations"] == 6 and vol["tickets"] == 4 and vol["messages"] == 7  # 6 customer + 1 agent
    assert vol["by_channel"] == {"web": 5, "telegram": 1}
    assert vol["heatmap"][0][10] == 6  # Monday, 10:00 in the shop's zone


def test_drill_down_lists_exactly_the_conversations_behind_a_figure():
    facts = facts_of(history())
    assert {f.conversation_id for f in select(facts, "complaints", "product_quality")} == {"c3", "c5"}
    assert {f.conversation_id for f in select(facts, "fcr")} == {"c2"}
    assert {f.conversation_id for f in select(facts, "contained")} == {"c1", "c6"}
    only_telegram = [f for f in facts if Filters(channel="telegram").keep(f)]
    assert summarize(only_telegram, Targets(), ZONE, NOW)["complaints"]["count"] == 1


def test_the_drill_down_index_selects_exactly_what_each_figure_and_filter_selects():
    """The index (analytics/index.py) is what a drill-down reads: a tag must pick the conversations the figure counts."""
    facts = facts_of(history())
    keys = {"", "web", "telegram", "zh", "en", "complaint", "customer_request", "answer", "suggest", "fallback", "handoff",
            "product_quality", "logistics", "other", "1", "2", "4", "5", "complaint", "standard", "alice", "bob", "nobody"}
    for figure in SELECTORS:
        for key in keys:
            expected = {f.conversation_id for f in select(facts, figure, key)}
            assert {f.conversation_id for f in facts if tag_of(figure, key) in tags(f)} == expected, (figure, key)
    for filters in (Filters(channel="telegram"), Filters(language="zh", agent="alice"), Filters(category="product_quality"),
                    Filters(tier="vip"), Filters(agent="bob", channel="web"), Filters()):
        expected = {f.conversation_id for f in facts if filters.keep(f)}
        assert {f.conversation_id for f in facts if set(filter_tags(filters)) <= tags(f)} == expected, filters


def test_a_days_partial_survives_json_and_says_until_when_it_holds():
    """Each day's partial is persisted in Redis (analytics/board.py): the figures must come back identical, and a
    pending complaint makes them hold only until its 24 hours are over (then its outcome changes by the clock)."""
    import json

    facts = facts_of(history())
    settled = partial(facts, Targets(), ZONE, NOW)
    again = Partial.from_dict(json.loads(json.dumps(settled.to_dict())))
    assert finish(again, Targets()) == finish(settled, Targets()) == summarize(facts, Targets(), ZONE, NOW)
    assert settled.valid_until is None  # c5's 24 hours are over at NOW: nothing left to move
    early = T0 + 3600  # c5 is still within its 24 hours
    pending = partial(facts, Targets(), ZONE, early)
    assert pending.valid_until == T0 + 1 + 24 * 3600 and pending.holds_at(early) and not pending.holds_at(NOW)
    assert Partial().merge(pending).valid_until == pending.valid_until


def test_an_empty_history_is_zeros_and_no_data():
    empty = summarize([], Targets(), ZONE, NOW)
    assert empty["empty"] is True and empty["volume"]["conversations"] == 0
    assert empty["humans"]["fcr"] is None and empty["satisfaction"]["csat"] is None and empty["bot"]["containment"] is None
    assert percentile([], 50) is None


def test_periods_are_days_in_the_shops_zone_and_bad_ranges_say_why():
    today = resolve("today", None, None, ZONE, T0)
    assert today.start == datetime(2026, 3, 2, tzinfo=ZONE).timestamp() and today.days == 1
    week = resolve("last-week", None, None, ZONE, T0)
    assert (week.first_day.isoformat(), week.last_day.isoformat()) == ("2026-02-23", "2026-03-01")
    assert week.previous().first_day.isoformat() == "2026-02-16"
    with pytest.raises(InvalidPeriod, match="before it starts"):
        resolve(None, "2026-03-05", "2026-03-01", ZONE, T0)
    with pytest.raises(InvalidPeriod, match="date like"):
        resolve(None, "yesterday-ish", "2026-03-01", ZONE, T0)
    with pytest.raises(InvalidPeriod, match="unknown period"):
        resolve("fortnight", None, None, ZONE, T0)


@pytest.mark.parametrize("first,last", [("0001-01-01", "0001-01-02"), ("9999-12-30", "9999-12-31"), ("1999-12-31", "2000-01-01"), ("2100-12-31", "2101-01-01")])
def test_dates_outside_the_supported_range_are_refused_with_the_range(first, last):
    with pytest.raises(InvalidPeriod, match="dates must be between 2000-01-01 and 2100-12-31"):
        resolve(None, first, last, ZONE, T0)


def test_the_first_and_last_supported_days_have_a_period_and_a_previous_period():
    first = resolve(None, "2000-01-01", "2000-01-07", ZONE, T0)
    assert first.previous().first_day.isoformat() == "1999-12-25"
    last = resolve(None, "2100-12-25", "2100-12-31", ZONE, T0)
    assert last.end == datetime(2101, 1, 1, tzinfo=ZONE).timestamp()


def test_the_briefing_states_every_kpi_against_its_target_and_derives_actions_from_the_data(summary):
    from dataclasses import asdict

    from analytics import briefing, render

    period = resolve(None, "2026-03-02", "2026-03-02", ZONE, NOW)
    full = {"period": period.as_dict(), "previous_period": period.previous().as_dict(), "targets": asdict(Targets()),
            "current": summary, "previous": summarize([], Targets(), ZONE, NOW)}
    zh = briefing.build(full, [{"question": "你们卖演唱会门票吗", "count": 3}], "zh")
    kpis = {k["key"]: k for k in zh["kpis"]}
    assert kpis["fcr"]["actual"] == "33.3%" and kpis["fcr"]["target"] == "95.0%" and kpis["fcr"]["met"] is False
    assert kpis["frt"]["met"] is True  # median 120 s against 5 min
    assert [c["name"] for c in zh["complaints"][:2]] == ["产品质量", "物流配送"]
    actions = "\n".join(zh["actions"])
    assert "首次解决率 33.3% 低于目标 95.0%" in actions and "产品质量" in actions and "你们卖演唱会门票吗" in actions
    en = briefing.build(full, [], "en")
    assert any("CSAT 66.7% is below its 90.0% target" in a and "slow" in a for a in en["actions"])
    from datetime import datetime as dt

    page = render.html(en, generated=dt(2026, 3, 3, tzinfo=ZONE), simulated=True)
    assert "First-contact resolution" in page and "simulated data" in page and 'id="kpis"' in page


def test_figures_of_days_computed_apart_and_merged_equal_the_figures_of_all_at_once():
    from analytics.metrics import Partial, finish, partial

    facts = facts_of(history())
    merged = Partial()
    for part in (facts[:2], facts[2:3], facts[3:]):  # as if each had started on another day, cached apart
        merged.merge(partial(part, Targets(), ZONE, NOW))
    assert finish(merged, Targets()) == summarize(facts, Targets(), ZONE, NOW)


def test_first_response_counts_working_time_not_the_night_the_desk_was_closed():
    """Escalated at 22:00 after closing, answered at 09:02 when the desk opened (09:00-21:00): a 2-minute first response,
    within the 5-minute target, as the SLA clock judged it; not an 11-hour miss. The desk measures it
    (``working_seconds``); an event written before it did carries wall-clock seconds only, and the rollup counts its
    working time in the shop's hours."""
    night = datetime(2026, 3, 2, 22, 0, tzinfo=ZONE).timestamp()
    reply = datetime(2026, 3, 3, 9, 2, tzinfo=ZONE).timestamp()

    def chat(cid: str, **measured) -> list[dict]:
        return [{"type": "conversation_started", "conversation_id": cid, "ts": night - 60},
                {"type": "escalated", "conversation_id": cid, "ts": night, "reason": "customer_request", "to": "queued"},
                {"type": "ticket_created", "conversation_id": cid, "ts": night, "ticket": "T-1", "policy": "standard"},
                {"type": "assigned", "conversation_id": cid, "ts": reply - 30, "agent": "alice", "to": "assigned"},
                {"type": "ticket_first_response", "conversation_id": cid, "ts": reply, "agent": "alice", "seconds": reply - night,
                 "met": True, "policy": "standard", **measured}]

    hours = Hours(BusinessHours(timezone="Asia/Shanghai", opens="09:00", closes="21:00"))
    measured_by_the_desk = facts_of(chat("c1", working_seconds=120.0))
    written_before = facts_of(chat("c2"), hours)
    for facts in (measured_by_the_desk, written_before):
        figures = summarize(facts, Targets(), ZONE, reply + 3600)
        frt = figures["humans"]["first_response"]
        assert (frt["p50"], frt["within_target"]) == (120, 1.0)
        assert figures["agents"][0]["frt_p50"] == 120
    assert measured_by_the_desk[0].first_response_seconds == reply - night  # the wall-clock time is kept beside it


def test_queue_wait_is_one_wait_per_escalation_episode():
    """c1 was handed to a person twice (handed back to the bot between): two waits, 60 s and 30 s, not only the first.
    c2 left the queue and asked again later: the wait of the escalation that was taken (20 s), not the 520 s since the
    first one. c3's agent went offline and the chat waited again: still one escalation, one wait (10 s)."""
    ev: list[dict] = []

    def add(cid: str, offset: float, type_: str, **data) -> None:
        ev.append({"type": type_, "conversation_id": cid, "ts": T0 + offset, **data})

    for cid in ("c1", "c2", "c3"):
        add(cid, 0, "conversation_started")
        add(cid, 1, "escalated", reason="customer_request", to="queued")
    add("c1", 61, "assigned", agent="alice", to="assigned")
    add("c1", 100, "handed_back", agent="alice", to="bot")
    add("c1", 1000, "escalated", reason="customer_request", to="queued")
    add("c1", 1030, "assigned", agent="alice", to="assigned")
    add("c2", 51, "queue_left", to="bot")
    add("c2", 500, "escalated", reason="customer_request", to="queued")
    add("c2", 520, "assigned", agent="bob", to="assigned")
    add("c3", 11, "assigned", agent="bob", to="assigned")
    add("c3", 100, "requeued", to="queued")
    add("c3", 400, "assigned", agent="alice", to="assigned")
    facts = {f.conversation_id: f for f in facts_of(ev)}
    assert (facts["c1"].waits, facts["c2"].waits, facts["c3"].waits) == ([60, 30], [20], [10])
    wait = summarize(list(facts.values()), Targets(), ZONE, NOW)["humans"]["queue_wait"]
    assert (wait["count"], wait["p50"], wait["p90"]) == (4, 20, 60)


def test_an_agents_first_response_is_credited_to_who_replied_first():
    """c1: bob took it and transferred it to alice without a word; alice replied first. c2: bob went offline before
    replying and alice took it from the queue. Both first responses are alice's, none is bob's (the first agent)."""
    ev: list[dict] = []

    def add(cid: str, offset: float, type_: str, **data) -> None:
        ev.append({"type": type_, "conversation_id": cid, "ts": T0 + offset, **data})

    for cid in ("c1", "c2"):
        add(cid, 0, "conversation_started")
        add(cid, 1, "escalated", reason="customer_request", to="queued")
        add(cid, 10, "assigned", agent="bob", to="assigned")
    add("c1", 60, "transferred", agent="alice", to="assigned")
    add("c1", 91, "ticket_first_response", agent="alice", seconds=90, working_seconds=90, met=True)
    add("c2", 60, "requeued", to="queued")
    add("c2", 100, "assigned", agent="alice", to="assigned")
    add("c2", 121, "ticket_first_response", agent="alice", seconds=120, working_seconds=120, met=True)
    facts = facts_of(ev)
    assert [f.first_responder for f in facts] == ["alice", "alice"]
    rows = {r["agent"]: r for r in summarize(facts, Targets(), ZONE, NOW)["agents"]}
    assert rows["alice"]["frt_p50"] == 90 and rows["bob"]["frt_p50"] is None
    assert rows["bob"]["chats"] == 2  # bob had both chats: they still count for him


def test_daily_series_list_every_day_of_the_period_with_zeros():
    """The history is all on Monday 2 March: a 5-day period's series still has its 5 days, the quiet ones at 0, so a
    chart's axis does not skip them (it drew 28 Feb - 4 Mar as one point)."""
    from analytics.rollup import day_range

    period = resolve(None, "2026-02-28", "2026-03-04", ZONE, NOW)
    figures = summarize(facts_of(history()), Targets(), ZONE, NOW, days=day_range(period.first_day, period.last_day))
    assert figures["volume"]["by_day"] == {"2026-02-28": 0, "2026-03-01": 0, "2026-03-02": 6, "2026-03-03": 0, "2026-03-04": 0}
    assert list(figures["complaints"]["by_day"].values()) == [0, 0, 3, 0, 0]
    assert list(summarize([], Targets(), ZONE, NOW, days=["2026-03-01", "2026-03-02"])["volume"]["by_day"].values()) == [0, 0]


def test_a_calendar_month_is_compared_with_the_calendar_month_before():
    """Last month (February, 28 days) against January 1-31, not the 28 days before it (4-31 January); a month typed as
    dates the same; a quarter against the quarter before; this month so far against the same days of last month."""
    def days(period) -> tuple[str, str]:
        return period.first_day.isoformat(), period.last_day.isoformat()

    mid_march = datetime(2026, 3, 15, 12, 0, tzinfo=ZONE).timestamp()
    last_month = resolve("last-month", None, None, ZONE, mid_march)
    assert days(last_month) == ("2026-02-01", "2026-02-28")
    assert days(last_month.previous()) == ("2026-01-01", "2026-01-31")
    assert days(resolve(None, "2026-03-01", "2026-03-31", ZONE, mid_march).previous()) == ("2026-02-01", "2026-02-28")
    assert days(resolve(None, "2026-05-01", "2026-05-31", ZONE, mid_march).previous()) == ("2026-04-01", "2026-04-30")
    assert days(resolve(None, "2026-01-01", "2026-03-31", ZONE, mid_march).previous()) == ("2025-10-01", "2025-12-31")
    this_month = resolve("this-month", None, None, ZONE, mid_march)
    assert days(this_month.previous()) == ("2026-02-01", "2026-02-15")
    month_end = resolve("this-month", None, None, ZONE, datetime(2026, 3, 30, 12, 0, tzinfo=ZONE).timestamp())
    assert days(month_end.previous()) == ("2026-02-01", "2026-02-28")
    assert days(resolve("7d", None, None, ZONE, mid_march).previous()) == ("2026-03-02", "2026-03-08")  # other periods: the same length before
    assert days(resolve("30d", None, None, ZONE, mid_march).previous()) == ("2026-01-15", "2026-02-13")


def _low_ratings(comments: list[str]) -> list[ConversationFacts]:
    """One rated conversation per comment (rating 2), the first comment the oldest."""
    out = []
    for n, comment in enumerate(comments):
        f = ConversationFacts(f"low{n}", started_at=T0 + n, last_at=T0 + n, rating=2, rating_comment=comment, rated_agent="alice")
        out.append(f)
    return out


def test_negative_feedback_themes_count_every_low_rated_comment_once_and_add_up():
    """80 low ratings: 60 older "too slow", 20 newer "rude agent". The themes were the words of the 50 newest comments
    (30 slow, 20 rude) and the top five words: now every comment counts, in one theme, and the shares add up."""
    figures = summarize(_low_ratings(["too slow"] * 60 + ["rude agent"] * 20), Targets(), ZONE, NOW)
    sat = figures["satisfaction"]
    assert sat["low_comment_count"] == 80 and len(sat["low_comments"]) == 50  # the list shows the newest; the themes count all
    assert [(row["theme"], row["comments"]) for row in sat["themes"]] == [("slow", 60), ("rude", 20)]
    assert sum(row["share"] for row in sat["themes"]) == pytest.approx(1.0)


def test_themes_group_each_comment_under_the_word_most_comments_share():
    from analytics import themes

    groups = themes.group([themes.words(c) for c in
                           ["too slow", "so slow!", "slow and rude", "rude agent", "refund never came", "发货太慢了", "发货慢", "👎"]])
    assert [(g["theme"], g["comments"]) for g in groups] == [("slow", 3), ("发货", 2), ("refund", 1), ("rude", 1), ("", 1)]
    assert sum(g["comments"] for g in groups) == 8 and sum(g["share"] for g in groups) == pytest.approx(1.0)


def test_the_briefing_shows_the_biggest_themes_and_what_is_left_in_one_line_never_drops_it(summary):
    """Seven themes: the briefing names five and puts the other two in "other themes", so its rows still add up to
    every comment (it listed five words and dropped the rest without a word)."""
    from dataclasses import asdict

    from analytics import briefing

    comments = ["too slow"] * 3 + ["rude agent"] * 2 + ["refund missing", "broken box", "late delivery", "expensive shipping", "confusing process"]
    current = summarize(_low_ratings(comments), Targets(), ZONE, NOW)
    period = resolve(None, "2026-03-02", "2026-03-02", ZONE, NOW)
    full = {"period": period.as_dict(), "previous_period": period.previous().as_dict(), "targets": asdict(Targets()),
            "current": current, "previous": summarize([], Targets(), ZONE, NOW)}
    en = briefing.build(full, [], "en")
    rows = en["satisfaction"]["themes"]
    assert [r["name"] for r in rows] == ["slow", "rude", "broken", "confusing", "expensive", "other themes (2)"]  # late, refund
    assert [r["comments"] for r in rows] == [3, 2, 1, 1, 1, 2] and en["satisfaction"]["theme_total"] == 10
    assert [r["share"] for r in rows] == ["30.0%", "20.0%", "10.0%", "10.0%", "10.0%", "20.0%"]
    assert any("the main theme is \u201cslow\u201d" in a for a in en["actions"])


LEGACY = ("queued_since", "waits", "first_responder", "first_response_working_seconds")  # fields older versions did not store


def test_facts_stored_by_an_older_version_read_with_the_figures_they_can_give():
    """The rollup holds facts written before waits per escalation, the first responder and working time existed:
    they read without error, with one wait (first escalation -> first agent), the first agent as first responder and
    the wall-clock first response, as those versions counted them, until ./cs report --rebuild refolds the stream.
    One still in the queue gets its wait when an agent takes it."""
    import json

    stored = []
    for f in facts_of(history()):
        data = json.loads(json.dumps(f.to_dict()))
        for name in LEGACY:
            data.pop(name)
        stored.append(data)
    old = [ConversationFacts.from_dict(data) for data in stored]
    by_id = {f.conversation_id: f for f in old}
    assert by_id["c2"].waits == [60] and by_id["c3"].waits == [300] and by_id["c5"].waits == []
    assert by_id["c3"].first_responder == "bob" and by_id["c3"].first_response == 400
    assert summarize(old, Targets(), ZONE, NOW) == summarize(facts_of(history()), Targets(), ZONE, NOW)
    waiting = by_id["c5"]  # escalated at T0 + 1, never taken
    fold(waiting, {"type": "assigned", "conversation_id": "c5", "ts": T0 + 901, "agent": "alice", "to": "assigned"})
    assert waiting.waits == [900]


def test_what_is_left_of_an_erased_conversation_counts_for_nothing():
    """Events of a conversation erased as they were written (a solve, a breach, a low rating, with no
    conversation_started: the erasure took it) fold into facts without a start. Rollups stored before they were
    skipped still hold such facts: they are no conversation, and change no figure."""
    ghost: list[dict] = [
        {"type": "ticket_status", "conversation_id": "gone", "ts": T0 + 50, "status": "solved", "met": False, "policy": "standard"},
        {"type": "sla_breached", "conversation_id": "gone", "ts": T0 + 60, "clock": "first_response", "policy": "standard"},
        {"type": "rated", "conversation_id": "gone", "ts": T0 + 70, "score": 1, "comment": "awful", "agent": "alice"},
    ]
    [leftover] = facts_of(ghost)
    assert leftover.started_at == 0
    assert summarize(facts_of(history()) + [leftover], Targets(), ZONE, NOW) == summarize(facts_of(history()), Targets(), ZONE, NOW)


def test_every_escalation_reason_is_named_in_both_languages_wherever_it_is_shown():
    """A reason with no text shows its raw key ("long_message") to an agent or a supervisor: the console's table,
    the dashboard's and the briefing's name every ``Reason``, in Chinese and in English."""
    import re
    import typing
    from pathlib import Path

    from analytics.texts import REASON
    from handoff.models import Reason

    root = Path(__file__).resolve().parents[2]
    console = re.findall(r"reasons: \{([^}]*)\}", (root / "handoff/web/texts.js").read_text(encoding="utf-8"))  # en, zh
    dashboard = (root / "analytics/web/texts.js").read_text(encoding="utf-8")
    for reason in typing.get_args(Reason):
        assert all(REASON[reason]), reason
        assert len(console) == 2 and all(re.search(rf"\b{reason}: \"[^\"]+\"", table) for table in console), reason
        assert len(re.findall(rf"\brsn_{reason}: \"[^\"]+\"", dashboard)) == 2, reason


def test_scheduled_briefings_missing_are_the_due_ones_not_yet_written(tmp_path):
    """What the hub checks each hour before starting a briefing process: most hours nothing, and no process."""
    from analytics import reports

    zone = ZONE
    now = datetime(2026, 11, 25, 9, 0, tzinfo=zone).timestamp()  # a Wednesday
    todo = reports.missing(["weekly", "monthly"], ["zh", "en"], tmp_path, now, zone)
    assert len(todo) == 8 and {(k, lang, fmt) for k, _, lang, fmt, _ in todo} == {
        (k, lang, fmt) for k in ("weekly", "monthly") for lang in ("zh", "en") for fmt in ("html", "pdf")}
    weekly = next(p for k, p, *_ in todo if k == "weekly")
    assert (weekly.first_day.isoformat(), weekly.last_day.isoformat()) == ("2026-11-16", "2026-11-22")  # last Monday to Sunday
    for *_, out in todo:
        out.write_text("written")
    assert reports.missing(["weekly", "monthly"], ["zh", "en"], tmp_path, now, zone) == []
    (tmp_path / reports.file_name("monthly", next(p for k, p, *_ in todo if k == "monthly"), "en", "pdf")).unlink()
    assert [(k, lang, fmt) for k, _, lang, fmt, _ in reports.missing(["weekly", "monthly"], ["zh", "en"], tmp_path, now, zone)] == [("monthly", "en", "pdf")]
