"""Queue priority of an escalation: VIP customers first, then complaints, then everyone by waiting time.

(The complaint category is learned, not looked up: ``tickets/triage.py``.)
"""

from __future__ import annotations


def priority(reason: str, customer_tier: str) -> int:
    """Higher goes first: VIP customers, then complaints, then everyone else by waiting time."""
    if customer_tier.lower() in ("vip", "gold", "platinum"):
        return 2
    if reason in ("complaint", "negative_feedback"):
        return 1
    return 0
