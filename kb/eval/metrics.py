"""Scoring searched questions: pure functions over outcomes, no I/O."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kb.calibration import GateThresholds
from kb.calibration import Outcome as GateOutcome
from kb.search import Decision, Hit, decision_for


@dataclass
class Outcome:
    """One question run through ``Searcher.search``."""

    query: str
    expected_id: str | None  # None: out of scope
    split: str  # "val" or "test"
    hits: list[Hit]
    decision: Decision  # what the bot decided, at the gate calibrated at publish
    seconds: float

    @property
    def in_scope(self) -> bool:
        return self.expected_id is not None

    @property
    def top_id(self) -> str:
        return self.hits[0].id if self.hits else ""

    @property
    def top_score(self) -> float:
        return self.hits[0].score if self.hits else 0.0

    @property
    def runner_up(self) -> float:
        return self.hits[1].score if len(self.hits) > 1 else 0.0

    @property
    def correct(self) -> bool:
        """Top-1 is the expected entry (never true for an out-of-scope question)."""
        return self.in_scope and self.top_id == self.expected_id

    def shown(self, k: int) -> bool:
        return self.in_scope and self.expected_id in [h.id for h in self.hits[:k]]

    def for_gate(self, shown: int) -> GateOutcome:
        return GateOutcome(self.top_score, self.runner_up, self.correct, self.shown(shown), self.in_scope)


def ratio(a: float, b: float) -> float | None:
    return a / b if b else None


def percentile_ms(seconds: list[float], q: float) -> float:
    return round(float(np.percentile(np.array(seconds or [0.0]), q)) * 1000, 2)


def metrics(outcomes: list[Outcome], shown: int, gate: GateThresholds | None = None) -> dict:
    """Every reported number for one set of questions: at the bot's own decisions, or re-decided at ``gate``."""
    from sklearn.metrics import roc_auc_score

    decisions = [o.decision if gate is None else decision_for(o.hits, gate) for o in outcomes]
    ins = [(o, d) for o, d in zip(outcomes, decisions) if o.in_scope]
    oos = [(o, d) for o, d in zip(outcomes, decisions) if not o.in_scope]
    answered_right = sum(d == "answer" and o.correct for o, d in ins)
    answered_wrong = sum(d == "answer" and not o.correct for o, d in ins)
    answered_oos = sum(d == "answer" for _, d in oos)
    answered = answered_right + answered_wrong + answered_oos
    declined = [d != "answer" for d in decisions]  # suggest or fallback
    fallback = [d == "fallback" for d in decisions]
    labels = [o.correct for o in outcomes]
    auroc = roc_auc_score(labels, [o.top_score for o in outcomes]) if 0 < sum(labels) < len(labels) else None
    seconds = [o.seconds for o in outcomes]
    return {
        "questions": len(outcomes),
        "in_scope": len(ins),
        "out_of_scope": len(oos),
        "top1": ratio(sum(o.correct for o, _ in ins), len(ins)),
        f"top{shown}": ratio(sum(o.shown(shown) for o, _ in ins), len(ins)),
        "decisions": {k: decisions.count(k) for k in ("answer", "suggest", "fallback")},
        "answered_right": answered_right,
        "answered_wrong": answered_wrong,
        "answered_out_of_scope": answered_oos,
        # right answers among every outright answer (in-scope wrong and out-of-scope answers count against it)
        "answer_precision": ratio(answered_right, answered),
        # Larson et al.'s in-scope accuracy: the right entry answered outright, over in-scope questions
        "in_scope_accuracy": ratio(answered_right, len(ins)),
        # answerable questions the gate does not answer outright (suggest or fallback: a human eventually)
        "in_scope_not_answered": ratio(sum(d != "answer" for _, d in ins), len(ins)),
        "in_scope_suggest_shown": ratio(sum(d == "suggest" and o.shown(shown) for o, d in ins), len(ins)),
        "in_scope_fallback": ratio(sum(d == "fallback" for _, d in ins), len(ins)),
        # out of scope = "not answered outright" (suggest or fallback) ...
        "oos_recall": ratio(sum(d != "answer" for _, d in oos), len(oos)),
        "oos_precision": ratio(sum(d != "answer" for _, d in oos), sum(declined)) if oos else None,
        # ... and the stricter reading, out of scope = fallback only
        "oos_recall_fallback": ratio(sum(d == "fallback" for _, d in oos), len(oos)),
        "oos_precision_fallback": ratio(sum(d == "fallback" for _, d in oos), sum(fallback)) if oos else None,
        "auroc": auroc,
        "latency_ms_p50": percentile_ms(seconds, 50),
        "latency_ms_p95": percentile_ms(seconds, 95),
    }
