"""What every publish learns from the knowledge base itself: the ranker, then the gate.

The knowledge base's wordings are its labelled data, the way Rasa's NLU examples
are DIET's. The entry classifier (``kb.ranking.EntryClassifier``) is fitted on
all of them. Then each sampled wording is held out in turn and searched against
all the others (leave-one-phrasing-out), its classifier probabilities coming from
a classifier fitted without it (cross-fitted, ``FOLDS``): the candidate entries' features and
whether each is the wording's own entry train ``kb.ranking.Ranker``.

The gate is then calibrated (``kb.calibration``) on the same held-out wordings,
scored out of fold (each fold scored by a ranker fitted on the others),
plus out-of-scope probes: generic off-topic questions (``kb.offtopic``) and the
knowledge base's wordings in other languages. The probes stand for an assumed
share of unanswerable traffic (``LearningOptions.oos_share``). Nothing here
reads an evaluation question; a shop that imports its own FAQ gets its own
ranker and gate from its own wordings.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np

from kb.calibration import Outcome, calibrate
from kb.index import LanguageIndex
from kb.ranking import Candidates, EntryClassifier, Ranker, candidates, class_probabilities

SHOWN = 3  # a suggestion shows this many entries
MIN_HELD_OUT = 10  # fewer held-out wordings than this: too little to learn from, keep the default ranker
# Cross-fitting folds. Each fold's classifier is fitted without that fold's wordings (warm-started
# from the full classifier, so a fold costs a few optimiser iterations, not a full fit).
FOLDS = 4
# Share of the out-of-scope weight on in-domain questions (see ``learn``): 0.5 left DialogFlow's
# held-out intents answered too often (answer precision 83-86% on the en sets); 0.75 (docs/retrieval.md).
IN_DOMAIN_SHARE = 0.75
ENTRY_FOLDS = 8  # groups of entries held out whole for the in-domain out-of-scope questions (one refit each)
SCORE_BATCH = 256  # held-out wordings scored together (memory: batch x wordings floats, twice)


@dataclass(frozen=True)
class LearningOptions:
    max_held_out: int = 2000  # wordings held out at most (publish time grows with it)
    target_precision: float = 0.9  # of outright answers
    precision_confidence: float = 0.5  # that the target holds beyond the held-out wordings (kb.calibration; 0.5: off)
    oos_share: float = 0.2  # assumed share of questions the knowledge base cannot answer
    seed: int = 0


@dataclass
class _Query:
    candidates: Candidates
    expected: int | None  # entry position, None for a probe
    entry_out: Candidates | None = None  # the same question with its entry held out whole: out of scope


def held_out_rounds(index: LanguageIndex, most: int, seed: int) -> list[list[int]]:
    """Wordings to hold out, in rounds: round ``r`` holds the ``r``-th sampled wording of every entry that has one.

    An entry never gives all its wordings (it keeps at least one to be found by), and the
    rounds spread the ``most`` held-out wordings evenly over entries (seeded).
    """
    groups = index.groups
    ends = list(groups.starts[1:]) + [len(index.rows)]
    rng = random.Random(seed)
    per_entry = []
    for start, end in zip(groups.starts, ends):
        rows = list(range(int(start), int(end)))
        rng.shuffle(rows)
        per_entry.append(rows[:-1])
    rounds: list[list[int]] = []
    total = 0
    depth = 0
    while total < most and any(depth < len(r) for r in per_entry):
        this = [r[depth] for r in per_entry if depth < len(r)][: most - total]
        rounds.append(this)
        total += len(this)
        depth += 1
    return rounds


def folds(rounds: list[list[int]], most: int = FOLDS) -> list[list[int]]:
    """At most ``most`` folds of whole rounds: a fold removes only a few wordings of any one entry."""
    out: list[list[int]] = [[] for _ in range(min(most, len(rounds)))]
    for i, rows in enumerate(rounds):
        out[i % len(out)] += rows
    return [sorted(f) for f in out]


def _without_entry_probabilities(index: LanguageIndex, rows: list[int], seed: int) -> dict[int, np.ndarray]:
    """Held-out wordings classified by a classifier that never saw their entry: what an out-of-scope question gets.

    Zeroing the entry's probability and renormalising the others understates how sure the classifier is of
    a sibling entry once the real one is missing (the siblings take over its region when it is not
    trained): DialogFlow's held-out intents were answered more often than the publish-time estimate said.
    Entries are held out in ``ENTRY_FOLDS`` seeded groups, one warm-started refit per group.
    """
    groups = index.groups
    n = len(groups.ids)
    if index.classifier is None or n < 3:
        return {}
    order = list(range(n))
    random.Random(f"{seed}:entries").shuffle(order)
    count = min(ENTRY_FOLDS, n)
    fold_of_entry = np.empty(n, dtype="int64")
    fold_of_entry[order] = np.arange(n) % count
    out: dict[int, np.ndarray] = {}
    for fold in range(count):
        mine = [r for r in rows if fold_of_entry[groups.of_row[r]] == fold]
        keep = fold_of_entry[groups.of_row] != fold
        classifier = EntryClassifier.fit(index.vectors[keep], groups.of_row[keep], n, start=index.classifier) if mine else None
        if classifier is not None:
            out.update(zip(mine, classifier.probabilities(index.vectors[mine])))
    return out


def _held_out_queries(index: LanguageIndex, parts: list[list[int]], seed: int) -> dict[int, _Query]:
    """Each held-out wording searched against all the others, classified by a classifier fitted without its fold."""
    groups = index.groups
    out = {}
    without_entry = _without_entry_probabilities(index, [r for part in parts for r in part], seed)
    for part in parts:
        keep = np.ones(len(index.rows), dtype=bool)
        keep[part] = False
        classifier = EntryClassifier.fit(index.vectors[keep], groups.of_row[keep], len(groups.ids), start=index.classifier)
        probabilities = classifier.probabilities(index.vectors[part]) if classifier else np.ones((len(part), len(groups.ids)), dtype="float32")
        for start in range(0, len(part), SCORE_BATCH):
            rows = part[start : start + SCORE_BATCH]
            batch = index.row_scores(index.vectors[rows], [index.texts[r] for r in rows])
            for row, scores, p in zip(rows, batch, probabilities[start : start + SCORE_BATCH]):
                vector = index.vectors[row]
                home = int(groups.of_row[row])
                found = candidates(groups, scores, vector, p, exclude_row=row)
                without = candidates(groups, scores, vector, without_entry.get(row, p), exclude_entry=home) if len(groups.ids) > 1 else None
                out[row] = _Query(found, home, without)
    return out


def _probe_queries(index: LanguageIndex, probes: list[tuple[str, np.ndarray]]) -> list[_Query]:
    n = len(index.groups.ids)
    if not probes:
        return []
    vectors = np.stack([v for _, v in probes])
    scores = index.row_scores(vectors, [t for t, _ in probes])
    return [_Query(candidates(index.groups, s, v, class_probabilities(index.classifier, v, n)), None) for s, v in zip(scores, vectors)]


def _covered(probes: list[_Query], held_out: list[_Query]) -> list[_Query]:
    """Probes this knowledge base covers: as close to one of its wordings as its own held-out wordings typically are
    to their entry (a KB about weather and jokes must not learn that "tell me a joke" is off topic)."""
    own = [float(q.candidates.dense[q.candidates.entries == q.expected].max()) for q in held_out if (q.candidates.entries == q.expected).any()]
    if not own:
        return []
    typical = float(np.median(own))
    return [p for p in probes if len(p.candidates.dense) and float(p.candidates.dense.max()) >= typical]


def _training_rows(queries: list[_Query]) -> tuple[np.ndarray, np.ndarray]:
    features = [q.candidates.features for q in queries]
    labels = [q.candidates.entries == q.expected for q in queries]
    return np.concatenate(features), np.concatenate(labels)


def _outcome(query: _Query, ranker: Ranker, weight: float) -> Outcome:
    scores = ranker.score(query.candidates.features)
    order = np.argsort(-scores)
    ranked = query.candidates.entries[order]
    return Outcome(
        top=float(scores[order[0]]) if len(order) else 0.0,
        runner_up=float(scores[order[1]]) if len(order) > 1 else 0.0,
        correct=query.expected is not None and len(ranked) > 0 and ranked[0] == query.expected,
        shown=query.expected is not None and query.expected in ranked[:SHOWN],
        in_scope=query.expected is not None,
        weight=weight,
    )


def learn(index: LanguageIndex, probes: list[tuple[str, np.ndarray]], options: LearningOptions = LearningOptions()) -> None:
    """Fit ``index.ranker`` and calibrate ``index.gate`` from the index's own wordings and the probes (normalised text, vector)."""
    index.classifier = EntryClassifier.fit(index.vectors, index.groups.of_row, len(index.groups.ids))
    parts = folds(held_out_rounds(index, options.max_held_out, options.seed))
    by_row = _held_out_queries(index, parts, options.seed)
    held_out = list(by_row.values())
    probe_queries = _probe_queries(index, probes)
    covered = _covered(probe_queries, held_out)
    probe_queries = [p for p in probe_queries if not any(p is c for c in covered)]
    source = {
        "held_out_wordings": len(held_out),
        "off_topic_probes": len(probe_queries),
        "off_topic_probes_covered_by_kb": len(covered),  # left out: the KB answers them
        "oos_share": options.oos_share,
        "target_precision": options.target_precision,
        "precision_confidence": options.precision_confidence,
    }
    if len(held_out) < MIN_HELD_OUT:
        index.ranker = Ranker.default()
        scored = [(_outcome(q, index.ranker, 1.0)) for q in held_out]
    else:
        features, labels = _training_rows(held_out)
        index.ranker = Ranker.fit(features, labels, {"held_out_wordings": len(held_out), "candidate_rows": int(len(labels))})
        # Out of fold: the gate must see scores the way a new question gets them, not the ones the ranker was fitted to.
        scored = []
        for i, part in enumerate(parts):
            others = [by_row[r] for j, other in enumerate(parts) if j != i for r in other]
            ranker = Ranker.fit(*_training_rows(others)) if others else index.ranker
            scored += [_outcome(by_row[r], ranker, 1.0) for r in part]
    # Out of scope: most questions a shop's FAQ cannot answer are still about the shop, so three quarters
    # of the weight go to in-domain ones (held-out wordings whose whole entry is held out: they read like
    # the KB's own) and a quarter to off-topic probes; together ``oos_share`` of the traffic.
    entry_out = [_Query(q.entry_out, None) for q in held_out if q.entry_out is not None]
    oos_weight = (float(len(scored)) or 1.0) * options.oos_share / (1 - options.oos_share)
    shares = [(entry_out, IN_DOMAIN_SHARE), (probe_queries, 1 - IN_DOMAIN_SHARE)]
    total = sum(share for group, share in shares if group)
    for group, share in shares:
        if group:
            weight = oos_weight * share / total / len(group)
            scored += [_outcome(q, index.ranker, weight) for q in group]
    source["held_out_entries"] = len(entry_out)
    index.gate = calibrate(scored, "precision", options.target_precision, source, confidence=options.precision_confidence)
