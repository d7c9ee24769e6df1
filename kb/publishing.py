"""Publishing: snapshot the published entries, embed only what is new, write a new index version, switch to it."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

from core.settings import get_settings
from kb.embeddings import Embedder, EmbedderSet
from kb.index import KbIndex
from kb.store import KbStore


def version_dir(namespace: str, version: int, root: Path | None = None) -> Path:
    return (root or get_settings().kb_dir) / namespace / f"v{version}"


def embed_with_cache(store: KbStore, embedder: Embedder, texts: list[str], progress: bool = False) -> dict[str, np.ndarray]:
    unique = list(dict.fromkeys(texts))
    vectors = store.cached_vectors(embedder.name, unique)
    missing = [t for t in unique if t not in vectors]
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


def publish(store: KbStore, embedders: EmbedderSet, author: str = "system", progress: bool = False, root: Path | None = None) -> dict:
    """Build and switch to a new index version of every published entry. Returns the version's info."""
    started = time.time()
    entries = [e for e in store.list_entries() if e.status == "published"]
    vectors: dict[str, dict[str, np.ndarray]] = {}
    models: dict[str, str] = {}
    for language in sorted({e.language for e in entries}):
        embedder = embedders.for_language(language)
        models[language] = embedder.name
        texts = [t for e in entries if e.language == language for t in e.texts()]
        vectors[language] = embed_with_cache(store, embedder, texts, progress)
    version = store.next_version()
    index = KbIndex.build(version, models, entries, vectors)
    target = version_dir(store.namespace, version, root)
    if target.exists():
        shutil.rmtree(target)
    index.save(target)
    info = {
        "entries": len(entries),
        "texts": sum(len(i.rows) for i in index.languages.values()),
        "models": models,
        "author": author,
        "published_at": time.time(),
        "build_seconds": round(time.time() - started, 3),
    }
    store.set_published_version(version, info)
    return {**info, "version": version}
