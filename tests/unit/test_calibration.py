"""The gate's precision must hold with confidence: few held-out wordings ask for a stricter threshold than many."""

from __future__ import annotations

import numpy as np

from kb.calibration import Outcome, calibrate, precision_lower_bound


def outcomes(n: int, seed: int = 0) -> list[Outcome]:
    """Scores where a higher score is more often right: the share right above s is about s."""
    rng = np.random.default_rng(seed)
    found = []
    for score in rng.uniform(0.5, 1.0, n):
        found.append(Outcome(top=float(score), runner_up=0.0, correct=bool(rng.uniform() < score), shown=True, in_scope=True))
    return found


def test_the_bound_is_below_the_estimate_and_tightens_with_evidence():
    assert precision_lower_bound(90, 100, 100, 0.5) == 0.9  # no confidence asked: the estimate
    few, many = precision_lower_bound(9, 10, 10, 0.9), precision_lower_bound(900, 1000, 1000, 0.9)
    assert few < many < 0.9
    assert 0.9 - many < 0.02 and 0.9 - few > 0.1
    assert precision_lower_bound(0, 0, 0, 0.9) == 0.0


def test_a_small_knowledge_base_gets_a_stricter_gate_than_a_big_one_for_the_same_aim():
    small = calibrate(outcomes(80), min_precision=0.9, confidence=0.9)
    big = calibrate(outcomes(8000), min_precision=0.9, confidence=0.9)
    plain = calibrate(outcomes(80), min_precision=0.9)
    assert small.answer > plain.answer  # the same 80 outcomes, but the aim must hold with confidence
    assert small.answer > big.answer
    assert big.expected_precision >= 0.9 and small.expected_precision >= 0.9


def test_weights_count_as_fewer_questions():
    """Ten questions weighted up to stand for a hundred are still ten questions' worth of evidence."""
    heavy = [Outcome(o.top, o.runner_up, o.correct, o.shown, o.in_scope, weight=10.0) for o in outcomes(80)]
    assert calibrate(heavy, confidence=0.9).answer == calibrate(outcomes(80), confidence=0.9).answer
