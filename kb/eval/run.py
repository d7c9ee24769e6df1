"""Running ``kb eval``: a labelled data set loaded as its own knowledge base, published (which learns its
ranker and calibrates its gate from the KB alone), then every question searched through ``Searcher.search``.

Reported on the test split: the bot's own decisions at the gate calibrated at publish (no
evaluation question involved), and for comparison the decisions at a gate calibrated on the
validation split. Validation and test never overlap; no question enters the knowledge base.
"""

from __future__ import annotations

import random
import shutil
import time
from dataclasses import dataclass, field

from tqdm import tqdm

from core.settings import Settings, get_settings
from kb.calibration import OBJECTIVES, calibrate
from kb.datasets import Dataset, Question
from kb.embeddings import EmbedderSet
from kb.eval.metrics import Outcome, metrics, ratio
from kb.publishing import publish
from kb.search import Searcher
from kb.store import KbStore


@dataclass(frozen=True)
class EvalOptions:
    namespace: str | None = None  # default eval-<dataset>; cleared first
    model: str | None = None  # embedding model for the data set's language (else settings)
    objective: str = "precision"  # of the validation-split calibration shown for comparison
    min_precision: float = 0.9
    validate: bool = True  # also calibrate on the validation split (else every test question, publish gate only)
    limit: int | None = None  # questions per split at most (seeded sample)
    seed: int = 0
    progress: bool = True
    keep_questions: bool = False

    def __post_init__(self) -> None:
        if self.objective not in OBJECTIVES:
            raise ValueError(f"unknown objective {self.objective!r}; expected one of {', '.join(OBJECTIVES)}")


@dataclass
class LanguageReport:
    """Top-1 and gate outcomes of labelled questions against an already published knowledge base."""

    language: str
    in_scope: int = 0
    top1_correct: int = 0
    answered_correctly: int = 0
    answered_wrongly: int = 0
    out_of_scope: int = 0
    out_of_scope_declined: int = 0
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


def load_into_store(store: KbStore, dataset: Dataset, embedders: EmbedderSet, settings: Settings, progress: bool = True) -> dict:
    """Clear the namespace, save the data set's entries and publish them (the bot's publishing code)."""
    store.clear()
    target = settings.kb_dir / store.namespace
    if store.namespace.startswith("eval-") and target.is_dir():
        shutil.rmtree(target)  # old index versions of this evaluation namespace
    store.save_many(dataset.entries, "kb-eval")
    return publish(store, embedders, "kb-eval", progress=progress, root=settings.kb_dir)


def split_questions(dataset: Dataset, limit: int | None, seed: int, validate: bool) -> tuple[list[Question], list[Question]]:
    """(val, test). Without a validation split, the questions are split 50/50 (stratified by in/out of scope)."""

    def cap(questions: list[Question], salt: str) -> list[Question]:
        if limit is None or len(questions) <= limit:
            return list(questions)
        keep = set(random.Random(f"{seed}:{salt}").sample(range(len(questions)), limit))
        return [q for i, q in enumerate(questions) if i in keep]  # file order kept

    if dataset.val is not None:
        return (cap(dataset.val, "val") if validate else []), cap(dataset.test, "test")
    pool = cap(dataset.test, "test")
    if not validate:
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
        outcomes.append(Outcome(q.query, q.expected_id, split, result.hits, result.decision, time.perf_counter() - started))
    return outcomes


def run_eval(client, dataset: Dataset, options: EvalOptions = EvalOptions(), settings: Settings | None = None) -> dict:
    """Load ``dataset`` as a knowledge base, publish it, search every question the way the bot does, report."""
    settings = settings or get_settings()
    lang = dataset.language
    models = dict(settings.embedding_models)
    if options.model:
        models[lang] = options.model
    embedders = EmbedderSet(models)
    store = KbStore(client, options.namespace or f"eval-{dataset.name}")
    info = load_into_store(store, dataset, embedders, settings, options.progress)

    shown = max(3, settings.kb_search_top_k)
    searcher = Searcher(store, embedders, settings, root=settings.kb_dir)
    searcher.search("warm up", lang)  # loads the index and the model outside the timed searches
    val_q, test_q = split_questions(dataset, options.limit, options.seed, options.validate)
    val = run_questions(searcher, val_q, lang, "val", shown, options.progress)
    test = run_questions(searcher, test_q, lang, "test", shown, options.progress)
    publish_gate = searcher.gate(searcher.current(), lang)

    report: dict = {
        "dataset": dataset.name,
        "language": lang,
        "namespace": store.namespace,
        "model": info["models"].get(lang),
        "entries": info["entries"],
        "texts": info["texts"],
        "publish_seconds": info["build_seconds"],
        "source": dataset.source,
        "split": {
            "val": len(val),
            "test": len(test),
            "how": ("the data set's validation split" if dataset.val is not None else f"test questions split 50/50, seed {options.seed}")
            if options.validate else "no validation: every test question",
        },
        "top1_all": ratio(sum(o.correct for o in val + test), sum(o.in_scope for o in val + test)),
        # the bot as it runs: the gate calibrated at publish from the knowledge base itself
        "published": {"gate": publish_gate.to_dict(), "test": metrics(test, shown), **({"val": metrics(val, shown)} if val else {})},
    }
    if options.validate and val:
        gate = calibrate([o.for_gate(shown) for o in val], options.objective, options.min_precision,
                         {"validation_questions": len(val), "objective": options.objective})
        report["validated"] = {"gate": gate.to_dict(), "val": metrics(val, shown, gate), "test": metrics(test, shown, gate)}
    if options.keep_questions:
        report["questions"] = [
            {"query": o.query, "expected_id": o.expected_id, "split": o.split, "decision": o.decision, "hits": [[h.id, h.score] for h in o.hits]}
            for o in val + test
        ]
    return report
