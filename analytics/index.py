"""The drill-down index: for each day and each *tag*, the conversations a figure (or a filter) selects.

A drill-down ("the 11,000 complaints of the last 30 days, page 3") must not
parse every fact of the period. So the rollup fold, while it writes a
conversation's facts, also files the conversation under the tags its facts
carry (``tags``), in one sorted set per day and tag, scored by the time the
conversation started (``Keys.analytics_index``). A drill-down then unions the
period's days of the figure's tag, intersects the filters' tags, counts and
pages by score, and reads only the facts of the page.

A tag selects exactly what ``metrics.SELECTORS`` (and ``Filters.keep``) select:
``tests/unit/test_analytics.py`` checks both on hand-built facts, so the
drill-down's total is the figure on the dashboard.
"""

from __future__ import annotations

from analytics.facts import ConversationFacts
from analytics.metrics import LOW_RATING, Filters

KEYLESS = ("conversations", "contained", "escalated", "not_helpful", "resolved", "fcr", "not_fcr", "reopened", "transferred", "low_rating")
KEY_OPTIONAL = ("complaints", "rated", "breached")  # no key: all of them; a key: one category / score / policy
KEYED = ("channel", "language", "reason", "decision", "agent")  # a key is needed (with none, nothing is selected)


def tag_of(figure: str, key: str = "") -> str:
    """The tag that selects what ``SELECTORS[figure]`` selects with ``key``."""
    if figure in KEYLESS or (figure in KEY_OPTIONAL and not key):
        return figure
    return f"{figure}:{key}"


def filter_tags(filters: Filters) -> list[str]:
    """The tags a conversation must carry to pass the filters (``Filters.keep``)."""
    pairs = (("channel", filters.channel), ("language", filters.language), ("category", filters.category), ("agent", filters.agent),
             ("tier", filters.tier))
    return [f"{name}:{value}" for name, value in pairs if value]


def tags(f: ConversationFacts) -> set[str]:
    """Every tag the conversation carries: the figures it counts in, and the filter values it has."""
    out = {"conversations", f"channel:{f.channel}", f"language:{f.language}", f"category:{f.category}", f"tier:{f.customer_tier}"}
    out.update(f"agent:{name}" for name in f.agents)
    out.update(f"decision:{d}" for d, n in f.decisions.items() if n > 0)
    if f.contained:
        out.add("contained")
    if f.escalated:
        out.update(("escalated", f"reason:{f.reason}"))
    if f.votes_not_helpful > 0:
        out.add("not_helpful")
    if f.complaint:
        out.update(("complaints", f"complaints:{f.category or 'other'}"))
    if f.resolved_at is not None:
        out.update(("resolved", "fcr" if f.first_contact_resolved else "not_fcr"))
    if f.reopens > 0:
        out.add("reopened")
    if f.transfers > 0:
        out.add("transferred")
    if f.rating:
        out.update(("rated", f"rated:{f.rating}"))
        if f.rating <= LOW_RATING:
            out.add("low_rating")
    if "breached" in f.sla.values():
        out.update(("breached", f"breached:{f.policy}"))
    return out
