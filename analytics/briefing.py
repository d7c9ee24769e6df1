"""The periodic service briefing (客服简报) as data: its sections, and suggested actions derived from the figures.

Pure: a summary (``Dashboard.summary``) and the top unanswered questions in,
the briefing's content out; ``analytics/render.py`` turns it into HTML, PDF
or a workbook. Actions come from rules a manager would apply: an indicator
below its target, a complaint type that grew, knowledge gaps, agents with
breaches or low satisfaction.
"""

from __future__ import annotations

from analytics import themes
from analytics.texts import ACTIONS, CATEGORY, DECISION, POLICY, REASON, WORDS, t


def pct(value: float | None, lang: str) -> str:
    return t(WORDS, "no_data", lang) if value is None else f"{value * 100:.1f}%"


def duration(seconds: float | None, lang: str) -> str:
    if seconds is None:
        return t(WORDS, "no_data", lang)
    if seconds < 90:
        return f"{seconds:.0f} s" if lang == "en" else f"{seconds:.0f} 秒"
    if seconds < 5400:
        return f"{seconds / 60:.1f} min" if lang == "en" else f"{seconds / 60:.1f} 分钟"
    return f"{seconds / 3600:.1f} h" if lang == "en" else f"{seconds / 3600:.1f} 小时"


def change(now: float | None, before: float | None, *, ratio: bool = True) -> str:
    """An arrow and the difference versus the previous period (points for shares)."""
    if now is None or before is None:
        return "–"
    diff = now - before
    arrow = "▲" if diff > 0 else "▼" if diff < 0 else "="
    return f"{arrow} {abs(diff) * 100:.1f} pt" if ratio else f"{arrow} {abs(diff):.0f}"


def _kpi(key: str, actual: float | None, before: float | None, target: float | None, lang: str, how: str, *, higher_is_better: bool = True) -> dict:
    met = None if actual is None or target is None else (actual >= target if higher_is_better else actual <= target)
    return {"key": key, "name": t(WORDS, key, lang, hours=24, minutes=5), "target": pct(target, lang) if target is not None else "–",
            "actual": pct(actual, lang), "previous": pct(before, lang), "change": change(actual, before), "met": met,
            "status": "–" if met is None else t(WORDS, "yes" if met else "no", lang), "how": how, "value": actual}


def _frt_kpi(now: dict, before: dict, target_seconds: float, lang: str) -> dict:
    """The practice's "average response time 5 minutes": the median first response against it, and the share within it."""
    p50, prev = now["p50"], before["p50"]
    met = None if p50 is None else p50 <= target_seconds
    diff = "–" if p50 is None or prev is None else f"{'▲' if p50 > prev else '▼' if p50 < prev else '='} {duration(abs(p50 - prev), lang)}"
    how = t(WORDS, "frt_how", lang, minutes=f"{target_seconds / 60:g}") + f": {pct(now['within_target'], lang)}"
    return {"key": "frt", "name": t(WORDS, "frt_p50", lang), "target": f"≤ {duration(target_seconds, lang)}", "actual": duration(p50, lang),
            "previous": duration(prev, lang), "change": diff, "met": met, "status": "–" if met is None else t(WORDS, "yes" if met else "no", lang),
            "how": how, "value": p50}


def build(summary: dict, gaps: list[dict], lang: str) -> dict:
    cur, prev, targets = summary["current"], summary["previous"], summary["targets"]
    hours = targets["complaint_hours"]
    h, ph = cur["humans"], prev["humans"]
    kpis = [
        _kpi("fcr", h["fcr"], ph["fcr"], targets["fcr"], lang, t(WORDS, "fcr_how", lang)),
        _kpi("csat", cur["satisfaction"]["csat"], prev["satisfaction"]["csat"], targets["csat"], lang, t(WORDS, "csat_how", lang)),
        _frt_kpi(h["first_response"], ph["first_response"], targets["first_response_seconds"], lang),
        _kpi("complaint24", cur["complaints"]["within_target"], prev["complaints"]["within_target"], 1.0, lang,
             t(WORDS, "complaint24_how", lang, hours=f"{hours:g}")),
        _kpi("containment", cur["bot"]["containment"], prev["bot"]["containment"], None, lang, t(WORDS, "containment_how", lang)),
        _kpi("sla", cur["sla"]["attainment"], prev["sla"]["attainment"], None, lang, t(WORDS, "sla_how", lang)),
    ]
    kpis[3]["name"] = t(WORDS, "complaint24", lang, hours=f"{hours:g}")
    previous_counts = {row["category"]: row["count"] for row in prev["complaints"]["by_category"]}
    complaints = [{"category": row["category"], "name": t(CATEGORY, row["category"], lang), "count": row["count"], "share": pct(row["share"], lang),
                   "share_value": row["share"] or 0.0, "previous": previous_counts.get(row["category"], 0)}
                  for row in cur["complaints"]["by_category"]]
    growing = sorted([c for c in complaints if c["count"] > c["previous"]], key=lambda c: (c["previous"] - c["count"], c["category"]))
    low = cur["satisfaction"]["low_comments"]
    every_theme = cur["satisfaction"]["themes"]
    main_theme = next((row["theme"] for row in every_theme if row["theme"]), None)
    return {
        "lang": lang,
        "empty": cur["empty"],
        "period": summary["period"], "previous_period": summary["previous_period"],
        "kpis": kpis,
        "volume": {"conversations": cur["volume"]["conversations"], "previous": prev["volume"]["conversations"],
                   "tickets": cur["volume"]["tickets"], "messages": cur["volume"]["messages"], "by_channel": cur["volume"]["by_channel"]},
        "complaints": complaints, "complaint_total": cur["complaints"]["count"], "complaint_previous": prev["complaints"]["count"],
        "growing": growing,
        "gaps": gaps,
        "fcr": {"value": pct(h["fcr"], lang), "target": pct(targets["fcr"], lang), "previous": pct(ph["fcr"], lang), "resolved": h["resolved"],
                "reopened": round((h["reopen_rate"] or 0) * h["resolved"]), "transferred": h["transfers"]},
        "satisfaction": {"csat": pct(cur["satisfaction"]["csat"], lang), "ratings": cur["satisfaction"]["ratings"],
                         "response_rate": pct(cur["satisfaction"]["response_rate"], lang), "distribution": cur["satisfaction"]["distribution"],
                         "themes": [_theme_row(row, lang) for row in themes.shown(every_theme)], "theme_total": cur["satisfaction"]["low_comment_count"],
                         "every_theme": [_theme_row(row, lang) for row in every_theme], "comments": low[:8]},
        "response": {"frt_p50": duration(h["first_response"]["p50"], lang), "frt_p90": duration(h["first_response"]["p90"], lang),
                     "frt_within": pct(h["first_response"]["within_target"], lang), "wait_p50": duration(h["queue_wait"]["p50"], lang),
                     "wait_p90": duration(h["queue_wait"]["p90"], lang), "handle": duration(h["handle_time"]["mean"], lang),
                     "resolution": duration(h["resolution_time"]["mean"], lang), "complaint24": pct(cur["complaints"]["within_target"], lang)},
        "sla": [{"policy": t(POLICY, p["policy"], lang), "met": p["met"], "breached": p["breached"], "attainment": pct(p["attainment"], lang)} for p in cur["sla"]["policies"]],
        "bot": {"containment": pct(cur["bot"]["containment"], lang),
                "decisions": [(t(DECISION, k, lang), v) for k, v in cur["bot"]["decisions"].items() if v],
                "votes": cur["bot"]["votes"], "helpful_share": pct(cur["bot"]["votes"]["helpful_share"], lang),
                "reasons": [(t(REASON, k, lang), v) for k, v in sorted(cur["bot"]["escalation_reasons"].items(), key=lambda kv: -kv[1])]},
        "agents": [{**row, "name": row.get("name") or row["agent"], "frt": duration(row["frt_p50"], lang), "handle": duration(row["handle_time"], lang), "fcr_text": pct(row["fcr"], lang),
                    "csat_text": pct(row["csat"], lang)} for row in cur["agents"]],
        "actions": actions(summary, gaps, main_theme, growing, lang),
    }


def _theme_row(row: dict, lang: str) -> dict:
    """A theme as the briefing lists it: its word, or what a row of several (``others``) or of no word holds."""
    if row.get("others"):
        name = t(WORDS, "other_themes", lang, n=row["others"])
    else:
        name = row["theme"] or t(WORDS, "unthemed", lang)
    return {"name": name, "comments": row["comments"], "share": pct(row["share"], lang), "share_value": row["share"]}


def actions(summary: dict, gaps: list[dict], main_theme: str | None, growing: list[dict], lang: str) -> list[str]:
    cur, targets = summary["current"], summary["targets"]
    h = cur["humans"]
    out: list[str] = []
    if h["fcr"] is not None and h["fcr"] < targets["fcr"]:
        out.append(t(ACTIONS, "fcr", lang, actual=pct(h["fcr"], lang), target=pct(targets["fcr"], lang),
                     reopened=round((h["reopen_rate"] or 0) * h["resolved"]), transferred=h["transfers"]))
    csat = cur["satisfaction"]["csat"]
    if csat is not None and csat < targets["csat"]:
        theme = main_theme or t(WORDS, "none", lang)
        out.append(t(ACTIONS, "csat", lang, actual=pct(csat, lang), target=pct(targets["csat"], lang), theme=theme))
    within = h["first_response"]["within_target"]
    if within is not None and within < 0.9:
        heat = cur["volume"]["heatmap"]
        peak = max(range(24), key=lambda hour: sum(day[hour] for day in heat))
        out.append(t(ACTIONS, "frt", lang, actual=pct(within, lang), minutes=f"{targets['first_response_seconds'] / 60:g}", peak=f"{peak:02d}:00"))
    c24 = cur["complaints"]["within_target"]
    if c24 is not None and c24 < 1.0:
        out.append(t(ACTIONS, "complaint24", lang, actual=pct(c24, lang), hours=f"{targets['complaint_hours']:g}"))
    for c in growing[:2]:
        out.append(t(ACTIONS, "growing", lang, category=c["name"], before=c["previous"], after=c["count"]))
    if gaps:
        quoted = "、".join(f"“{g['question']}”" for g in gaps[:3]) if lang == "zh" else ", ".join(f"\u201c{g['question']}\u201d" for g in gaps[:3])
        out.append(t(ACTIONS, "gaps", lang, questions=quoted))
    for row in cur["agents"]:
        name = row.get("name") or row["agent"]  # as the team knows them (the summary names them; its sign-in name otherwise)
        if row["breaches"] >= 2:
            out.append(t(ACTIONS, "agent_breaches", lang, agent=name, n=row["breaches"]))
        elif row["csat"] is not None and row["csat"] < targets["csat"] - 0.15:
            out.append(t(ACTIONS, "agent_csat", lang, agent=name, actual=pct(row["csat"], lang)))
    return out or [t(ACTIONS, "keep", lang)]
