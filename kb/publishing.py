"""Publishing: snapshot the published entries, embed only what is new, learn from them, write a new index version, switch to it."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

from core.settings import Settings, get_settings
from kb.embeddings import Embedder, EmbedderSet
from kb.index import KbIndex
from kb.offtopic import probes
from kb.records import FaqEntry
from kb.store import KbStore
from kb.text import normalize
from kb.training import LearningOptions, learn

OTHER_LANGUAGE_PROBES = 100  # other languages' wordings used as out-of-scope probes, at most, per language


def version_dir(namespace: str, version: int, root: Path | None = None) -> Path:
    return (root or get_settings().kb_dir) / namespace / f"v{version}"


class EmbedStats:
    """How many texts a build had to embed (the rest came from the cache)."""

    def __init__(self) -> None:
        self.embedded = 0
        self.cached = 0


def embed_with_cache(store: KbStore, embedder: Embedder, texts: list[str], progress: bool = False, stats: EmbedStats | None = None) -> dict[str, np.ndarray]:
    unique = list(dict.fromkeys(texts))
    vectors = store.cached_vectors(embedder.name, unique)
    missing = [t for t in unique if t not in vectors]
    if stats is not None:
        stats.embedded += len(missing)
        stats.cached += len(unique) - len(missing)
    batch = 256
    bar = tqdm(total=len(missing), desc="embedding", unit="text", disable=not progress or not missing)
    for start in range(0, len(missing), batch):
        chunk = missing[start : start + batch]
        fresh = dict(zip(chunk, embedder.embed(chunk)))
        store.cache_vectors(embedder.name, fresh)
        vectors.update(fresh)
        bar.update(len(chunk))
    bar.close()
    return vectors


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
    vectors: dict[str, dict[str, np.ndarray]] = {}
    models: dict[str, str] = {}
    languages = sorted({e.language for e in entries})
    for language in languages:
        embedder = embedders.for_language(language)
        models[language] = embedder.name
        texts = [normalize(t) for e in entries if e.language == language for t in e.texts()]
        vectors[language] = embed_with_cache(store, embedder, texts, progress, stats)
    index = KbIndex.build(version, models, entries, vectors)
    for language in languages:
        texts = _probe_texts(language, entries)
        probe_vectors = embed_with_cache(store, embedders.for_language(language), texts)
        learn(index.languages[language], [(t, probe_vectors[t]) for t in texts], options)
    return index


def rollback(store: KbStore, version: int, author: str = "system", root: Path | None = None) -> dict:
    """Serve an earlier version again: its index artifact is still on disk, so nothing is rebuilt."""
    known = {v["version"]: v for v in store.versions()}
    if version in known and not (version_dir(store.namespace, version, root) / "meta.json").exists():
        raise ValueError(f"version {version} was pruned (only the newest versions are kept; CS_KB_KEEP_VERSIONS)")
    if version not in known:
        raise ValueError(f"no published version {version}; known: {sorted(known)}")
    index = KbIndex.load(version_dir(store.namespace, version, root))
    store.restore_published(list(index.entries.values()))
    info = {**known[version], "rolled_back_by": author, "rolled_back_at": time.time()}
    store.set_published_version(version, info)
    return info


def publish(store: KbStore, embedders: EmbedderSet, author: str = "system", progress: bool = False, root: Path | None = None) -> dict:
    """Promote every draft, build a new index version of the published entries, switch to it. Returns the version's info."""
    started = time.time()
    entries = store.promote_drafts()
    version = store.next_version()
    stats = EmbedStats()
    index = build_index(version, entries, embedders, store, progress, stats)
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
        "author": author,
        "published_at": time.time(),
        "build_seconds": round(time.time() - started, 3),
    }
    store.set_published_version(version, info)
    prune_versions(store, keep=get_settings().kb_keep_versions, root=root)
    return {**info, "version": version}


def prune_versions(store: KbStore, keep: int, root: Path | None = None) -> list[int]:
    """Delete index artifacts older than the newest ``keep`` (never the live one): they can be large."""
    base = (root or get_settings().kb_dir) / store.namespace
    live = store.published_version()
    found = sorted(int(p.name[1:]) for p in base.glob("v*") if p.name[1:].isdigit())
    doomed = [v for v in found[:-keep] if v != live] if keep > 0 else []
    for v in doomed:
        shutil.rmtree(base / f"v{v}", ignore_errors=True)
    return doomed
