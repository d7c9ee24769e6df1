"""Top unanswered questions of a period: the knowledge base's content-gap groups (kb/gaps.py), biggest first."""

from __future__ import annotations

from dataclasses import asdict

from analytics.periods import Period
from kb.embeddings import EmbedderSet
from kb.gaps import group


def top_gaps(recent: list[dict], embedders: EmbedderSet | None, period: Period, limit: int = 10) -> list[dict]:
    """Group the gaps recorded in the period by meaning (without embedders: by identical wording)."""
    inside = [g for g in recent if period.start <= float(g.get("ts") or 0) < period.end and g.get("q")]
    if not inside:
        return []
    if embedders is None:
        counts: dict[tuple[str, str], int] = {}
        for g in inside:
            counts[(g["q"], g.get("lang", ""))] = counts.get((g["q"], g.get("lang", "")), 0) + 1
        rows = sorted(counts.items(), key=lambda kv: -kv[1])[:limit]
        return [{"question": q, "language": lang, "count": n, "questions": [q]} for (q, lang), n in rows]
    groups = sorted(group(inside, embedders), key=lambda g: -g.count)[:limit]
    return [{"question": g.newest, "language": g.language, "count": g.count, "questions": g.questions[:5], **{"reasons": asdict(g)["reasons"]}}
            for g in groups]
