"""The push-routing rule (tickets/routing.py), pure: a reopened ticket goes back to its previous agent first when they
are online with room and speak its language; otherwise the usual order applies."""

from __future__ import annotations

from tickets.models import Ticket
from tickets.routing import Candidate, ranked


def agent(name: str, *skills: str, load: int = 0, capacity: int = 3, last: float = 0.0) -> Candidate:
    return Candidate(name, frozenset(skills), load, capacity, last)


def test_the_previous_agent_comes_first_when_free_even_if_busier_and_more_recently_assigned():
    ticket = Ticket(id="t", number=1, conversation_id="c", language="en", assignee="r1")
    team = [agent("r1", load=1, last=100.0), agent("r2")]
    assert ranked(ticket, team) == ["r2", "r1"]  # a new ticket: the least busy
    assert ranked(ticket, team, previous="r1") == ["r1", "r2"]


def test_the_previous_agent_is_skipped_when_full_or_not_speaking_the_language():
    ticket = Ticket(id="t", number=1, conversation_id="c", language="zh")
    assert ranked(ticket, [agent("r1", load=3), agent("r2")], previous="r1") == ["r2"]
    assert ranked(ticket, [agent("r1", "en"), agent("r2", "zh", load=2)], previous="r1") == ["r2"]


def test_a_vip_dedicated_agent_still_comes_before_the_previous_one():
    ticket = Ticket(id="t", number=1, conversation_id="c", customer_tier="vip")
    assert ranked(ticket, [agent("r1"), agent("mine", load=2)], dedicated="mine", previous="r1") == ["mine", "r1"]
