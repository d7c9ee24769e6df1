"""Measuring retrieval on labelled questions: top-1 accuracy and what the gate would do with each.

``evaluate`` runs questions against an already published knowledge base (the
suite's retrieval test). ``run_eval`` is ``kb eval``: it loads a labelled data
set (``kb.datasets``) as its own knowledge base, searches every question
through ``Searcher.search`` (the bot's path), calibrates the gate on a
validation split and reports test metrics once at the calibrated gate.
"""

from __future__ import annotations

import json
import random
import shutil
import time
from dataclasses import dataclass, field

import numpy as np
from tqdm import tqdm

from core.settings import Gate, Settings, get_settings
from kb.datasets import Dataset, Question
from kb.embeddings import EmbedderSet
from kb.publishing import publish
from kb.search import Hit, Searcher, decide
from kb.store import KbStore


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


# --------------------------------------------------------------------------------------------------
# `kb eval`: a labelled data set loaded as its own knowledge base, searched through the bot's path,
# gate thresholds calibrated on a validation split, test metrics reported once at those thresholds.
# --------------------------------------------------------------------------------------------------

MODES = ("fused", "dense", "lexical")
OBJECTIVES = ("balanced", "scope", "precision")
# Margins tried with each answer threshold during calibration.
MARGINS = (0.0, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15)


@dataclass
class Outcome:
    """One question run through ``Searcher.search``."""

    query: str
    expected_id: str | None
    split: str  # "val" or "test"
    hits: list[Hit]
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


def mode_weight(mode: str, gate: Gate, dense_weight: float | None = None) -> float:
    """The fusion weight that makes the fused score the dense score alone, the lexical alone, or the configured mix."""
    if mode == "dense":
        return 1.0
    if mode == "lexical":
        return 0.0
    if mode == "fused":
        return gate.dense_weight if dense_weight is None else dense_weight
    raise ValueError(f"unknown mode {mode!r}; expected one of {', '.join(MODES)}")


def with_gate(settings: Settings, language: str, gate: Gate) -> Settings:
    return settings.model_copy(update={"gates": {**settings.gates, language: gate}})


def load_into_store(store: KbStore, dataset: Dataset, embedders: EmbedderSet, settings: Settings, progress: bool = True) -> dict:
    """Clear the namespace, save the data set's entries and publish them (the bot's publishing code)."""
    store.clear()
    target = settings.kb_dir / store.namespace
    if store.namespace.startswith("eval-") and target.is_dir():
        shutil.rmtree(target)  # old index versions of this evaluation namespace
    store.save_many(dataset.entries, "kb-eval")
    return publish(store, embedders, "kb-eval", progress=progress, root=settings.kb_dir)


def split_questions(dataset: Dataset, limit: int | None, seed: int, calibrate: bool) -> tuple[list[Question], list[Question]]:
    """(val, test). Without a validation split, the questions are split 50/50 (stratified by in/out of scope)."""

    def cap(questions: list[Question], salt: str) -> list[Question]:
        if limit is None or len(questions) <= limit:
            return list(questions)
        keep = set(random.Random(f"{seed}:{salt}").sample(range(len(questions)), limit))
        return [q for i, q in enumerate(questions) if i in keep]  # file order kept

    if dataset.val is not None:
        return (cap(dataset.val, "val") if calibrate else []), cap(dataset.test, "test")
    pool = cap(dataset.test, "test")
    if not calibrate:
        return [], pool
    val: list[Question] = []
    test: list[Question] = []
    for in_scope in (True, False):
        group = [q for q in pool if (q.expected_id is not None) == in_scope]
        order = list(range(len(group)))
        random.Random(f"{seed}:split:{in_scope}").shuffle(order)
        half = set(order[: len(group) // 2])
        for i, q in enumerate(group):
            (val if i in half else test).append(q)
    return val, test


def run_questions(searcher: Searcher, questions: list[Question], language: str, split: str, k: int, progress: bool = True) -> list[Outcome]:
    outcomes = []
    for q in tqdm(questions, desc=f"searching {split}", unit="q", disable=not progress or not questions):
        started = time.perf_counter()
        result = searcher.search(q.query, language, k=k)
        outcomes.append(Outcome(q.query, q.expected_id, split, result.hits, time.perf_counter() - started))
    return outcomes


def _ratio(a: float, b: float) -> float | None:
    return a / b if b else None


def metrics(outcomes: list[Outcome], settings: Settings, language: str, shown: int) -> dict:
    """Every reported number for one set of questions at the gate in ``settings`` (decisions by ``kb.search.decide``)."""
    from sklearn.metrics import roc_auc_score

    decisions = [decide(o.hits, settings, language) for o in outcomes]
    ins = [(o, d) for o, d in zip(outcomes, decisions) if o.in_scope]
    oos = [(o, d) for o, d in zip(outcomes, decisions) if not o.in_scope]
    answered_right = sum(d == "answer" and o.correct for o, d in ins)
    answered_wrong = sum(d == "answer" and not o.correct for o, d in ins)
    answered_oos = sum(d == "answer" for _, d in oos)
    answered = answered_right + answered_wrong + answered_oos
    declined = [d != "answer" for d in decisions]  # suggest or fallback
    fallback = [d == "fallback" for d in decisions]
    oos_declined = sum(d != "answer" for _, d in oos)
    oos_fallback = sum(d == "fallback" for _, d in oos)
    labels = [o.correct for o in outcomes]
    auroc = roc_auc_score(labels, [o.top_score for o in outcomes]) if 0 < sum(labels) < len(labels) else None
    seconds = np.array([o.seconds for o in outcomes]) if outcomes else np.zeros(1)
    return {
        "questions": len(outcomes),
        "in_scope": len(ins),
        "out_of_scope": len(oos),
        "top1": _ratio(sum(o.correct for o, _ in ins), len(ins)),
        f"top{shown}": _ratio(sum(o.shown(shown) for o, _ in ins), len(ins)),
        "decisions": {k: decisions.count(k) for k in ("answer", "suggest", "fallback")},
        "answered_right": answered_right,
        "answered_wrong": answered_wrong,
        "answered_out_of_scope": answered_oos,
        # right answers among every outright answer (in-scope wrong and out-of-scope answers count against it)
        "answer_precision": _ratio(answered_right, answered),
        # Larson et al.'s in-scope accuracy: the right entry answered outright, over in-scope questions
        "in_scope_accuracy": _ratio(answered_right, len(ins)),
        # answerable questions the gate does not answer outright (suggest or fallback: a human eventually)
        "in_scope_not_answered": _ratio(sum(d != "answer" for _, d in ins), len(ins)),
        "in_scope_suggest_shown": _ratio(sum(d == "suggest" and o.shown(shown) for o, d in ins), len(ins)),
        "in_scope_fallback": _ratio(sum(d == "fallback" for _, d in ins), len(ins)),
        # out of scope = "not answered outright" (suggest or fallback) ...
        "oos_recall": _ratio(oos_declined, len(oos)),
        "oos_precision": _ratio(oos_declined, sum(declined)) if oos else None,
        # ... and the stricter reading, out of scope = fallback only
        "oos_recall_fallback": _ratio(oos_fallback, len(oos)),
        "oos_precision_fallback": _ratio(oos_fallback, sum(fallback)) if oos else None,
        "auroc": auroc,
        "latency_ms_p50": round(float(np.percentile(seconds, 50)) * 1000, 2),
        "latency_ms_p95": round(float(np.percentile(seconds, 95)) * 1000, 2),
    }


def _candidates(values: np.ndarray, most: int = 800) -> np.ndarray:
    unique = np.unique(values)
    if len(unique) > most:
        unique = np.unique(np.quantile(unique, np.linspace(0, 1, most)).round(4))
    return np.concatenate([[0.0], unique, [1.0001]])  # 1.0001: answer nothing


def calibrate(outcomes: list[Outcome], base: Gate, shown: int, objective: str = "balanced", min_precision: float = 0.9) -> Gate:
    """Pick answer threshold + margin, then suggest threshold, on ``outcomes`` (the validation split).

    ``balanced`` (default): maximise the mean of (a) the share of questions whose top hit
    is right that get answered and (b) the share of the others (out of scope, or top hit
    wrong) that do not: balanced accuracy of the answer / don't-answer decision, the
    operating point behind the AUROC that is also reported.
    ``scope``: maximise in-scope accuracy (right answers / in-scope questions) + out-of-scope
    recall (out-of-scope questions not answered / out-of-scope questions), the single-threshold
    objective of the CLINC150 baselines; without out-of-scope questions it is ``balanced``.
    ``precision``: answer as many questions right as possible while at least
    ``min_precision`` of outright answers are right.
    Then ``suggest``: among questions not answered, balanced accuracy of "show buttons"
    for questions whose entry is in the top ``shown`` vs "fall back" for the rest.
    Ties go to the lowest threshold and margin.
    """
    if objective not in OBJECTIVES:
        raise ValueError(f"unknown objective {objective!r}; expected one of {', '.join(OBJECTIVES)}")
    if not outcomes:
        return base
    top = np.array([o.top_score for o in outcomes])
    gap = top - np.array([o.runner_up for o in outcomes])
    good = np.array([o.correct for o in outcomes])
    shown_ok = np.array([o.shown(shown) for o in outcomes])
    in_scope = np.array([o.in_scope for o in outcomes])
    if objective == "scope" and in_scope.all():
        objective = "balanced"

    def mean_or(mask: np.ndarray, of: np.ndarray) -> float | None:
        return float(mask[of].mean()) if of.any() else None

    best_key, best = None, (1.0001, 0.0)
    for margin in MARGINS:
        for a in _candidates(top):
            answered = (top >= a) & (gap >= margin)
            right = int((answered & good).sum())
            if objective == "balanced":
                parts = [p for p in (mean_or(answered, good), mean_or(~answered, ~good)) if p is not None]
                key = (sum(parts) / len(parts),)
            elif objective == "scope":
                key = (right / max(int(in_scope.sum()), 1) + float((~answered)[~in_scope].mean()),)
            else:
                n = int(answered.sum())
                precision = right / n if n else 0.0
                key = (1, right, precision) if precision >= min_precision and n else (0, precision, right)
            if best_key is None or key > best_key:
                best_key, best = key, (float(a), margin)
    answer, margin = best
    answered = (top >= answer) & (gap >= margin)
    rest = ~answered
    suggest, best_s = answer, None
    for s in _candidates(top[rest]) if rest.any() else []:
        if s > answer:
            break
        parts = [p for p in (mean_or(top >= s, rest & shown_ok), mean_or(top < s, rest & ~shown_ok)) if p is not None]
        key = sum(parts) / len(parts) if parts else 0.0
        if best_s is None or key > best_s:
            best_s, suggest = key, float(s)
    return Gate(answer=round(answer, 4), suggest=round(min(suggest, answer), 4), margin=margin, dense_weight=base.dense_weight)


def gate_config(language: str, gate: Gate) -> dict:
    return {
        "python": f'"{language}": Gate(answer={gate.answer:g}, suggest={gate.suggest:g}, margin={gate.margin:g}, dense_weight={gate.dense_weight:g}),',
        "env": f"CS_GATES='{{\"{language}\": {json.dumps(gate.model_dump())}}}'  (replaces the whole gates dict: give every language)",
    }


def run_eval(
    client,
    dataset: Dataset,
    *,
    settings: Settings | None = None,
    namespace: str | None = None,
    model: str | None = None,
    mode: str = "fused",
    dense_weight: float | None = None,
    objective: str = "balanced",
    min_precision: float = 0.9,
    do_calibrate: bool = True,
    limit: int | None = None,
    seed: int = 0,
    progress: bool = True,
    keep_questions: bool = False,
) -> dict:
    """Load ``dataset`` as a knowledge base, search every question the way the bot does, calibrate, report."""
    settings = settings or get_settings()
    lang = dataset.language
    models = dict(settings.embedding_models)
    if model:
        models[lang] = model
    embedders = EmbedderSet(models)
    configured = settings.gate(lang)
    weight = mode_weight(mode, configured, dense_weight)
    run_settings = with_gate(settings, lang, configured.model_copy(update={"dense_weight": weight}))
    store = KbStore(client, namespace or f"eval-{dataset.name}")
    info = load_into_store(store, dataset, embedders, run_settings, progress)

    shown = max(3, settings.kb_search_top_k)
    searcher = Searcher(store, embedders, run_settings, root=settings.kb_dir)
    searcher.search("warm up", lang)  # loads the index and the model outside the timed searches
    val_q, test_q = split_questions(dataset, limit, seed, do_calibrate)
    val = run_questions(searcher, val_q, lang, "val", shown, progress)
    test = run_questions(searcher, test_q, lang, "test", shown, progress)

    report: dict = {
        "dataset": dataset.name,
        "language": lang,
        "namespace": store.namespace,
        "model": info["models"].get(lang),
        "mode": mode,
        "dense_weight": weight,
        "entries": info["entries"],
        "texts": info["texts"],
        "k": None,
        "source": dataset.source,
        "split": {
            "val": len(val),
            "test": len(test),
            "how": ("the data set's validation split" if dataset.val is not None else f"test questions split 50/50, seed {seed}")
            if do_calibrate else "no calibration: every test question",
        },
        "top1_all": _ratio(sum(o.correct for o in val + test), sum(o.in_scope for o in val + test)),
        "configured": {"gate": run_settings.gate(lang).model_dump(), "test": metrics(test, run_settings, lang, shown)},
    }
    if do_calibrate:
        gate = calibrate(val, run_settings.gate(lang), shown, objective, min_precision)
        cal_settings = with_gate(settings, lang, gate)
        report["calibrated"] = {
            "objective": f"precision >= {min_precision:g}" if objective == "precision" else objective,
            "gate": gate.model_dump(),
            "config": gate_config(lang, gate),
            "val": metrics(val, cal_settings, lang, shown),
            "test": metrics(test, cal_settings, lang, shown),
        }
    if keep_questions:
        report["questions"] = [
            {"query": o.query, "expected_id": o.expected_id, "split": o.split, "hits": [[h.id, h.score] for h in o.hits]}
            for o in val + test
        ]
    return report
