"""Publishing: snapshot the published entries, embed only what is new, learn from them, write a new index version, switch to it."""

from __future__ import annotations

import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from tqdm import tqdm

from core.settings import Settings, get_settings
from kb.embeddings import Embedder, EmbedderSet
from kb.index import KbIndex
from kb.offtopic import probes
from kb.overlay import is_complete, load_version, overlay_base, version_entries, write_overlay
from kb.records import FaqEntry
from kb.store import KbStore, reopen_learning
from kb.text import normalize
from kb.training import LearningOptions, learn

EMBED_THREADS = 2  # chunks embedded at once at publish, whatever their language (the box has 2 cores; bench/kb_learning.py)
EMBED_CHUNK = 64  # texts per chunk: small enough that both threads stay busy to the end
OTHER_LANGUAGE_PROBES = 100  # other languages' wordings used as out-of-scope probes, at most, per language


def version_dir(namespace: str, version: int, root: Path | None = None) -> Path:
    return (root or get_settings().kb_dir) / namespace / f"v{version}"


class EmbedStats:
    """How many texts a build had to embed (the rest came from the cache)."""

    def __init__(self) -> None:
        self.embedded = 0
        self.cached = 0
        self.lock = threading.Lock()  # chunks are embedded on several threads


def embed_many(store: KbStore, work: dict[str, tuple[Embedder, list[str]]], progress: bool = False,
               stats: EmbedStats | None = None) -> dict[str, dict[str, np.ndarray]]:
    """The vectors of each language's texts: cached ones read back, the rest embedded in chunks on
    ``EMBED_THREADS`` threads taken from one queue, so a Chinese-only KB (the slower model) keeps both
    cores busy as well as a bilingual one."""
    vectors: dict[str, dict[str, np.ndarray]] = {}
    chunks: list[tuple[str, Embedder, list[str]]] = []
    for key, (embedder, texts) in work.items():
        unique = list(dict.fromkeys(texts))
        vectors[key] = store.cached_vectors(embedder.name, unique)
        missing = [t for t in unique if t not in vectors[key]]
        if stats is not None:
            with stats.lock:
                stats.embedded += len(missing)
                stats.cached += len(unique) - len(missing)
        chunks += [(key, embedder, missing[i : i + EMBED_CHUNK]) for i in range(0, len(missing), EMBED_CHUNK)]
    total = sum(len(c) for _, _, c in chunks)
    bar = tqdm(total=total, desc="embedding", unit="text", disable=not progress or not total)
    lock = threading.Lock()

    def embed_chunk(job: tuple[str, Embedder, list[str]]) -> None:
        key, embedder, texts = job
        fresh = dict(zip(texts, embedder.embed(texts)))
        store.cache_vectors(embedder.name, fresh)
        with lock:
            vectors[key].update(fresh)
            bar.update(len(texts))

    with ThreadPoolExecutor(max_workers=max(1, min(EMBED_THREADS, len(chunks)))) as pool:
        list(pool.map(embed_chunk, chunks))
    bar.close()
    return vectors


def embed_with_cache(store: KbStore, embedder: Embedder, texts: list[str], progress: bool = False, stats: EmbedStats | None = None) -> dict[str, np.ndarray]:
    return embed_many(store, {"": (embedder, texts)}, progress, stats)[""]


def learning_options(settings: Settings) -> LearningOptions:
    return LearningOptions(max_held_out=settings.kb_learning_max_held_out, target_precision=settings.kb_gate_target_precision,
                           oos_share=settings.kb_gate_oos_share, precision_confidence=settings.kb_gate_precision_confidence)


def _probe_texts(language: str, entries: list[FaqEntry]) -> list[str]:
    """Generic off-topic questions and (a seeded sample of) the other languages' wordings."""
    others = sorted({normalize(t) for e in entries if e.language != language for t in e.texts()})
    others = others[:: max(1, len(others) // OTHER_LANGUAGE_PROBES)][:OTHER_LANGUAGE_PROBES]
    return list(dict.fromkeys([normalize(t) for t in probes(language)] + others))


def build_index(version: int, entries: list[FaqEntry], embedders: EmbedderSet, store: KbStore, progress: bool = False,
                stats: EmbedStats | None = None, options: LearningOptions | None = None) -> KbIndex:
    """An index over ``entries`` with each language's ranker and gate learned from them.

    Only wordings never embedded before under the same model are embedded (normalised, see ``kb.text``).
    """
    options = options or learning_options(get_settings())
    languages = sorted({e.language for e in entries})
    models = {language: embedders.for_language(language).name for language in languages}
    work = {language: (embedders.for_language(language), [normalize(t) for e in entries if e.language == language for t in e.texts()])
            for language in languages}
    vectors = embed_many(store, work, progress, stats)
    index = KbIndex.build(version, models, entries, vectors)
    probe_texts = {language: _probe_texts(language, entries) for language in languages}
    probe_vectors = embed_many(store, {language: (embedders.for_language(language), texts) for language, texts in probe_texts.items()})
    for language, texts in probe_texts.items():
        learn(index.languages[language], [(t, probe_vectors[language][t]) for t in texts], options)
    return index


def _rollback_target(store: KbStore, version: int, root: Path | None) -> dict:
    """The info of a version a rollback can serve; ValueError when there is none (unknown, or its artifact pruned)."""
    info = store.version_info(version)
    if info is None:
        raise ValueError(f"no published version {version}; known: {sorted(v['version'] for v in store.versions())}")
    if not is_complete(version_dir(store.namespace, version, root)):
        raise ValueError(f"version {version} was pruned (only the newest versions are kept; CS_KB_KEEP_VERSIONS)")
    return info


def rollback_changes(store: KbStore, version: int, root: Path | None = None) -> dict:
    """What rolling back to ``version`` would change, asked before doing it (the editor's confirmation): the live
    entries that would get ``version``'s text again (``reverted``), those ``version`` does not have (``removed``) and
    those it has that are not live (``restored``), by id; and whether it would be learning again (``learning``:
    ``"pending"`` for a version published as an overlay on ``base``, ``docs/retrieval.md``)."""
    info = _rollback_target(store, version, root)
    target = version_entries(lambda v: version_dir(store.namespace, v, root), version)
    live = {e.id: e for e in store.list_published()}
    return {
        "version": version,
        "live": store.published_version(),
        "reverted": sorted(i for i in target.keys() & live.keys() if not target[i].content_equals(live[i])),
        "removed": sorted(live.keys() - target.keys()),
        "restored": sorted(target.keys() - live.keys()),
        "learning": reopen_learning(info).get("learning", "full"),
        "base": info.get("base"),
    }


def rollback(store: KbStore, version: int, author: str = "system", root: Path | None = None) -> dict:
    """Serve an earlier version again: its index artifact is still on disk, so nothing is rebuilt."""
    chosen = _rollback_target(store, version, root)
    index = load_version(lambda v: version_dir(store.namespace, v, root), version)
    store.restore_published(list(index.entries.values()))
    info = {**reopen_learning(chosen), "rolled_back_by": author, "rolled_back_at": time.time()}
    store.set_published_version(version, info)
    return info


def _wordings(entry: FaqEntry) -> list[str]:
    """The entry's distinct normalised wordings: its rows in an index."""
    return list(dict.fromkeys(normalize(t) for t in entry.texts()))


def publish(store: KbStore, embedders: EmbedderSet, author: str = "system", progress: bool = False, root: Path | None = None,
            *, fast: bool = False, settings: Settings | None = None) -> dict:
    """Promote every draft and publish a new version of the published entries. Returns the version's info.

    ``fast``: when few entries changed since the newest full version (``kb_overlay_max_entries``),
    publish an overlay on it (``kb.overlay``: searchable in seconds at any size, ``learning: "pending"``)
    and leave the full rebuild to a background relearn (``kb.relearning``); otherwise build in full.
    """
    started = time.time()
    settings = settings or get_settings()
    changed_now = store.promote()  # id -> the copy it published until now
    version = store.next_version()
    base = _overlay_base(store, embedders, root) if fast else None
    if base is not None:
        base_version, live_info, changed_before = base
        changed = changed_before | set(changed_now)
        if len(changed) <= settings.kb_overlay_max_entries:
            return _publish_overlay(store, embedders, version, base_version, live_info, changed, changed_now, author, started, root, settings)
    entries = store.list_published()
    return publish_full(store, embedders, entries, version, {"author": author}, started, progress, root, settings)


def publish_full(store: KbStore, embedders: EmbedderSet, entries: list[FaqEntry], version: int, extra: dict, started: float,
                 progress: bool = False, root: Path | None = None, settings: Settings | None = None, expected_live: int | None = None) -> dict | None:
    """Build, save and switch to a complete version of ``entries``. ``expected_live``: switch only if that version is still
    live (a background relearn); None (and the artifact removed) when it was not."""
    settings = settings or get_settings()
    stats = EmbedStats()
    index = build_index(version, entries, embedders, store, progress, stats, learning_options(settings))
    target = version_dir(store.namespace, version, root)
    if target.exists():
        shutil.rmtree(target)
    index.save(target)
    info = {
        "entries": len(entries),
        "texts": sum(len(i.rows) for i in index.languages.values()),
        "embedded_texts": stats.embedded,  # only new or changed wordings are embedded again
        "models": index.models,
        # the calibrated gate of each language and the precision it is expected to give
        "gates": {lang: li.gate.to_dict() for lang, li in index.languages.items() if li.gate},
        "learning": "full",
        **extra,
        "published_at": time.time(),
        "build_seconds": round(time.time() - started, 3),
    }
    if expected_live is None:
        store.set_published_version(version, info)
    elif not store.set_published_version_if(expected_live, version, info):
        shutil.rmtree(target, ignore_errors=True)
        return None
    prune_versions(store, keep=settings.kb_keep_versions, root=root)
    return {**info, "version": version}


def _overlay_base(store: KbStore, embedders: EmbedderSet, root: Path | None) -> tuple[int, dict, set[str]] | None:
    """(base version, live version's info, entries changed since the base) when a re-publish can overlay the newest
    full version: its artifact is on disk and its languages were embedded with the models configured now."""
    live = store.published_version()
    info = store.version_info(live) if live is not None else None
    if info is None:
        return None
    base = int(info.get("base", live))
    base_info = store.version_info(base) if base != live else info
    if base_info is None or not (version_dir(store.namespace, base, root) / "meta.json").exists():
        return None
    if any(embedders.for_language(lang).name != model for lang, model in base_info.get("models", {}).items()):
        return None
    return base, info, set(info.get("changed", []))


def _publish_overlay(store: KbStore, embedders: EmbedderSet, version: int, base: int, live_info: dict, changed: set[str],
                     changed_now: dict[str, FaqEntry | None], author: str, started: float, root: Path | None,
                     settings: Settings) -> dict:
    stats = EmbedStats()
    current = store.published_entries(sorted(changed))
    entries = [current[i] for i in sorted(current)]
    rows: dict[str, tuple[list[str], list[str], np.ndarray]] = {}
    models: dict[str, str] = {}
    for language in sorted({e.language for e in entries}):
        embedder = embedders.for_language(language)
        models[language] = embedder.name
        pairs = [(e.id, text) for e in entries if e.language == language for text in _wordings(e)]
        vectors = embed_with_cache(store, embedder, [t for _, t in pairs], stats=stats)
        matrix = np.stack([vectors[t] for _, t in pairs]).astype("float32")
        rows[language] = ([eid for eid, _ in pairs], [t for _, t in pairs], matrix)
    write_overlay(version_dir(store.namespace, version, root), version, base, models, changed, entries, rows)
    now_rows = sum(len(_wordings(e)) for i, e in current.items() if i in changed_now)
    info = {
        "entries": store.published_count(),
        "texts": live_info.get("texts", 0) - sum(len(_wordings(e)) for e in changed_now.values() if e is not None) + now_rows,
        "embedded_texts": stats.embedded,
        "models": {**live_info.get("models", {}), **models},
        "gates": live_info.get("gates", {}),  # the base's: what this version's searches apply
        # the base's ranker and gate serve until a background relearn publishes a complete version (kb.relearning)
        "learning": "pending" if changed else "full",
        "base": base,
        "changed": sorted(changed),
        "author": author,
        "published_at": time.time(),
        "build_seconds": round(time.time() - started, 3),
    }
    store.set_published_version(version, info)
    prune_versions(store, keep=settings.kb_keep_versions, root=root)
    return {**info, "version": version}


def prune_versions(store: KbStore, keep: int, root: Path | None = None) -> list[int]:
    """Delete index artifacts older than the newest ``keep`` (never the live one, nor the base of a kept overlay): they can be large."""
    base = (root or get_settings().kb_dir) / store.namespace
    live = store.published_version()
    # Only versions this store published: a folder left by an earlier store (Redis wiped, the files kept)
    # could carry a higher number than every current version and push those out; it is overwritten when
    # its number comes round again. A build in progress is not a known version yet either.
    known = {v["version"] for v in store.versions()}
    found = sorted(int(p.name[1:]) for p in base.glob("v*") if p.name[1:].isdigit() and int(p.name[1:]) in known)
    kept = found[-keep:] if keep > 0 else found
    needed = {live} | {b for v in {*kept, live} if v is not None and (b := overlay_base(base / f"v{v}")) is not None}
    doomed = [v for v in found[:-keep] if v not in needed] if keep > 0 else []
    for v in doomed:
        shutil.rmtree(base / f"v{v}", ignore_errors=True)
    return doomed
