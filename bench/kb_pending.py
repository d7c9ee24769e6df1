"""How a quick publish answers while it is pending, against the complete version that replaces it (issue 14, kb.overlay).

    .venv/bin/python bench/kb_pending.py              # about 2-3 minutes on 2 cores
    .venv/bin/python bench/kb_pending.py --added 20

The starter KB is published in full ("base"), then ``--added`` entries per language are added by
a quick publish (served as an overlay on the base's learning, ``learning: "pending"``), then the
background relearn's complete version ("full") replaces it. Asked of each: the starter KB's held-out
questions (tests/data/retrieval_queries.json, never stored), and for each added entry its own five
stored wordings ("verbatim") and up to seven other examples of its intent ("paraphrase"). Added
entries are cut from public labelled data (BANKING77 train for English, DialogFlow support zh for
Chinese), seeded. Printed per language and kind: top-1 right, answered right, answered wrong,
fallbacks, and how often the pending version decided as the complete one did. Nothing is asserted.

Own throwaway Valkey on port 16997, data under var/bench-pending.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._env import throwaway_valkey  # noqa: E402

PORT = 16997
VERBATIM, PARAPHRASES = 5, 7


def added_entries(count: int, data_dir: Path, seed: int) -> tuple[list, list[tuple[str, str, str, str]]]:
    """``count`` new entries per language and the questions asked of them: (language, entry id, text, kind)."""
    from kb.records import FaqEntry

    rng = random.Random(seed)
    sources: dict[str, dict[str, list[str]]] = {"en": defaultdict(list), "zh": defaultdict(list)}
    with (data_dir / "banking77" / "train.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            sources["en"][row["category"]].append(row["text"])
    support = json.loads((data_dir / "dialogflow" / "support" / "zh-CN.json").read_text(encoding="utf-8"))
    for example in support["rasa_nlu_data"]["common_examples"]:
        sources["zh"][example["intent"]].append(example["text"])
    entries, questions = [], []
    for language, by_label in sources.items():
        labels = sorted(label for label, texts in by_label.items() if len(set(texts)) >= VERBATIM + 4)
        for label in rng.sample(labels, min(count, len(labels))):
            texts = list(dict.fromkeys(by_label[label]))
            rng.shuffle(texts)
            entry_id = re.sub(r"[^A-Za-z0-9_.-]", "_", f"added-{language}-{label}")[:60]
            entries.append(FaqEntry(id=entry_id, question=texts[0], phrasings=texts[1:VERBATIM], answer=f"[{label}]", language=language))
            questions += [(language, entry_id, t, "verbatim") for t in texts[:VERBATIM]]
            questions += [(language, entry_id, t, "paraphrase") for t in texts[VERBATIM : VERBATIM + PARAPHRASES]]
    return entries, questions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--added", type=int, default=10, help="entries added per language (default 10)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--data-dir", default=str(ROOT.parent / "shared" / "eval-data"))
    args = parser.parse_args()

    import redis

    from core.settings import Settings
    from kb.io import read_file
    from kb.publishing import publish
    from kb.relearning import relearn
    from kb.search import Searcher

    var_dir = ROOT / "var" / "bench-pending"
    with throwaway_valkey(PORT, var_dir) as url:
        settings = Settings(redis_url=url, var_dir=var_dir, kb_query_cache_size=0)
        searcher = Searcher.from_settings(settings, redis.Redis.from_url(url, decode_responses=True), namespace="bench-pending")
        searcher.store.save_many(read_file(ROOT / "data" / "faq" / "starter.json").entries, "bench")
        publish(searcher.store, searcher.embedders, "bench", root=settings.kb_dir)
        held_out = json.loads((ROOT / "tests" / "data" / "retrieval_queries.json").read_text(encoding="utf-8"))
        questions = [(q["language"], q.get("expected_id") or "-", q["query"], "starter held-out") for q in held_out]

        def ask(asked: list[tuple[str, str, str, str]]) -> dict[tuple[str, str], tuple[str | None, str]]:
            searcher._checked_at = 0.0  # as if the once-a-second version check came now
            out = {}
            for lang, _, text, _ in asked:
                result = searcher.search(text, lang)
                out[(lang, text)] = (result.top.id if result.top else None, result.decision)
            return out

        base = ask(questions)
        entries, added = added_entries(args.added, Path(args.data_dir), args.seed)
        questions += added
        searcher.store.save_many(entries, "bench")
        quick = publish(searcher.store, searcher.embedders, "bench", root=settings.kb_dir, fast=True, settings=settings)
        print(f"starter KB + {len(entries)} entries added by a quick publish: version {quick['version']}, learning {quick.get('learning')}")
        pending = ask(questions)
        relearn(searcher.store, searcher.embedders, quick["version"], settings, settings.kb_dir)
        full = ask(questions)

    print("\n| language | questions | version | n | top-1 right | answered right | answered wrong | fallback | same decision as full |")
    print("|---|---|---|---|---|---|---|---|---|")
    for language in ("en", "zh"):
        for kind in ("starter held-out", "verbatim", "paraphrase"):
            asked = [(eid, text) for lang, eid, text, k in questions if lang == language and k == kind]
            for name, result in (("base", base), ("pending", pending), ("full", full)):
                if name == "base" and kind != "starter held-out":
                    continue  # the added entries do not exist in the base
                c = Counter()
                for eid, text in asked:
                    top, decision = result[(language, text)]
                    c["top1"] += top == eid
                    c["right"] += top == eid and decision == "answer"
                    c["wrong"] += top != eid and decision == "answer"
                    c["fallback"] += decision == "fallback"
                    c["same"] += decision == full[(language, text)][1]
                print(f"| {language} | {kind} | {name} | {len(asked)} | {c['top1']} | {c['right']} | {c['wrong']} | {c['fallback']} | {c['same']} |")


if __name__ == "__main__":
    main()
