"""Two-turn exchanges: is the second question searched right, with the first as its context (the bot's path)?

``tests/data/followups.json`` holds follow-ups ("那寄到新疆呢？" after "运费怎么算") and topic
switches (a second question that stands alone); each is searched twice, alone and with the first
question as context, so the report shows what the context adds on follow-ups and costs on switches.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kb.search import Searcher


@dataclass
class FollowUpReport:
    language: str
    follow_ups: int = 0
    follow_ups_right: int = 0  # with context
    follow_ups_right_alone: int = 0  # the same second question searched alone
    switches: int = 0
    switches_right: int = 0
    switches_right_alone: int = 0
    misses: list[tuple[str, str, str, str]] = field(default_factory=list)  # (first, second, expected, got)

    def line(self) -> str:
        return (
            f"{self.language}: follow-ups right {self.follow_ups_right}/{self.follow_ups} with context "
            f"({self.follow_ups_right_alone}/{self.follow_ups} alone); topic switches right "
            f"{self.switches_right}/{self.switches} with context ({self.switches_right_alone}/{self.switches} alone)"
        )


def evaluate_followups(searcher: Searcher, rows: list[dict], is_follow_up) -> dict[str, FollowUpReport]:
    """``rows``: ``{"language", "first", "second", "expected_id"}``; ``is_follow_up(row)`` says which kind a row is."""
    reports: dict[str, FollowUpReport] = {}
    for row in rows:
        report = reports.setdefault(row["language"], FollowUpReport(row["language"]))
        with_context = searcher.search(row["second"], row["language"], context=row["first"])
        alone = searcher.search(row["second"], row["language"])
        right = bool(with_context.top) and with_context.top.id == row["expected_id"]
        right_alone = bool(alone.top) and alone.top.id == row["expected_id"]
        if is_follow_up(row):
            report.follow_ups += 1
            report.follow_ups_right += right
            report.follow_ups_right_alone += right_alone
        else:
            report.switches += 1
            report.switches_right += right
            report.switches_right_alone += right_alone
        if not right:
            report.misses.append((row["first"], row["second"], row["expected_id"], with_context.top.id if with_context.top else ""))
    return reports
