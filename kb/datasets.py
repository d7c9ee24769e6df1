"""Labelled data sets for ``kb eval``: a knowledge base (one entry per label) plus questions with the expected entry.

- ``banking77``: ``banking77/train.csv`` (KB) and ``test.csv`` (questions); no out-of-scope questions.
- ``clinc150``: ``clinc150/data_full.json``; KB from ``train``, validation questions from
  ``val`` + ``oos_val``, test questions from ``test`` + ``oos_test``.
- ``dialogflow-support-{zh,en}``, ``dialogflow-small-talk-{zh,en}``: DialogFlow's prebuilt agents
  (``dialogflow/<agent>/{zh-CN,en}.json``, Rasa NLU JSON), only the intents both languages have, so
  Chinese and English are measured on the same questions. No official split: a fixed seed holds
  ``HELD_OUT_SHARE`` of the intents out entirely (their examples are out-of-scope questions), and
  splits each kept intent's examples into KB phrasings / validation / test (``DIALOGFLOW_SPLIT``).
  The same seed gives the same intents and the same shares in both languages.
- ``zh`` / ``en``: the project's own starter FAQ (``data/faq/starter.json``) of that language, and
  that language's held-out questions in ``tests/data/retrieval_queries.json``
  (``expected_id`` null = out of scope). No validation split: ``kb eval`` splits the questions.

Each label becomes one entry: id = label, question = its first training example,
phrasings = the rest (or ``k`` of them, sampled with a fixed seed).
"""

from __future__ import annotations

import csv
import json
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

from core.settings import ROOT
from kb.records import FaqEntry

DIALOGFLOW = {f"dialogflow-{agent}-{lang}": (agent, lang) for agent in ("support", "small-talk") for lang in ("zh", "en")}
DATASETS = ("banking77", "clinc150", *DIALOGFLOW, "zh", "en")
# DialogFlow: share of each kept intent's examples that become KB phrasings / validation (rest: test),
# and the share of intents held out as out of scope. Chosen so the smallest intents still get one
# test question and a KB keeps about half of its examples (a real FAQ's few phrasings per entry).
DIALOGFLOW_SPLIT = (0.5, 0.25)
HELD_OUT_SHARE = 0.2
_DIALOGFLOW_FILES = {"zh": "zh-CN.json", "en": "en.json"}
DEFAULT_DATA_DIR = ROOT.parent / "shared" / "eval-data"
STARTER = ROOT / "data" / "faq" / "starter.json"
PROJECT_QUERIES = ROOT / "tests" / "data" / "retrieval_queries.json"


class DatasetError(RuntimeError):
    """Unknown data set or missing/unreadable files; the message says where it looked."""


@dataclass
class Question:
    query: str
    expected_id: str | None  # None: out of scope, the bot should not answer


@dataclass
class Dataset:
    name: str
    language: str
    entries: list[FaqEntry]
    test: list[Question]
    val: list[Question] | None = None  # None: no validation split; kb eval splits ``test``
    source: dict = field(default_factory=dict)  # which files were read

    @property
    def labels(self) -> list[str]:
        return [e.id for e in self.entries]


def entry_id(label: str) -> str:
    """A label as an entry id (ids allow ``A-Za-z0-9_.:-``; BANKING77 has ``reverted_card_payment?``)."""
    return re.sub(r"[^A-Za-z0-9_.:\-]", "_", label)


def _need(path: Path, what: str) -> Path:
    if not path.is_file():
        raise DatasetError(f"{what}: {path} not found (pass --data-dir DIR, the folder holding banking77/ and clinc150/)")
    return path


def _entries_from_examples(examples: list[tuple[str, str]], k: int | None, seed: int) -> list[FaqEntry]:
    """One entry per label in order of first appearance; question = first example, phrasings = the rest (or k of them)."""
    by_label: dict[str, list[str]] = {}
    for text, label in examples:
        text = text.strip()
        if text:
            by_label.setdefault(label, []).append(text)
    entries = []
    for label, texts in by_label.items():
        question, rest = texts[0], list(dict.fromkeys(t for t in texts[1:] if t != texts[0]))
        if k is not None and len(rest) > k:
            # Seeded per label, so an entry's phrasings do not depend on which other labels are loaded.
            rest = random.Random(f"{seed}:{label}").sample(rest, k)
        entries.append(FaqEntry(id=entry_id(label), question=question, phrasings=rest, answer=f"[{label}]", category="other", language="en"))
    return entries


def _limit_labels(entries: list[FaqEntry], labels: int | None) -> list[FaqEntry]:
    return entries if labels is None else entries[:labels]


def _questions(rows: list[tuple[str, str | None]], keep: set[str]) -> list[Question]:
    """In-scope questions of labels not kept are dropped (not turned into out-of-scope ones)."""
    return [Question(q, None if label is None else entry_id(label)) for q, label in rows if label is None or entry_id(label) in keep]


def load_banking77(data_dir: Path, k: int | None = None, labels: int | None = None, seed: int = 0) -> Dataset:
    folder = data_dir / "banking77"
    train_path, test_path = _need(folder / "train.csv", "banking77 train"), _need(folder / "test.csv", "banking77 test")

    def read(path: Path) -> list[tuple[str, str]]:
        with path.open(encoding="utf-8", newline="") as fh:
            return [(row["text"], row["category"]) for row in csv.DictReader(fh)]

    entries = _limit_labels(_entries_from_examples(read(train_path), k, seed), labels)
    keep = {e.id for e in entries}
    test = _questions([(q, lab) for q, lab in read(test_path)], keep)
    return Dataset("banking77", "en", entries, test, None, {"train": str(train_path), "test": str(test_path)})


def load_clinc150(data_dir: Path, k: int | None = None, labels: int | None = None, seed: int = 0) -> Dataset:
    path = _need(data_dir / "clinc150" / "data_full.json", "clinc150")
    data = json.loads(path.read_text(encoding="utf-8"))
    entries = _limit_labels(_entries_from_examples([(q, lab) for q, lab in data["train"]], k, seed), labels)
    keep = {e.id for e in entries}
    val = _questions([(q, lab) for q, lab in data["val"]] + [(q, None) for q, _ in data["oos_val"]], keep)
    test = _questions([(q, lab) for q, lab in data["test"]] + [(q, None) for q, _ in data["oos_test"]], keep)
    return Dataset("clinc150", "en", entries, test, val, {"data": str(path)})


def load_project(language: str, k: int | None = None, labels: int | None = None, seed: int = 0,
                 starter: Path = STARTER, queries: Path = PROJECT_QUERIES) -> Dataset:
    from kb.io import read_file

    parsed = read_file(_need(starter, "starter FAQ"))
    if parsed.errors:
        raise DatasetError(f"{starter}: {len(parsed.errors)} bad row(s), first: {parsed.errors[0].message}")
    entries = []
    for e in parsed.entries:
        if e.language != language:  # every entry of the file (publishing promotes drafts)
            continue
        if k is not None and len(e.phrasings) > k:
            e = e.model_copy(update={"phrasings": random.Random(f"{seed}:{e.id}").sample(e.phrasings, k)})
        entries.append(e)
    entries = _limit_labels(entries, labels)
    keep = {e.id for e in entries}
    rows = json.loads(_need(queries, "labelled questions").read_text(encoding="utf-8"))
    test = _questions([(r["query"], r["expected_id"]) for r in rows if r["language"] == language], keep)
    return Dataset(language, language, entries, test, None, {"kb": str(starter), "questions": str(queries)})


def _dialogflow_examples(data_dir: Path, agent: str, language: str) -> list[tuple[str, str]]:
    path = _need(data_dir / "dialogflow" / agent / _DIALOGFLOW_FILES[language], f"dialogflow {agent} {language}")
    rows = json.loads(path.read_text(encoding="utf-8"))["rasa_nlu_data"]["common_examples"]
    return [(r["text"].strip(), r["intent"]) for r in rows if r["text"].strip()]


def load_dialogflow(data_dir: Path, agent: str, language: str, seed: int = 0) -> Dataset:
    """One DialogFlow agent in one language, on the intents both languages share (see the module docstring)."""
    both = [_dialogflow_examples(data_dir, agent, lang) for lang in ("zh", "en")]
    shared = sorted({i for _, i in both[0]} & {i for _, i in both[1]})
    held_out = set(random.Random(f"{seed}:dialogflow:{agent}:held-out").sample(shared, round(len(shared) * HELD_OUT_SHARE)))
    by_intent: dict[str, list[str]] = {}
    for text, intent in _dialogflow_examples(data_dir, agent, language):
        if intent in shared:
            by_intent.setdefault(intent, []).append(text)
    entries: list[FaqEntry] = []
    val: list[Question] = []
    test: list[Question] = []
    for intent, texts in by_intent.items():
        texts = list(dict.fromkeys(texts))
        random.Random(f"{seed}:dialogflow:{agent}:{language}:{intent}").shuffle(texts)
        if intent in held_out:  # out of scope: half validation, half test
            half = len(texts) // 2
            val += [Question(t, None) for t in texts[:half]]
            test += [Question(t, None) for t in texts[half:]]
            continue
        n_kb = max(1, round(len(texts) * DIALOGFLOW_SPLIT[0]))
        n_val = max(1, round(len(texts) * DIALOGFLOW_SPLIT[1])) if len(texts) - n_kb >= 2 else 0
        kb, v, t = texts[:n_kb], texts[n_kb : n_kb + n_val], texts[n_kb + n_val :]
        eid = entry_id(intent)
        entries.append(FaqEntry(id=eid, question=kb[0], phrasings=kb[1:], answer=f"[{intent}]", category="other", language=language))
        val += [Question(q, eid) for q in v]
        test += [Question(q, eid) for q in t]
    name = f"dialogflow-{agent}-{language}"
    return Dataset(name, language, entries, test, val, {"data": str(data_dir / "dialogflow" / agent), "held_out_intents": sorted(held_out)})


def load(name: str, data_dir: Path | None = None, k: int | None = None, labels: int | None = None, seed: int = 0) -> Dataset:
    data_dir = Path(data_dir) if data_dir else DEFAULT_DATA_DIR
    if name == "banking77":
        return load_banking77(data_dir, k, labels, seed)
    if name == "clinc150":
        return load_clinc150(data_dir, k, labels, seed)
    if name in DIALOGFLOW:
        return load_dialogflow(data_dir, *DIALOGFLOW[name], seed=seed)
    if name in ("zh", "en"):
        return load_project(name, k, labels, seed)
    raise DatasetError(f"unknown data set {name!r}; expected one of {', '.join(DATASETS)}")
