"""The supervisor's side through the real stack: /metrics, the analytics API on a simulated history (./cs demo), the briefing files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.clients import PASSWORD, ROOT, AgentClient, Customer, everyone_away, run_cli, sign_off, start_hub


def _samples(text: str) -> dict[tuple[str, tuple], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def _total(samples: dict, name: str, **labels: str) -> float:
    return sum(v for (n, lab), v in samples.items() if n == name and all(dict(lab).get(k) == w for k, w in labels.items()))


@pytest.fixture
def supervisor(hub, settings, supervisor_account):
    yield AgentClient(hub, supervisor_account)
    sign_off(settings, supervisor_account)


def test_metrics_parse_as_prometheus_text_and_move_with_traffic(hub, customer_factory):
    before = _samples(hub.get("/metrics").text)
    customer = customer_factory("en")
    customer.say("how long does a refund take")
    after = _samples(hub.get("/metrics").text)
    route = "/api/conversations/{cid}/messages"
    assert _total(after, "cs_http_request_duration_seconds_count", route=route) == _total(before, "cs_http_request_duration_seconds_count", route=route) + 1
    assert _total(after, "cs_bot_decisions_total") > _total(before, "cs_bot_decisions_total")
    for gauge in ("cs_queue_length", "cs_agents_online", "cs_websocket_connections", "cs_queue_oldest_wait_seconds"):
        assert (gauge, ()) in after


def test_only_supervisors_and_admins_see_the_figures(hub, settings, agent_factory, supervisor):
    alice = agent_factory("alice")
    assert hub.get("/api/analytics/summary", headers=alice.headers).status_code == 403
    assert httpx.get(f"{settings.hub_url}/api/analytics/summary").status_code == 401  # no session (the shared client holds cookies)
    assert hub.get("/api/analytics/summary", headers=supervisor.headers).status_code == 200


def test_a_bad_range_is_422_with_the_reason_and_an_empty_one_is_zeros(hub, supervisor):
    bad = hub.get("/api/analytics/summary", params={"from": "2026-03-09", "to": "2026-03-01"}, headers=supervisor.headers)
    assert bad.status_code == 422 and "before it starts" in bad.json()["detail"]
    assert hub.get("/api/analytics/summary", params={"from": "soon"}, headers=supervisor.headers).status_code == 422
    assert hub.get("/api/analytics/summary", params={"period": "fortnight"}, headers=supervisor.headers).status_code == 422
    assert hub.get("/api/analytics/conversations", params={"figure": "nonsense"}, headers=supervisor.headers).status_code == 422
    empty = hub.get("/api/analytics/summary", params={"from": "2001-01-01", "to": "2001-01-07"}, headers=supervisor.headers)
    assert empty.status_code == 200
    body = empty.json()["current"]
    assert body["empty"] is True and body["volume"]["conversations"] == 0
    assert body["humans"]["fcr"] is None and body["satisfaction"]["csat"] is None


@pytest.mark.parametrize("route", ["/api/analytics/summary", "/api/analytics/conversations"])
@pytest.mark.parametrize("first,last", [("0001-01-01", "0001-01-02"), ("9999-12-30", "9999-12-31"), ("1999-12-31", "2000-01-01")])
def test_dates_at_the_edge_of_the_calendar_are_422_not_500(hub, supervisor, route, first, last):
    params = {"from": first, "to": last, **({"figure": "complaints"} if route.endswith("/conversations") else {})}
    got = hub.get(route, params=params, headers=supervisor.headers)
    assert got.status_code == 422 and "dates must be between" in got.json()["detail"]


def test_a_conversation_shows_up_in_todays_figures_at_once(hub, settings, supervisor, customer_factory, agent_factory):
    before = hub.get("/api/analytics/summary", params={"period": "today"}, headers=supervisor.headers).json()["current"]
    alice = agent_factory("alice")
    with everyone_away(settings):  # the chat waits in the queue for alice to claim it
        customer = customer_factory("zh")
        customer.say("我要投诉，收到的东西是坏的，气死我了")
        assert alice.post(f"/conversations/{customer.id}/claim").status_code == 200
    assert alice.post(f"/conversations/{customer.id}/messages", {"text": "您好，马上为您处理"}).status_code == 200
    assert alice.post(f"/conversations/{customer.id}/resolve").status_code == 200
    assert hub.post(f"/api/conversations/{customer.id}/rating", json={"score": 5}, headers=customer.headers).status_code == 200
    after = hub.get("/api/analytics/summary", params={"period": "today"}, headers=supervisor.headers).json()["current"]
    assert after["volume"]["conversations"] == before["volume"]["conversations"] + 1
    assert after["complaints"]["count"] == before["complaints"]["count"] + 1
    assert after["humans"]["resolved"] == before["humans"]["resolved"] + 1
    assert after["satisfaction"]["ratings"] == before["satisfaction"]["ratings"] + 1
    listed = hub.get("/api/analytics/conversations", params={"period": "today", "figure": "complaints"}, headers=supervisor.headers).json()
    assert customer.id in [row["conversation_id"] for row in listed["conversations"]]
    assert listed["total"] == after["complaints"]["count"]


def test_demo_history_fills_every_group_of_figures_and_drill_downs_match(hub, supervisor, demo_history, settings):
    summary = hub.get("/api/analytics/summary", params={"period": "7d"}, headers=supervisor.headers).json()
    cur = summary["current"]
    assert cur["volume"]["conversations"] >= 20
    assert cur["bot"]["containment"] is not None and 0 < cur["bot"]["containment"] < 1
    assert cur["humans"]["first_response"]["count"] > 0 and cur["humans"]["fcr"] is not None
    assert cur["complaints"]["count"] > 0 and cur["satisfaction"]["ratings"] > 0
    assert len([d for d, n in cur["volume"]["by_day"].items() if n]) >= 3  # the simulated days, not just today
    assert cur["agents"], "the demo agents appear in the per-agent table"
    assert sum(row["count"] for row in cur["complaints"]["by_category"]) == cur["complaints"]["count"]
    params = {"period": "7d"}
    for figure, expected in (("complaints", cur["complaints"]["count"]), ("contained", cur["bot"]["contained"]),
                             ("resolved", cur["humans"]["resolved"]), ("rated", cur["satisfaction"]["ratings"])):
        listed = hub.get("/api/analytics/conversations", params={**params, "figure": figure}, headers=supervisor.headers).json()
        assert listed["total"] == expected, figure
    top = max(cur["complaints"]["by_category"], key=lambda row: row["count"])
    listed = hub.get("/api/analytics/conversations", params={**params, "figure": "complaints", "key": top["category"]}, headers=supervisor.headers).json()
    assert listed["total"] == top["count"] and all(row["category"] == top["category"] for row in listed["conversations"])
    # Paging: the pages of a figure hold each of its conversations once, newest first, and say how many there are.
    seen, offset = [], 0
    while True:
        page = hub.get("/api/analytics/conversations", params={**params, "figure": "conversations", "offset": offset, "limit": 7},
                       headers=supervisor.headers).json()
        assert page["total"] == cur["volume"]["conversations"] and page["offset"] == offset and len(page["conversations"]) <= 7
        if not page["conversations"]:
            break
        seen += page["conversations"]
        offset += 7
    assert len(seen) == len({row["conversation_id"] for row in seen}) == cur["volume"]["conversations"]
    assert [row["started_at"] for row in seen] == sorted((row["started_at"] for row in seen), reverse=True)
    for bad in ({"offset": -1}, {"limit": 0}, {"limit": 5000}):
        refused = hub.get("/api/analytics/conversations", params={**params, "figure": "conversations", **bad}, headers=supervisor.headers)
        assert refused.status_code == 422, bad
    only_zh = hub.get("/api/analytics/summary", params={"period": "7d", "language": "zh"}, headers=supervisor.headers).json()["current"]
    assert 0 < only_zh["volume"]["conversations"] < cur["volume"]["conversations"]
    live = hub.get("/api/analytics/live", headers=supervisor.headers).json()
    assert {"with_bot", "queue", "agents", "agents_online"} <= set(live)


def test_briefing_html_and_pdf_in_both_languages(settings, demo_history, tmp_path):
    zone = ZoneInfo(settings.business_hours.timezone)
    today = datetime.now(zone).date()
    first = (today - timedelta(days=6)).isoformat()
    texts = {}
    (ROOT / "artifacts").mkdir(exist_ok=True)  # a fresh clone has none yet
    for lang in ("zh", "en"):
        for fmt in ("html", "pdf"):
            out = tmp_path / f"briefing-{lang}.{fmt}"
            done = run_cli("-m", "analytics", "--from", first, "--to", today.isoformat(), "--lang", lang, "--format", fmt, "--out", str(out))
            assert done.returncode == 0, done.stderr
            assert out.stat().st_size > 1000
        texts[lang] = subprocess.run(["pdftotext", "-layout", str(tmp_path / f"briefing-{lang}.pdf"), "-"], capture_output=True, text=True, check=True).stdout
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "2", str(tmp_path / f"briefing-{lang}.pdf"), str(ROOT / "artifacts" / f"briefing-{lang}")], check=True)
    zh, en = texts["zh"], texts["en"]
    for words in ("客服简报", "核心指标", "首次解决率", "客户满意度", "投诉统计", "产品质量", "服务态度", "物流配送", "改进建议", "模拟数据"):
        assert words in zh, words
    for words in ("Customer Service Briefing", "First-contact resolution", "Customer satisfaction", "Complaint statistics", "Product quality", "Suggested actions"):
        assert words in en, words
    fonts = subprocess.run(["pdffonts", str(tmp_path / "briefing-zh.pdf")], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    assert fonts and all(line.split()[-5] == "yes" for line in fonts), fonts  # every font embedded (Chromium writes CJK glyphs as Type 3)
    html = (tmp_path / "briefing-zh.html").read_text(encoding="utf-8")
    assert "cdn" not in html.lower().split("<script>")[0] and "echarts" in html


def test_briefing_as_a_workbook_and_the_scheduled_ones_listed_for_download(settings, demo_history, tmp_path, hub, supervisor):
    """The same briefing as an Excel workbook (the numbers, in Chinese); ./cs report --scheduled writes last week's and
    last month's briefings once, and the dashboard's list offers them for download."""
    from openpyxl import load_workbook

    zone = ZoneInfo(settings.business_hours.timezone)
    today = datetime.now(zone).date()
    out = tmp_path / "briefing-zh.xlsx"
    done = run_cli("-m", "analytics", "--from", (today - timedelta(days=6)).isoformat(), "--to", today.isoformat(), "--lang", "zh", "--format", "xlsx", "--out", str(out))
    assert done.returncode == 0, done.stderr
    cells = {str(c.value) for sheet in load_workbook(out).worksheets for row in sheet.iter_rows() for c in row if c.value is not None}
    assert any("首次解决率" in c for c in cells) and any("产品质量" in c for c in cells), sorted(cells)[:40]

    for old in [*settings.reports_dir.glob("weekly-*"), *settings.reports_dir.glob("monthly-*")]:  # an earlier session's, in the same var dir
        old.unlink()
    first = run_cli("-m", "analytics", "--scheduled")
    assert first.returncode == 0, first.stderr
    written = [line for line in first.stdout.splitlines() if line.strip()]
    assert len(written) == 2 * len(settings.report_languages) * len(settings.report_schedule)  # html and pdf of each
    again = run_cli("-m", "analytics", "--scheduled")
    assert again.returncode == 0 and not again.stdout.strip()  # nothing due twice
    listed = hub.get("/api/analytics/reports", headers=supervisor.headers).json()
    names = {row["name"] for row in listed}
    assert {p.rsplit("/", 1)[-1] for p in written} <= names
    pdf = next(row for row in listed if row["kind"] == "weekly" and row["language"] == "zh" and row["format"] == "pdf")
    got = hub.get(pdf["url"], headers=supervisor.headers)
    assert got.status_code == 200 and got.content.startswith(b"%PDF")


def test_scheduled_briefings_are_written_whatever_one_format_lacks(settings, demo_history, tmp_path):
    """An install without Chromium wrote the first Chinese HTML, failed on its PDF and wrote nothing else, every hour;
    one without Chinese fonts printed the Chinese PDF as boxes and said nothing. Now every file that can be written
    is, what cannot is said (exit 2), and the next run writes what is missing."""
    import shutil

    def clear() -> None:
        for old in [*settings.reports_dir.glob("weekly-*"), *settings.reports_dir.glob("monthly-*")]:
            old.unlink()

    def scheduled(**env: str):
        return subprocess.run([sys.executable, "-m", "analytics", "--scheduled"], cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True)

    def written(fmt: str) -> set[str]:
        return {p.name for p in settings.reports_dir.glob(f"*ly-*.{fmt}")}

    expected = len(settings.report_languages) * len(settings.report_schedule)
    bare = tmp_path / "bin"  # a PATH with fontconfig but no Chromium
    bare.mkdir()
    (bare / "fc-list").symlink_to(shutil.which("fc-list"))
    clear()
    no_browser = scheduled(PATH=str(bare))
    assert no_browser.returncode == 2 and "needs Chromium" in no_browser.stderr and "Traceback" not in no_browser.stderr
    assert len(written("html")) == expected and not written("pdf")
    fonts = tmp_path / "fonts.conf"  # fontconfig with no fonts at all
    fonts.write_text('<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig><cachedir>' + str(tmp_path / "fc-cache") + "</cachedir></fontconfig>")
    no_fonts = scheduled(FONTCONFIG_FILE=str(fonts))
    assert no_fonts.returncode == 2 and "Chinese fonts" in no_fonts.stderr
    assert written("pdf") and all(name.endswith("-en.pdf") for name in written("pdf"))  # English needs no CJK font
    complete = scheduled()
    assert complete.returncode == 0, complete.stderr
    assert len(written("pdf")) == expected


def _priority_of(pid: int) -> tuple[int, int] | None:
    """(nice, scheduling policy) of a process, from /proc/<pid>/stat (fields 19 and 41)."""
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        return int(fields[16]), int(fields[38])
    except (OSError, IndexError, ValueError):
        return None  # gone


def _descendants(pid: int) -> list[tuple[int, str]]:
    """(pid, command name) of every process under ``pid``, from /proc."""
    parents: dict[int, list[int]] = {}
    names: dict[int, str] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                head, _, tail = open(f"/proc/{entry}/stat").read().rpartition(")")
            except OSError:
                continue
            parents.setdefault(int(tail.split()[1]), []).append(int(entry))
            names[int(entry)] = head.partition("(")[2]
    out, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            out.append((child, names[child]))
            todo.append(child)
    return out


def test_scheduled_briefings_run_below_the_chats_priority_chromium_included(settings, demo_history):
    """The hub starts the scheduled briefings on the machine that serves the chats: a minute after start, at 30 FAQ
    questions/s, the bot's p95 went from 47 ms to 0.5-1.5 s while they ran (figures, embeddings, Chromium for the
    PDFs; bench/capacity.py). They now run at background priority, and so does the Chromium they start."""
    for old in [*settings.reports_dir.glob("weekly-*"), *settings.reports_dir.glob("monthly-*")]:
        old.unlink()
    proc = subprocess.Popen([sys.executable, "-m", "analytics", "--scheduled"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen: dict[str, set[tuple[int, int]]] = {"briefing": set(), "chromium": set()}
    threads_lowered = False
    while proc.poll() is None:
        if (priority := _priority_of(proc.pid)) is not None:
            seen["briefing"].add(priority)
            if priority == (10, os.SCHED_IDLE):  # its main thread; and every other thread it has by then (numpy's BLAS pool)
                threads = [_priority_of(int(t)) for t in os.listdir(f"/proc/{proc.pid}/task")] if os.path.isdir(f"/proc/{proc.pid}/task") else []
                threads_lowered = threads_lowered or (len(threads) > 1 and all(p == (10, os.SCHED_IDLE) for p in threads if p))
        for pid, name in _descendants(proc.pid):
            if "chrom" in name.lower() and (priority := _priority_of(pid)) is not None:
                seen["chromium"].add(priority)
    out, err = proc.communicate()
    assert proc.returncode == 0, err
    assert len(out.split()) == 2 * len(settings.report_languages) * len(settings.report_schedule)  # everything written
    assert seen["chromium"], "the PDFs were written without Chromium being seen"
    assert (10, os.SCHED_IDLE) in seen["briefing"] and threads_lowered, seen  # it lowers itself early in its run (before, it stayed at (0, 0))
    assert {policy for _, policy in seen["chromium"]} == {os.SCHED_IDLE}, seen  # every Chromium process, whatever nice it set


def test_the_briefing_groups_unanswered_questions_by_meaning_as_the_dashboard_does(stack, settings, tmp_path, hub, supervisor):
    """The dashboard grouped one question asked four ways as one line (x4); the briefing of the same day listed
    four lines "(1 times)" and its suggested action quoted them one by one. Recorded on a day of their own."""
    import re

    from core import clock
    from core.redis import Keys, sync_client
    from kb.gaps import GapLog

    day = "2021-03-04"
    zone = ZoneInfo(settings.business_hours.timezone)
    noon = datetime.fromisoformat(f"{day}T12:00").replace(tzinfo=zone).timestamp()
    log = GapLog(sync_client(settings), Keys(settings.key_prefix))
    wordings = ["Can you recommend a sushi restaurant in Osaka?", "recommend me sushi places in Osaka please",
                "where should I eat sushi in Osaka", "best sushi restaurant in Osaka?"]
    for n, q in enumerate(wordings):
        with clock.simulated(noon + n * 60):
            log.record(q, "en", "fallback")  # from no conversation (a gap names one only while it exists)
    out = tmp_path / "briefing.html"
    done = run_cli("-m", "analytics", "--from", day, "--to", day, "--lang", "en", "--format", "html", "--out", str(out))
    assert done.returncode == 0, done.stderr
    listed = re.findall(r"<li>([^<]*) <span class=\"muted\">\((\d+) times\)</span></li>", out.read_text(encoding="utf-8"))
    board = hub.get("/api/analytics/gaps", params={"from": day, "to": day, "limit": 5}, headers=supervisor.headers).json()
    assert [(q.strip(), int(n)) for q, n in listed] == [(g["question"], g["count"]) for g in board]
    assert [int(n) for _, n in listed] == [4]


def test_report_command_refuses_a_bad_period_with_a_reason(stack):
    done = run_cli("-m", "analytics", "--from", "2026-05-01", "--to", "2026-04-01")
    assert done.returncode == 2 and "before it starts" in done.stderr
    for first, last in (("0001-01-01", "0001-01-02"), ("9999-12-30", "9999-12-31")):
        done = run_cli("-m", "analytics", "--from", first, "--to", last)
        assert done.returncode == 2 and "dates must be between" in done.stderr and "Traceback" not in done.stderr
    rebuilding = run_cli("-m", "analytics", "--rebuild", "--from", "2026-05-01", "--to", "2026-04-01")
    assert rebuilding.returncode == 2 and "before it starts" in rebuilding.stderr
    assert "rollup rebuilt" not in rebuilding.stdout  # refused first, not after minutes of rebuilding


def test_the_demo_refuses_a_hub_without_the_demo_clock(stack, settings):
    done = run_cli("-m", "demo", "--days", "1", "--hub", settings.hub_url)
    assert done.returncode == 2 and "CS_DEMO_CLOCK" in done.stderr


def test_a_days_figures_are_not_stored_once_its_facts_moved_on(stack, settings):
    """An erasure bumps the day's version as it drops the day's stored figures: figures computed from the facts read
    before it (they may quote the erased conversation's comment) must not be stored after it."""
    import asyncio

    from analytics.rollup import Rollup
    from core.redis import Keys, async_client

    async def scenario() -> tuple[list, list]:
        client, keys = async_client(settings), Keys("cs-partials-test")
        try:
            rollup = Rollup(client, keys, ZoneInfo("UTC"))
            await client.hset(keys.analytics_versions, "2026-01-01", "3")  # read at version 2, erased meanwhile: now 3
            await rollup.store_partials("all", {"2026-01-01": ("2", "computed before the erasure")})
            refused = await rollup.stored_partials(["2026-01-01"], "all")
            await rollup.store_partials("all", {"2026-01-01": ("3", "computed after it")})
            return refused, await rollup.stored_partials(["2026-01-01"], "all")
        finally:
            await client.delete(keys.analytics_versions, keys.analytics_partials("2026-01-01"))
            await client.aclose()

    refused, stored = asyncio.run(scenario())
    assert refused == [None] and stored == ["computed after it"]


# ---------------------------------------------------------------- figures of chats played on the demo clock
# A hub on the demo clock (X-Simulated-Time) with day-time business hours: each test plays a day of its own in the
# past, to the minute, and reads that day's figures from the suite's hub.
SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY_HOURS = {"timezone": "Asia/Shanghai", "opens": "09:00", "closes": "21:00", "weekdays": [0, 1, 2, 3, 4, 5, 6]}


@pytest.fixture(scope="module")
def desk_clock(stack, agents, settings):
    proc, url = start_hub(settings.rasa_port, 15, CS_DEMO_CLOCK="true", CS_BUSINESS_HOURS=json.dumps(DAY_HOURS))
    try:
        with httpx.Client(base_url=url, timeout=60) as client:
            yield client
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture
def by_hand(desk_clock, settings):
    """The desk in manual assignment, nobody else online: chats wait until the test's agent claims them."""
    from core.redis import Keys, sync_client

    r, keys = sync_client(settings), Keys(settings.key_prefix)
    mode = r.get(keys.desk_assignment)
    r.set(keys.desk_assignment, "manual")
    with everyone_away(settings):
        yield desk_clock
    r.set(keys.desk_assignment, mode) if mode else r.delete(keys.desk_assignment)


def at(client: httpx.Client, when: str) -> None:
    """What time the following requests on ``client`` say it is, in Shanghai ("2020-06-10 22:00")."""
    client.headers["X-Simulated-Time"] = f"{datetime.fromisoformat(when).replace(tzinfo=SHANGHAI).timestamp():.3f}"


def events_of(settings, cid: str, kind: str) -> list[dict]:
    """The recent stream events of one conversation, of one type, oldest first."""
    from core.redis import Keys, sync_client

    rows = sync_client(settings).xrevrange(Keys(settings.key_prefix).events, count=2000)
    return [e for e in (json.loads(fields["e"]) for _, fields in reversed(rows)) if e.get("conversation_id") == cid and e.get("type") == kind]


def figures_of(hub: httpx.Client, supervisor: AgentClient, first: str, last: str | None = None) -> dict:
    got = hub.get("/api/analytics/summary", params={"from": first, "to": last or first}, headers=supervisor.headers)
    assert got.status_code == 200, got.text
    return got.json()["current"]


def test_a_chat_escalated_at_night_and_answered_at_opening_has_a_first_response_of_minutes(by_hand, hub, supervisor, settings):
    """09:00-21:00 desk: a customer asks for a person at 22:00 and alice answers at 09:02. Its SLA clock was met (two
    working minutes); the dashboard's first response said 11 hours, a miss of the 5-minute target."""
    client = by_hand
    at(client, "2020-06-10 22:00")
    customer = Customer(client, "en")
    assert customer.say("I want to talk to a person")["conversation"]["status"] == "queued"
    at(client, "2020-06-11 09:01")
    alice = AgentClient(client, "alice")
    assert alice.post(f"/conversations/{customer.id}/claim").status_code == 200
    at(client, "2020-06-11 09:02")
    assert alice.post(f"/conversations/{customer.id}/messages", {"text": "Good morning, how can I help?"}).status_code == 200
    [measured] = events_of(settings, customer.id, "ticket_first_response")
    assert 100 <= measured["working_seconds"] <= 130 and measured["seconds"] > 11 * 3600  # the desk's measure, and the night
    frt = figures_of(hub, supervisor, "2020-06-10")["humans"]["first_response"]
    assert frt["count"] == 1 and 100 <= frt["p50"] <= 130, frt
    assert frt["within_target"] == 1.0


def test_a_chat_handed_to_a_person_twice_has_two_queue_waits(by_hand, hub, supervisor):
    """Waited a minute for alice, handed back to the bot, asked for a person again and waited half a minute: two
    waits. The figure knew only the first one (one wait per conversation, from its first escalation)."""
    client = by_hand
    at(client, "2020-06-12 10:00")
    customer = Customer(client, "en")
    assert customer.say("I want to talk to a person")["conversation"]["status"] == "queued"
    at(client, "2020-06-12 10:01")
    alice = AgentClient(client, "alice")
    assert alice.post(f"/conversations/{customer.id}/claim").status_code == 200
    assert alice.post(f"/conversations/{customer.id}/messages", {"text": "Hello, how can I help?"}).status_code == 200
    at(client, "2020-06-12 10:05")
    assert alice.post(f"/conversations/{customer.id}/handback").status_code == 200
    at(client, "2020-06-12 10:20")
    assert customer.say("I want to talk to a person")["conversation"]["status"] == "queued"
    at(client, "2020-06-12 10:20:30")
    assert alice.post(f"/conversations/{customer.id}/claim").status_code == 200
    wait = figures_of(hub, supervisor, "2020-06-12")["humans"]["queue_wait"]
    assert wait["count"] == 2, wait
    assert 25 <= wait["p50"] <= 40 and 55 <= wait["p90"] <= 70, wait


def test_the_agents_table_credits_the_first_response_to_who_sent_it(by_hand, hub, supervisor):
    """Bob took the chat and transferred it to alice without a word; alice answered. The first response is alice's:
    the table gave it to bob (the chat's first agent) and showed none for alice."""
    client = by_hand
    at(client, "2020-06-13 10:00")
    customer = Customer(client, "en")
    assert customer.say("I want to talk to a person")["conversation"]["status"] == "queued"
    at(client, "2020-06-13 10:01")
    bob, alice = AgentClient(client, "bob"), AgentClient(client, "alice")
    assert bob.post(f"/conversations/{customer.id}/claim").status_code == 200
    at(client, "2020-06-13 10:03")
    assert bob.post(f"/conversations/{customer.id}/transfer", {"to": "alice"}).status_code == 200
    at(client, "2020-06-13 10:04")
    assert alice.post(f"/conversations/{customer.id}/messages", {"text": "Hello, I'm alice: how can I help?"}).status_code == 200
    rows = {row["agent"]: row for row in figures_of(hub, supervisor, "2020-06-13")["agents"]}
    assert rows["bob"]["chats"] == rows["alice"]["chats"] == 1
    assert rows["bob"]["frt_p50"] is None, rows["bob"]
    assert 230 <= rows["alice"]["frt_p50"] <= 260, rows["alice"]


def test_the_daily_series_has_every_day_of_the_period_with_zeros(desk_clock, hub, supervisor):
    """One conversation on Wednesday of a quiet week: the week's series lists its seven days, six of them at 0 (it
    listed only Wednesday, and the chart drew the week as one point)."""
    at(desk_clock, "2020-06-17 11:00")
    Customer(desk_clock, "en").say("hello")
    volume_days = figures_of(hub, supervisor, "2020-06-15", "2020-06-21")
    expected = [f"2020-06-{day}" for day in range(15, 22)]
    assert list(volume_days["volume"]["by_day"]) == list(volume_days["complaints"]["by_day"]) == expected
    assert [volume_days["volume"]["by_day"][d] for d in expected] == [0, 0, 1, 0, 0, 0, 0]
    assert set(volume_days["complaints"]["by_day"].values()) == {0}


def test_a_months_figures_and_briefing_compare_it_with_the_calendar_month_before(hub, supervisor, settings, tmp_path):
    """February 2020 (29 days) beside January 1-31, in the API and in the briefing's "previous period"; it was the 29
    days before (3-31 January), and a monthly briefing compared a month with most of another."""
    got = hub.get("/api/analytics/summary", params={"from": "2020-02-01", "to": "2020-02-29"}, headers=supervisor.headers).json()
    assert (got["previous_period"]["from"], got["previous_period"]["to"]) == ("2020-01-01", "2020-01-31")
    zone = ZoneInfo(settings.business_hours.timezone)
    this_month = datetime.now(zone).date().replace(day=1)
    last = this_month - timedelta(days=1)
    named = hub.get("/api/analytics/summary", params={"period": "last-month"}, headers=supervisor.headers).json()
    assert (named["period"]["from"], named["period"]["to"]) == (last.replace(day=1).isoformat(), last.isoformat())
    before = last.replace(day=1) - timedelta(days=1)
    assert (named["previous_period"]["from"], named["previous_period"]["to"]) == (before.replace(day=1).isoformat(), before.isoformat())
    out = tmp_path / "march.html"
    done = run_cli("-m", "analytics", "--from", "2020-03-01", "--to", "2020-03-31", "--lang", "en", "--format", "html", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "Previous period: 2020-02-01 – 2020-02-29" in out.read_text(encoding="utf-8")


def test_the_briefings_feedback_themes_account_for_every_low_rated_comment(by_hand, tmp_path):
    """Ten chats rated 2 with comments in seven themes: the briefing names the five biggest and puts the other two in
    one line, every share adding up to the ten comments. It listed five words "(1)" and dropped the rest unsaid."""
    import re

    client = by_hand
    comments = ["too slow", "so slow", "slow again", "rude agent", "rude reply", "refund missing", "broken box", "late delivery",
                "expensive shipping", "confusing process"]
    for n, comment in enumerate(comments):
        at(client, f"2020-06-19 10:{n:02d}")
        customer = Customer(client, "en")
        assert customer.say("I want to talk to a person")["conversation"]["status"] == "queued"
        alice = AgentClient(client, "alice")
        assert alice.post(f"/conversations/{customer.id}/claim").status_code == 200
        assert alice.post(f"/conversations/{customer.id}/resolve").status_code == 200
        rated = client.post(f"/api/conversations/{customer.id}/rating", json={"score": 2, "comment": comment}, headers=customer.headers)
        assert rated.status_code == 200, rated.text
    out = tmp_path / "themes.html"
    done = run_cli("-m", "analytics", "--from", "2020-06-19", "--to", "2020-06-19", "--lang", "en", "--format", "html", "--out", str(out))
    assert done.returncode == 0, done.stderr
    page = out.read_text(encoding="utf-8")
    assert "10 comments of low ratings" in page
    table = re.search(r'<table id="themes">(.*?)</table>', page, re.S).group(1)
    rows = re.findall(r'<tr><td>([^<]*)</td><td class="num">(\d+)</td><td class="num">([\d.]+)%</td></tr>', table)
    assert [name for name, _, _ in rows] == ["slow", "rude", "broken", "confusing", "expensive", "other themes (2)"], table
    assert sum(int(n) for _, n, _ in rows) == 10 and sum(float(share) for _, _, share in rows) == pytest.approx(100.0)


def test_agents_are_named_as_the_team_knows_them_on_the_dashboard_and_in_every_briefing(by_hand, hub, supervisor, supervisor_account,
                                                                                        settings, tmp_path):
    """The dashboard's agents table and the briefing's (HTML, PDF, workbook, its suggested actions) named agents by their
    sign-in name ("dora") rather than the name set with ./cs agents add dora --name "Dora Chen". Now the display name; an
    agent whose account was removed since keeps the sign-in name, the only name left of them."""
    import re

    from openpyxl import load_workbook
    from playwright.sync_api import sync_playwright

    from tests.browser import CHROMIUM, DESKTOP, FLAGS, expect, staff_page

    day = "2020-06-24"
    for username, name in (("dora", "Dora Chen"), ("fayl", "Fay Lin")):
        added = run_cli("-m", "handoff", "add", username, "--name", name, "--role", "agent", "--password", PASSWORD, "--capacity", "50")
        assert added.returncode == 0, added.stderr
    client = by_hand
    for n, username in enumerate(("dora", "fayl")):
        at(client, f"{day} 10:0{n}")
        customer = Customer(client, "en")
        assert customer.say("I want to talk to a person")["conversation"]["status"] == "queued"
        agent = AgentClient(client, username)
        assert agent.post(f"/conversations/{customer.id}/claim").status_code == 200
        assert agent.post(f"/conversations/{customer.id}/messages", {"text": "Hello, how can I help?"}).status_code == 200
        assert agent.post(f"/conversations/{customer.id}/resolve").status_code == 200
        if username == "dora":  # a low rating: the briefing suggests coaching for her, by name
            assert client.post(f"/api/conversations/{customer.id}/rating", json={"score": 1, "comment": "no help at all"},
                               headers=customer.headers).status_code == 200
        sign_off(settings, username)
    assert run_cli("-m", "handoff", "remove", "fayl").returncode == 0

    rows = {row["agent"]: row for row in figures_of(hub, supervisor, day)["agents"]}
    assert (rows["dora"]["name"], rows["fayl"]["name"]) == ("Dora Chen", "fayl"), rows

    for fmt in ("html", "pdf", "xlsx"):
        done = run_cli("-m", "analytics", "--from", day, "--to", day, "--lang", "en", "--format", fmt, "--out", str(tmp_path / f"names.{fmt}"))
        assert done.returncode == 0, done.stderr
    page = (tmp_path / "names.html").read_text(encoding="utf-8")
    named = re.findall(r"<tr><td>([^<]*)</td>", re.search(r'<table id="agents">(.*?)</table>', page, re.S).group(1))
    assert named == ["Dora Chen", "fayl"], named
    assert "Dora Chen&#39;s CSAT is 0.0%" in page or "Dora Chen's CSAT is 0.0%" in page
    printed = subprocess.run(["pdftotext", "-layout", str(tmp_path / "names.pdf"), "-"], capture_output=True, text=True, check=True).stdout
    assert "Dora Chen" in printed and not re.search(r"\bdora\b", printed), printed
    sheet = next(ws for ws in load_workbook(tmp_path / "names.xlsx").worksheets if ws.title == "Agents")
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == ["Dora Chen", "fayl"]

    # A browser of this test's own, closed when it ends: the module's later tests run event loops of their own.
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=FLAGS)
        ctx, dashboard = staff_page(browser, settings.hub_url, "/dashboard", supervisor_account, DESKTOP)
        try:
            dashboard.locator("#period").select_option("custom")
            dashboard.locator("#from").fill(day)
            dashboard.locator("#to").fill(day)
            dashboard.locator("#filters button[type=submit]").click()
            names = dashboard.locator("#agents tbody tr td:first-child")
            expect(names).to_have_text(["Dora Chen", "fayl"])
            expect(dashboard.locator("#comments")).to_contain_text("(Dora Chen)")
            expect(dashboard.locator("#f-agent option[value=dora]")).to_have_text("Dora Chen")
            names.first.get_by_role("button").click()  # her conversations: the drill-down takes her sign-in name, and names her
            expect(dashboard.locator("#drill")).to_have_attribute("data-key", "dora")
            expect(dashboard.locator("#drill tbody")).to_contain_text("Dora Chen")
        finally:
            ctx.close()
            browser.close()
            sign_off(settings, supervisor_account)


def test_what_an_older_version_stored_is_read_and_rebuild_gives_the_new_figures(by_hand, hub, supervisor, settings, tmp_path):
    """After an upgrade the rollup still holds what the older version stored: facts without waits per escalation,
    first responder or working time, and each day's figures computed under the old definitions. The dashboard reads
    the facts without error (with the figures that version gave: one wait, the first agent credited), never merges
    the old figures, and ./cs report --rebuild refolds the stream into the new ones."""
    from core.redis import Keys, sync_client

    client, day = by_hand, "2020-06-20"
    at(client, f"{day} 10:00")
    customer = Customer(client, "en")
    assert customer.say("I want to talk to a person")["conversation"]["status"] == "queued"
    at(client, f"{day} 10:01")
    bob, alice = AgentClient(client, "bob"), AgentClient(client, "alice")
    assert bob.post(f"/conversations/{customer.id}/claim").status_code == 200
    at(client, f"{day} 10:02")
    assert bob.post(f"/conversations/{customer.id}/transfer", {"to": "alice"}).status_code == 200
    at(client, f"{day} 10:03")
    assert alice.post(f"/conversations/{customer.id}/messages", {"text": "Hello, I'm alice."}).status_code == 200
    at(client, f"{day} 10:05")
    assert alice.post(f"/conversations/{customer.id}/handback").status_code == 200
    at(client, f"{day} 10:10")
    assert customer.say("I want to talk to a person")["conversation"]["status"] == "queued"
    at(client, f"{day} 10:10:30")
    assert alice.post(f"/conversations/{customer.id}/claim").status_code == 200

    def seen() -> tuple[int, int, bool, bool]:
        now = figures_of(hub, supervisor, day)
        rows = {row["agent"]: row for row in now["agents"]}
        return (now["volume"]["conversations"], now["humans"]["queue_wait"]["count"], rows["alice"]["frt_p50"] is not None,
                rows["bob"]["frt_p50"] is not None)

    assert seen() == (1, 2, True, False)
    # What the older version left: its facts, and the day's figures it computed, stored at the day's current version.
    r, keys = sync_client(settings), Keys(settings.key_prefix)
    stored = json.loads(r.hget(keys.analytics_day(day), customer.id))
    for name in ("queued_since", "waits", "first_responder", "first_response_working_seconds"):
        del stored[name]
    r.hset(keys.analytics_day(day), customer.id, json.dumps(stored))
    version = r.hincrby(keys.analytics_versions, day, 1)
    r.hset(keys.analytics_partials(day), "all", json.dumps({"version": str(version), "partial": {"counts": {"conversations": 999}}}))
    assert seen() == (1, 1, False, True)  # read as the older version counted; its stored figures (999) not merged
    rebuilt = run_cli("-m", "analytics", "--rebuild", "--from", day, "--to", day, "--format", "html", "--out", str(tmp_path / "b.html"))
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert seen() == (1, 2, True, False)
    assert {"waits", "first_responder", "first_response_working_seconds"} <= set(json.loads(r.hget(keys.analytics_day(day), customer.id)))


def test_events_of_a_conversation_whose_start_is_gone_are_not_filed(stack, settings):
    """An event written for a conversation as it was being erased (a ticket change, a recovered turn) outlives the
    erasure's sweep of the stream. Folded, it made a conversation of its own: facts without a start, filed under the
    day of the event, its id and rating comment in the rollup again. It is not filed at all."""
    import asyncio
    import json
    import time
    import uuid

    from analytics.rollup import Rollup
    from core.redis import Keys, async_client

    keys = Keys(f"cs-startless-{uuid.uuid4().hex[:8]}")
    kept, gone = f"kept-{uuid.uuid4().hex[:6]}", f"gone-{uuid.uuid4().hex[:6]}"

    async def scenario() -> tuple[list[str], object, object]:
        client = async_client(settings)
        try:
            now = time.time()
            for event in ({"type": "conversation_started", "conversation_id": kept, "ts": now, "channel": "web", "language": "en"},
                          {"type": "rated", "conversation_id": gone, "ts": now, "score": 1, "comment": "a comment of the erased", "agent": "alice"},
                          {"type": "customer_message", "conversation_id": kept, "ts": now}):
                await client.xadd(keys.events, {"e": json.dumps(event)})
            rollup = Rollup(client, keys, ZoneInfo("UTC"))
            await rollup.catch_up()
            read = {"hash": client.hgetall, "zset": lambda k: client.zrange(k, 0, -1), "set": client.smembers, "string": client.get}
            left = [key async for key in client.scan_iter(f"{keys.p}:analytics:*")
                    if gone in key + json.dumps(await read[await client.type(key)](key), default=list)]
            return left, await rollup.one(gone), await rollup.one(kept)
        finally:
            await client.delete(*[key async for key in client.scan_iter(f"{keys.p}:*")])
            await client.aclose()

    left, ghost, facts = asyncio.run(scenario())
    assert facts is not None and facts.customer_messages == 1  # the conversation with a start is filed as ever
    assert ghost is None and left == []
