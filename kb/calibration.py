"""Choosing the gate's thresholds from labelled outcomes: pure arithmetic, no I/O.

A gate turns ranked hits into a decision: ``answer`` when the top score reaches
``answer`` and leads the runner-up by ``margin``; ``suggest`` (the top entries
as buttons) when it reaches ``suggest``; otherwise ``fallback``.

``calibrate`` picks those numbers on outcomes whose right entry is known:
at publish, the knowledge base's own wordings held out in turn plus
off-topic probes (``kb.training``); in ``kb eval``, a validation split.
Each outcome has a weight, so the probes can stand for an assumed share of
unanswerable traffic whatever their count.

A knowledge base with few wordings to hold out gives a noisy precision estimate;
``confidence`` > 0.5 makes a threshold qualify only when the lower Wilson bound of
its precision reaches the aim (with thousands of wordings the bound is within a
point of the estimate). Measured on the validation splits it cost more right
answers than it saved wrong ones, so publishing leaves it off by default: the gap
between the estimate and real questions is a bias, not noise (docs/retrieval.md).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from statistics import NormalDist
from typing import Literal

import numpy as np

Objective = Literal["precision", "balanced", "scope"]
OBJECTIVES: tuple[str, ...] = ("precision", "balanced", "scope")
# Margins tried with each answer threshold (the score is a probability, so margins are in its units).
MARGINS = (0.0, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4)
NOTHING = 1.0001  # an answer threshold no score reaches


@dataclass
class Outcome:
    """What a gate needs to know about one searched question."""

    top: float  # top hit's score
    runner_up: float  # second hit's score (0 without one)
    correct: bool  # the top hit is the right entry
    shown: bool  # the right entry is among the hits a suggestion shows
    in_scope: bool  # the knowledge base can answer it
    weight: float = 1.0


@dataclass
class GateThresholds:
    """A calibrated gate and what it is expected to do, as measured on the outcomes it was picked on."""

    answer: float
    suggest: float
    margin: float
    expected_precision: float | None = None  # right answers / outright answers
    expected_answer_rate: float | None = None  # in-scope questions answered outright and right
    expected_oos_declined: float | None = None  # out-of-scope questions not answered outright
    source: dict = field(default_factory=dict)  # what it was calibrated on

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "GateThresholds":
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


def decide(top: float, runner_up: float, gate: GateThresholds) -> str:
    if top < gate.suggest:
        return "fallback"
    if top >= gate.answer and top - runner_up >= gate.margin:
        return "answer"
    return "suggest"


def _candidates(values: np.ndarray, most: int = 400) -> np.ndarray:
    unique = np.unique(np.round(values, 4))
    if len(unique) > most:
        unique = np.unique(np.quantile(unique, np.linspace(0, 1, most)).round(4))
    return np.concatenate([[0.0], unique, [NOTHING]])


def expected(outcomes: list[Outcome], answer: float, margin: float) -> dict:
    """Weighted precision, in-scope answer rate and out-of-scope decline rate at these thresholds."""
    top = np.array([o.top for o in outcomes])
    gap = top - np.array([o.runner_up for o in outcomes])
    w = np.array([o.weight for o in outcomes])
    good = np.array([o.correct for o in outcomes])
    ins = np.array([o.in_scope for o in outcomes])
    answered = (top >= answer) & (gap >= margin)
    n_answered = float(w[answered].sum())
    return {
        "expected_precision": round(float(w[answered & good].sum()) / n_answered, 4) if n_answered else None,
        "expected_answer_rate": round(float(w[answered & good].sum()) / float(w[ins].sum()), 4) if ins.any() else None,
        "expected_oos_declined": round(float(w[~answered & ~ins].sum()) / float(w[~ins].sum()), 4) if (~ins).any() else None,
    }


def precision_lower_bound(right: float, answered: float, effective_n: float, confidence: float) -> float:
    """Wilson lower bound of a (weighted) precision: ``right`` of ``answered``, worth ``effective_n`` independent questions."""
    if answered <= 0 or effective_n <= 0:
        return 0.0
    p = right / answered
    if confidence <= 0.5:
        return p
    z = NormalDist().inv_cdf(confidence)
    n = effective_n
    centre = p + z * z / (2 * n)
    spread = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return float((centre - spread) / (1 + z * z / n))


def calibrate(outcomes: list[Outcome], objective: str = "precision", min_precision: float = 0.9, source: dict | None = None,
              confidence: float = 0.5) -> GateThresholds:
    """Pick the answer threshold and margin, then the suggest threshold.

    ``precision`` (what publishing uses): answer as many questions right as possible
    while at least ``min_precision`` of the (weighted) outright answers are right, with
    ``confidence`` (one-sided Wilson bound over the answers' effective count; 0.5: the
    estimate itself); if no threshold gets there, the most precise one.
    ``balanced``: mean of the share of right-top-1 questions answered and the share of
    the others (wrong top-1 or out of scope) not answered.
    ``scope``: in-scope accuracy plus out-of-scope recall (the CLINC150 baselines' objective).
    Then ``suggest``: among questions not answered, balanced accuracy of "show buttons"
    for those whose entry is among the shown hits vs "fall back" for the rest.
    Ties go to the lowest thresholds.
    """
    if objective not in OBJECTIVES:
        raise ValueError(f"unknown objective {objective!r}; expected one of {', '.join(OBJECTIVES)}")
    if not outcomes:
        return GateThresholds(NOTHING, 0.0, 0.0, source=source or {})
    top = np.array([o.top for o in outcomes])
    gap = top - np.array([o.runner_up for o in outcomes])
    w = np.array([o.weight for o in outcomes], dtype="float64")
    w2 = w * w  # effective count of weighted answers: (sum w)^2 / sum w^2
    good = np.array([o.correct for o in outcomes])
    shown = np.array([o.shown for o in outcomes])
    ins = np.array([o.in_scope for o in outcomes])
    if objective == "scope" and ins.all():
        objective = "balanced"

    def share(mask: np.ndarray, of: np.ndarray) -> float | None:
        total = float(w[of].sum())
        return float(w[mask & of].sum()) / total if total else None

    best_key, best = None, (NOTHING, 0.0)
    for margin in MARGINS:
        for a in _candidates(top):
            answered = (top >= a) & (gap >= margin)
            right = float(w[answered & good].sum())
            if objective == "precision":
                n = float(w[answered].sum())
                effective = n * n / float(w2[answered].sum()) if n and confidence > 0.5 else n  # unused at 0.5
                precision = precision_lower_bound(right, n, effective, confidence)
                key = (1, right, precision) if n and precision >= min_precision else (0, precision, right)
            elif objective == "balanced":
                parts = [p for p in (share(answered, good), share(~answered, ~good)) if p is not None]
                key = (sum(parts) / len(parts),)
            else:
                key = (right / float(w[ins].sum()) + (share(~answered, ~ins) or 0.0),)
            if best_key is None or key > best_key:
                best_key, best = key, (float(a), margin)
    answer, margin = best
    rest = ~((top >= answer) & (gap >= margin))
    suggest, best_s = min(answer, NOTHING), None
    for s in _candidates(top[rest]) if rest.any() else []:
        if s > answer:
            break
        parts = [p for p in (share(top >= s, rest & shown), share(top < s, rest & ~shown)) if p is not None]
        key = sum(parts) / len(parts) if parts else 0.0
        if best_s is None or key > best_s:
            best_s, suggest = key, float(s)
    return GateThresholds(round(answer, 4), round(min(suggest, answer), 4), margin, **expected(outcomes, answer, margin), source=source or {})
