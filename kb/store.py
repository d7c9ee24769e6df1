"""Knowledge-base records in Redis: entries, their revision history, published versions, cached embeddings.

Two copies of the KB live side by side: the *working* copy editors change
(a changed entry is a ``draft``) and the *published* copy the bot answers
from. Publishing promotes every draft (and applies deletions); rolling back
restores the published copy of an earlier version.

A namespace keeps separate knowledge bases apart (the product's ``default``,
evaluation data sets loaded by ``kb eval``, tests).
"""

from __future__ import annotations

import base64
import hashlib
import json
import time

import numpy as np
import redis

from core.redis import Keys
from kb.records import FaqEntry


class EntryNotFound(KeyError):
    pass


class KbStore:
    def __init__(self, client: redis.Redis, namespace: str = "default", keys: Keys | None = None) -> None:
        self.r = client
        self.namespace = namespace
        base = (keys or Keys()).kb(namespace)
        self._entries = f"{base}:entries"
        self._published = f"{base}:published-entries"
        self._deleted = f"{base}:deleted"
        self._draft_seq = f"{base}:draft-seq"
        self._history = f"{base}:history"
        self._version = f"{base}:version"
        self._versions = f"{base}:versions"
        self._version_seq = f"{base}:version-seq"
        self.channel = f"{base}:published"
        self._emb_prefix = f"{(keys or Keys()).p}:kb-embeddings"

    # entries
    def list_entries(self) -> list[FaqEntry]:
        return sorted((FaqEntry.from_stored(v) for v in self.r.hvals(self._entries)), key=lambda e: e.id)

    def get(self, entry_id: str) -> FaqEntry:
        raw = self.r.hget(self._entries, entry_id)
        if raw is None:
            raise EntryNotFound(entry_id)
        return FaqEntry.from_stored(raw)

    def count(self) -> int:
        return int(self.r.hlen(self._entries))

    def list_published(self) -> list[FaqEntry]:
        return sorted((FaqEntry.from_stored(v) for v in self.r.hvals(self._published)), key=lambda e: e.id)

    def draft_revision(self) -> int:
        """Bumped by every change to the working copy: lets a draft index be cached until the next edit."""
        return int(self.r.get(self._draft_seq) or 0)

    def save_many(self, entries: list[FaqEntry], author: str) -> tuple[int, int]:
        """Write entries in one transaction; each real change is a new draft revision. Returns (created, updated)."""
        existing = {e.id: e for e in self.list_entries()}
        created = updated = 0
        pipe = self.r.pipeline(transaction=True)
        now = time.time()
        for entry in entries:
            old = existing.get(entry.id)
            if old is not None and old.content_equals(entry):
                continue
            entry = entry.model_copy(update={"status": "draft", "revision": (old.revision if old else 0) + 1, "updated_at": now, "updated_by": author})
            pipe.hset(self._entries, entry.id, entry.model_dump_json())
            pipe.rpush(f"{self._history}:{entry.id}", entry.model_dump_json())
            pipe.srem(self._deleted, entry.id)
            created += old is None
            updated += old is not None
        if created or updated:
            pipe.incr(self._draft_seq)
        pipe.execute()
        return created, updated

    def delete(self, entry_id: str, author: str = "system") -> None:
        """Removes the entry from the working copy; the bot keeps answering with it until the next publish."""
        raw = self.r.hget(self._entries, entry_id)
        if raw is None:
            raise EntryNotFound(entry_id)
        tombstone = FaqEntry.from_stored(raw).model_copy(update={"updated_at": time.time(), "updated_by": author, "answer": "(deleted)"})
        pipe = self.r.pipeline(transaction=True)
        pipe.hdel(self._entries, entry_id)
        pipe.sadd(self._deleted, entry_id)
        pipe.rpush(f"{self._history}:{entry_id}", tombstone.model_dump_json())
        pipe.incr(self._draft_seq)
        pipe.execute()

    def pending_changes(self) -> dict[str, list[str]]:
        """What the next publish would change."""
        drafts = [e.id for e in self.list_entries() if e.status == "draft"]
        return {"changed": drafts, "deleted": sorted(self.r.smembers(self._deleted))}

    def promote(self) -> dict[str, FaqEntry | None]:
        """Make the working copy the published copy. Returns the ids it changed (promoted drafts, deletions),
        each with the copy published until now (None for a new entry).

        Only drafts are parsed: at 100k entries parsing every entry took ~5 s, and a re-publish must take
        less (kb.overlay). A JSON string escapes its quotes, so ``"status":"draft"`` only matches the field.
        """
        raw = self.r.hgetall(self._entries)
        published = set(self.r.hkeys(self._published))
        promoted = []
        for entry_id, data in raw.items():
            if entry_id in published and '"status":"draft"' not in data:
                continue
            entry = FaqEntry.from_stored(data)
            if entry.status == "draft" or entry_id not in published:
                promoted.append(entry.model_copy(update={"status": "published"}))
        deleted = sorted(self.r.smembers(self._deleted))
        changed = [e.id for e in promoted] + deleted
        before = self.published_entries(changed)
        pipe = self.r.pipeline(transaction=True)
        for entry in promoted:
            pipe.hset(self._entries, entry.id, entry.model_dump_json())
            pipe.hset(self._published, entry.id, entry.model_dump_json())
        if deleted:
            pipe.hdel(self._published, *deleted)
        pipe.delete(self._deleted)
        pipe.execute()
        return {entry_id: before.get(entry_id) for entry_id in changed}

    def published_entries(self, ids: list[str]) -> dict[str, FaqEntry]:
        """The published copy of these entries (those that have one)."""
        if not ids:
            return {}
        return {i: FaqEntry.from_stored(v) for i, v in zip(ids, self.r.hmget(self._published, ids)) if v}

    def published_count(self) -> int:
        return int(self.r.hlen(self._published))

    def restore_published(self, entries: list[FaqEntry]) -> None:
        """Rollback: the published copy becomes exactly ``entries``; unpublished drafts are kept."""
        drafts = {e.id for e in self.list_entries() if e.status == "draft"}
        pipe = self.r.pipeline(transaction=True)
        pipe.delete(self._published)
        for entry_id in set(self.r.hkeys(self._entries)) - drafts:
            pipe.hdel(self._entries, entry_id)
        for entry in entries:
            data = entry.model_copy(update={"status": "published"}).model_dump_json()
            pipe.hset(self._published, entry.id, data)
            if entry.id not in drafts:
                pipe.hset(self._entries, entry.id, data)
        pipe.incr(self._draft_seq)
        pipe.execute()

    def history(self, entry_id: str) -> list[FaqEntry]:
        return [FaqEntry.from_stored(v) for v in self.r.lrange(f"{self._history}:{entry_id}", 0, -1)]

    def clear(self) -> None:
        ids = self.r.hkeys(self._entries)
        self.r.delete(self._entries, self._published, self._deleted, self._draft_seq, self._version, self._versions, self._version_seq, *[f"{self._history}:{i}" for i in ids])

    # versions
    def published_version(self) -> int | None:
        raw = self.r.get(self._version)
        return int(raw) if raw else None

    def next_version(self) -> int:
        return int(self.r.incr(self._version_seq))

    def set_published_version(self, version: int, info: dict) -> None:
        pipe = self.r.pipeline(transaction=True)
        self._go_live(pipe, version, info)
        pipe.execute()

    def _go_live(self, pipe, version: int, info: dict) -> None:
        """Record the version, make it the live one and tell every searching process, in ``pipe``'s transaction."""
        pipe.hset(self._versions, str(version), json.dumps({**info, "version": version}))
        pipe.set(self._version, version)
        pipe.publish(self.channel, version)

    def set_published_version_if(self, expected: int, version: int, info: dict) -> bool:
        """``set_published_version`` unless another version went live since ``expected``: a background
        relearn must never replace a newer publish or a rollback (kb.relearning)."""
        with self.r.pipeline(transaction=True) as pipe:
            try:
                pipe.watch(self._version)
                live = pipe.get(self._version)
                if live is None or int(live) != expected:
                    return False
                pipe.multi()
                self._go_live(pipe, version, info)
                pipe.execute()
                return True
            except redis.WatchError:
                return False

    def version_info(self, version: int) -> dict | None:
        raw = self.r.hget(self._versions, str(version))
        return json.loads(raw) if raw else None

    def versions(self) -> list[dict]:
        return sorted((json.loads(v) for v in self.r.hvals(self._versions)), key=lambda v: v["version"])

    # embedding cache, shared by every namespace: the same text under the same model embeds once
    def cached_vectors(self, model: str, texts: list[str]) -> dict[str, np.ndarray]:
        if not texts:
            return {}
        key = f"{self._emb_prefix}:{model}"
        raw = self.r.hmget(key, [_text_key(t) for t in texts])
        return {t: np.frombuffer(base64.b64decode(v), dtype="float32") for t, v in zip(texts, raw) if v}

    def cache_vectors(self, model: str, vectors: dict[str, np.ndarray]) -> None:
        if vectors:
            key = f"{self._emb_prefix}:{model}"
            self.r.hset(key, mapping={_text_key(t): base64.b64encode(v.astype("float32").tobytes()).decode() for t, v in vectors.items()})


def _text_key(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()
