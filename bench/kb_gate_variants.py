"""Why the publish-calibrated gate answers few starter-KB questions outright, and what other gates the same outcomes give.

    REDIS_URL=redis://127.0.0.1:17400/0 .venv/bin/python bench/kb_gate_variants.py zh en dialogflow-support-zh
    REDIS_URL=... .venv/bin/python bench/kb_gate_variants.py banking77 --k 5

For each named set this runs ``kb eval``'s own code (``kb.eval.run.run_eval``: load the set as a knowledge base,
publish it, search every validation and test question through ``Searcher.search``) and keeps the outcomes the
publish calibrated its gate on (``kb.training.learn``: held-out wordings, the same wordings with their entry
held out as in-domain out-of-scope questions, off-topic probes). Gates are then re-picked **from those publish
outcomes only** (no evaluation question enters a choice) under other rules, and applied to the questions' hits
(``kb.search.decision_for``, so a repeated wording is still answered). Printed per set and rule, validation then
test: in-scope accuracy / answer precision / out-of-scope recall. Then, for the publish outcomes, how the weight of
the outright answers splits between right, wrong in-scope, in-domain out-of-scope and probes at a few thresholds,
and the spread of the calibrated answer threshold over bootstrap resamples of the outcomes. Nothing is asserted.
Top-1 does not depend on the gate (every rule here has the same ranking). Uses the Valkey at REDIS_URL.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import redis  # noqa: E402

import kb.calibration as calibration  # noqa: E402
import kb.eval.run as eval_run  # noqa: E402
import kb.training as training  # noqa: E402
from kb.calibration import GateThresholds, Outcome, calibrate  # noqa: E402
from kb.datasets import DATASETS, load  # noqa: E402
from kb.eval.metrics import metrics  # noqa: E402

BOOTSTRAP = 40


def capture(name: str, k: int | None, data_dir: str | None) -> tuple[list[Outcome], dict, dict]:
    """(publish outcomes, their source, {"val": [...], "test": [...]}) of one ``kb eval`` run."""
    seen: dict = {}
    real_calibrate, real_run_questions = training.calibrate, eval_run.run_questions

    def keep_calibration(scored, *args, **kwargs):
        seen["scored"], seen["source"] = list(scored), dict(args[2] if len(args) > 2 else kwargs.get("source") or {})
        return real_calibrate(scored, *args, **kwargs)

    def keep_questions(searcher, questions, language, split, shown, progress=True):
        seen[split] = real_run_questions(searcher, questions, language, split, shown, progress)
        return seen[split]

    training.calibrate, eval_run.run_questions = keep_calibration, keep_questions
    try:
        eval_run.run_eval(redis.Redis.from_url(os.environ["REDIS_URL"]), load(name, data_dir, k=k), eval_run.EvalOptions(progress=False))
    finally:
        training.calibrate, eval_run.run_questions = real_calibrate, real_run_questions
    return seen["scored"], seen["source"], {"val": seen.get("val", []), "test": seen["test"]}


def split_groups(scored: list[Outcome], source: dict) -> tuple[list[Outcome], list[Outcome], list[Outcome]]:
    """(held-out wordings, in-domain out-of-scope, probes), in ``learn``'s order."""
    held_out = [o for o in scored if o.in_scope]
    oos = [o for o in scored if not o.in_scope]
    n = int(source.get("held_out_entries", 0))
    return held_out, oos[:n], oos[n:]


def rule_publish(scored, source):
    return calibrate(scored, "precision", 0.9, source)


def rule_margin_zero(scored, source):
    margins, calibration.MARGINS = calibration.MARGINS, (0.0,)
    try:
        return calibrate(scored, "precision", 0.9, source)
    finally:
        calibration.MARGINS = margins


def rule_in_domain(factor: float):
    def rule(scored, source):
        held_out, in_domain, probes = split_groups(scored, source)
        return calibrate(held_out + [dataclasses.replace(o, weight=o.weight * factor) for o in in_domain] + probes, "precision", 0.9, source)
    return rule


def rule_target(target: float):
    return lambda scored, source: calibrate(scored, "precision", target, source)


def bootstrap_answers(scored: list[Outcome], source: dict) -> np.ndarray:
    rng = np.random.default_rng(0)
    out = []
    for _ in range(BOOTSTRAP):
        counts = np.bincount(rng.integers(0, len(scored), len(scored)), minlength=len(scored))
        sample = [dataclasses.replace(o, weight=o.weight * c) for o, c in zip(scored, counts) if c]
        out.append(calibrate(sample, "precision", 0.9, source).answer)
    return np.array(out)


def rule_bootstrap_median(answers: np.ndarray):
    """``answers``: the calibrated answer threshold of each bootstrap resample (``bootstrap_answers``)."""
    def rule(scored, source):
        gate = calibrate(scored, "precision", 0.9, source)
        answer = float(np.median(answers))
        return dataclasses.replace(gate, answer=answer, suggest=min(gate.suggest, answer))
    return rule


def rules(answers: np.ndarray) -> list:
    """The rules compared, as (label, rule); ``answers``: the bootstrap resamples' thresholds, drawn once per set."""
    return [
        ("publish gate (as shipped)", rule_publish),
        ("median over bootstrap resamples", rule_bootstrap_median(answers)),
        ("margin fixed at 0", rule_margin_zero),
        ("in-domain out-of-scope weight x0.5", rule_in_domain(0.5)),
        ("no in-domain out-of-scope", rule_in_domain(0.0)),
        ("target precision 85%", rule_target(0.85)),
    ]


def pct(value) -> str:
    return "  -  " if value is None else f"{100 * value:5.1f}"


def report(name: str, scored: list[Outcome], source: dict, questions: dict) -> None:
    test_top1 = metrics(questions["test"], 3)["top1"]
    print(f"\n== {name}: {source.get('held_out_wordings')} held-out wordings, {source.get('held_out_entries')} in-domain "
          f"out-of-scope, {source.get('off_topic_probes')} probes; test top-1 {pct(test_top1)}")
    spread = bootstrap_answers(scored, source)  # 40 calibrations: drawn once, for the median rule and the spread below
    print(f"   {'rule':36s} {'answer':>6s} {'margin':>6s} | val acc / prec / OOS rec | test acc / prec / OOS rec")
    for label, rule in rules(spread):
        gate: GateThresholds = rule(scored, source)
        cells = []
        for split in ("val", "test"):
            m = metrics(questions[split], 3, gate) if questions[split] else {}
            cells.append(" ".join(pct(m.get(key)) for key in ("in_scope_accuracy", "answer_precision", "oos_recall")))
        print(f"   {label:36s} {gate.answer:6.3f} {gate.margin:6.2f} | {cells[0]:>17s}       | {cells[1]:>17s}")
    held_out, in_domain, probes = split_groups(scored, source)
    print("   publish outcomes answered at margin 0 (weights): right / wrong in-scope / in-domain OOS / probes -> precision")
    for a in (0.6, 0.7, 0.8, 0.9):
        right = sum(o.weight for o in held_out if o.correct and o.top >= a)
        wrong = sum(o.weight for o in held_out if not o.correct and o.top >= a)
        dom = sum(o.weight for o in in_domain if o.top >= a)
        off = sum(o.weight for o in probes if o.top >= a)
        total = right + wrong + dom + off
        print(f"     top >= {a}: {right:7.1f} / {wrong:6.1f} / {dom:6.1f} / {off:5.1f} -> {pct(right / total if total else None)}")
    print(f"   answer threshold over {BOOTSTRAP} bootstrap resamples: q10 / median / q90 {np.quantile(spread, [0.1, 0.5, 0.9]).round(3).tolist()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="+", choices=DATASETS)
    parser.add_argument("--k", type=int, help="keep only K phrasings per entry (as kb eval --k)")
    parser.add_argument("--data-dir")
    args = parser.parse_args()
    for name in args.sets:
        report(name + (f" k={args.k}" if args.k else ""), *capture(name, args.k, args.data_dir))


if __name__ == "__main__":
    main()
