"""Who should take a ticket: the rule, pure and testable, and the candidates as they are right now.

Skills are words on the agent's account: languages (``zh``, ``en``), complaint
categories (``after_sales``, ``logistics`` ...) and ``vip`` (the VIP group).
An agent without a language skill speaks every language; one without a
category skill is a generalist.

The rule, in order:
1. a VIP customer's dedicated agent, if online with room;
2. a reopened ticket's previous agent, if online with room and speaking its language (the customer picks up
   with the person who knows the case);
3. among online agents with room who speak the ticket's language: for a VIP,
   the VIP group first; then the ticket's category specialists before
   generalists; then the least busy; then whoever waited longest since their
   last assignment (fair spread).
Nobody who speaks the language is free: the ticket waits (manual claim stays possible).
"""

from __future__ import annotations

from dataclasses import dataclass

from tickets.models import Ticket

LANGUAGES = frozenset({"en", "zh"})


@dataclass(frozen=True)
class Candidate:
    username: str
    skills: frozenset[str]
    load: int
    capacity: int
    last_assigned: float = 0.0

    @property
    def has_room(self) -> bool:
        return self.load < self.capacity

    def speaks(self, language: str) -> bool:
        spoken = self.skills & LANGUAGES
        return not spoken or language in spoken


def ranked(ticket: Ticket, candidates: list[Candidate], dedicated: str | None = None, previous: str | None = None) -> list[str]:
    """Usernames to offer the ticket to, best first (empty: it waits). ``previous``: who last held the ticket."""
    free = [c for c in candidates if c.has_room and c.speaks(ticket.language)]
    vip = ticket.customer_tier == "vip"

    def preference(c: Candidate) -> tuple:
        return (
            0 if (vip and c.username == dedicated) else 1,
            0 if c.username == previous else 1,
            0 if (vip and "vip" in c.skills) else 1,
            0 if ticket.category in c.skills else 1,
            c.load,
            c.last_assigned,
            c.username,
        )

    return [c.username for c in sorted(free, key=preference)]
