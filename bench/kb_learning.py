"""What learning at publish costs, and how fast a search is (issue 8): publish time of a 1,000-entry
knowledge base and of a one-entry edit, and query latency percentiles per language.

    .venv/bin/python bench/kb_learning.py               # about 5-10 minutes on 2 cores
    .venv/bin/python bench/kb_learning.py --entries 300 --queries 100
    CS_EMBEDDING_ONNX=false .venv/bin/python bench/kb_learning.py --entries 0   # starter KB on torch

It starts its own throwaway Valkey (port 16996) and writes under var/bench-learning. The
1,000-entry KB is made of public evaluation data cut into entries of six wordings (CLINC150 for
English, DialogFlow's agents for Chinese: ``--zh-share`` of the entries); the entries only need to
look like a real FAQ's, nothing is scored here. Query latency is measured on the starter KB with the
held-out questions of tests/data/retrieval_queries.json (one ``Searcher.search`` call: embedding,
FAISS or a matrix product, BM25, character n-grams, classifier, ranker, gate), then on the big KB.
Printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bench._env import throwaway_valkey  # noqa: E402
from bench._stats import ms_percentiles  # noqa: E402

PORT = 16996
WORDINGS_PER_ENTRY = 6


def big_kb(entries: int, zh_share: float, data_dir: Path) -> list:
    """``entries`` FAQ-shaped entries (six wordings each) cut from public labelled data."""
    from kb.records import FaqEntry

    clinc = json.loads((data_dir / "clinc150" / "data_full.json").read_text(encoding="utf-8"))
    zh_rows = []
    for agent in ("small-talk", "support"):
        zh_rows += json.loads((data_dir / "dialogflow" / agent / "zh-CN.json").read_text(encoding="utf-8"))["rasa_nlu_data"]["common_examples"]

    def chunks(rows: list[tuple[str, str]], language: str, limit: int) -> list:
        by_label: dict[str, list[str]] = {}
        for text, label in rows:
            by_label.setdefault(label, []).append(text)
        out = []
        for label, texts in by_label.items():
            for i in range(0, len(texts) - WORDINGS_PER_ENTRY + 1, WORDINGS_PER_ENTRY):
                part = texts[i : i + WORDINGS_PER_ENTRY]
                out.append(FaqEntry(id=f"bench-{language}-{len(out)}", question=part[0], phrasings=part[1:], answer=f"[{label}]", language=language))
        return out[:limit]

    n_zh = round(entries * zh_share)
    zh = chunks([(r["text"], r["intent"]) for r in zh_rows], "zh", n_zh)
    en = chunks([(t, lab) for t, lab in clinc["train"]], "en", entries - len(zh))
    return en + zh


def search_latency(searcher, questions: dict[str, list[str]], repeat: int) -> dict[str, dict[str, float]]:
    out = {}
    for language, pool in questions.items():
        for q in pool[:10]:
            searcher.search(q, language)  # warm-up: model and index loaded
        seconds = []
        for i in range(repeat):
            started = time.perf_counter()
            searcher.search(pool[i % len(pool)], language)
            seconds.append(time.perf_counter() - started)
        out[language] = ms_percentiles(seconds)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=1000, help="size of the big KB; 0: the starter KB only")
    parser.add_argument("--zh-share", type=float, default=0.25)
    parser.add_argument("--queries", type=int, default=200, help="timed searches per language and KB")
    parser.add_argument("--query-cache", action="store_true", help="keep the query-vector cache on (its questions repeat)")
    parser.add_argument("--data-dir", default=str(ROOT.parent / "shared" / "eval-data"))
    args = parser.parse_args()

    var_dir = ROOT / "var" / "bench-learning"
    with throwaway_valkey(PORT, var_dir) as url:
        run(args, var_dir, url)


def run(args, var_dir: Path, redis_url: str) -> None:
    import redis

    from core.settings import Settings
    from kb.io import read_file
    from kb.publishing import publish
    from kb.relearning import relearn
    from kb.search import Searcher

    # Every timed search embeds its question, as a new question would, unless --query-cache.
    settings = Settings(redis_url=redis_url, var_dir=var_dir, **({} if args.query_cache else {"kb_query_cache_size": 0}))
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    queries = json.loads((ROOT / "tests" / "data" / "retrieval_queries.json").read_text(encoding="utf-8"))
    questions = {lang: [q["query"] for q in queries if q["language"] == lang] for lang in ("en", "zh")}

    starter = Searcher.from_settings(settings, client, namespace="bench-starter")
    starter.store.save_many(read_file(ROOT / "data" / "faq" / "starter.json").entries, "bench")
    info = publish(starter.store, starter.embedders, "bench", root=settings.kb_dir)
    print(f"starter KB: {info['entries']} entries, {info['texts']} texts, first publish {info['build_seconds']} s (embedding included)")
    latency = search_latency(starter, questions, args.queries)
    for language, p in latency.items():
        print(f"  query latency {language}: p50 {p['p50']} ms, p95 {p['p95']} ms, p99 {p['p99']} ms ({args.queries} searches)")

    if not args.entries:
        return
    big = Searcher.from_settings(settings, client, namespace="bench-big")
    entries = big_kb(args.entries, args.zh_share, Path(args.data_dir))
    big.store.save_many(entries, "bench")
    first = publish(big.store, big.embedders, "bench", root=settings.kb_dir)
    print(f"{len(entries)}-entry KB ({sum(e.language == 'zh' for e in entries)} zh): first publish {first['build_seconds']} s "
          f"({first['embedded_texts']} texts embedded)")
    again = publish(big.store, big.embedders, "bench", root=settings.kb_dir)
    print(f"  publish again, nothing changed (learning only): {again['build_seconds']} s")
    edited = entries[0].model_copy(update={"phrasings": [*entries[0].phrasings[:-1], "a rewritten wording for the benchmark"]})
    big.store.save_many([edited], "bench")
    edit = publish(big.store, big.embedders, "bench", root=settings.kb_dir)
    print(f"  publish after editing one entry, full rebuild: {edit['build_seconds']} s ({edit['embedded_texts']} text embedded)")
    for language, gate in edit["gates"].items():
        print(f"  {language} gate: answer {gate['answer']}, suggest {gate['suggest']}, margin {gate['margin']}, expected precision {gate['expected_precision']}")

    # The editor's publish (kb.overlay): served at once over the previous version, relearned in full in the background.
    big.search("warm up", "en")
    edited = entries[1].model_copy(update={"phrasings": [*entries[1].phrasings[:-1], "another rewritten wording for the benchmark"]})
    big.store.save_many([edited], "bench")
    started = time.perf_counter()
    fast = publish(big.store, big.embedders, "bench", root=settings.kb_dir, fast=True, settings=settings)
    published_s = time.perf_counter() - started
    big._checked_at = 0.0  # as if the searcher's once-a-second check came now
    found = big.search("another rewritten wording for the benchmark", "en")
    searchable_s = time.perf_counter() - started
    print(f"  publish after editing one entry, overlay: {published_s:.2f} s, searchable {searchable_s:.2f} s "
          f"(learning {found.learning}, version {found.version}, top {found.top.id if found.top else None}, {fast['embedded_texts']} text embedded)")
    latency = search_latency(big, questions, args.queries)
    for language, p in latency.items():
        print(f"  query latency {language} on the big KB, overlay version: p50 {p['p50']} ms, p95 {p['p95']} ms, p99 {p['p99']} ms")
    started = time.perf_counter()
    complete = relearn(big.store, big.embedders, fast["version"], settings, settings.kb_dir)
    print(f"  background relearn to a complete version: {time.perf_counter() - started:.1f} s (version {complete['version'] if complete else None})")
    big._checked_at = 0.0
    latency = search_latency(big, questions, args.queries)
    for language, p in latency.items():
        print(f"  query latency {language} on the big KB, complete version: p50 {p['p50']} ms, p95 {p['p95']} ms, p99 {p['p99']} ms")


if __name__ == "__main__":
    main()
