"""Measuring retrieval on labelled questions: top-1 accuracy and what the gate would do with each."""

from __future__ import annotations

from dataclasses import dataclass, field

from kb.search import Searcher


@dataclass
class LanguageReport:
    language: str
    in_scope: int = 0
    top1_correct: int = 0
    answered_correctly: int = 0  # gate said "answer" and the entry was right
    answered_wrongly: int = 0  # gate said "answer" and the entry was wrong
    out_of_scope: int = 0
    out_of_scope_declined: int = 0  # gate did not answer a question the KB cannot answer
    misses: list[tuple[str, str, str]] = field(default_factory=list)  # (query, expected, got)

    @property
    def top1(self) -> float:
        return self.top1_correct / self.in_scope if self.in_scope else 0.0

    @property
    def oos_recall(self) -> float:
        return self.out_of_scope_declined / self.out_of_scope if self.out_of_scope else 0.0

    def line(self) -> str:
        return (
            f"{self.language}: top-1 {self.top1:.1%} ({self.top1_correct}/{self.in_scope}); "
            f"answered right {self.answered_correctly}, answered wrong {self.answered_wrongly}; "
            f"out-of-scope declined {self.oos_recall:.1%} ({self.out_of_scope_declined}/{self.out_of_scope})"
        )


def evaluate(searcher: Searcher, queries: list[dict]) -> dict[str, LanguageReport]:
    """``queries``: ``{"query", "language", "expected_id"}``; ``expected_id`` null means out of scope."""
    reports: dict[str, LanguageReport] = {}
    for q in queries:
        report = reports.setdefault(q["language"], LanguageReport(q["language"]))
        result = searcher.search(q["query"], q["language"])
        top = result.top.id if result.top else ""
        if q["expected_id"] is None:
            report.out_of_scope += 1
            report.out_of_scope_declined += result.decision != "answer"
            continue
        report.in_scope += 1
        right = top == q["expected_id"]
        report.top1_correct += right
        if result.decision == "answer":
            report.answered_correctly += right
            report.answered_wrongly += not right
        if not right:
            report.misses.append((q["query"], q["expected_id"], top))
    return reports
