"""Knowledge-base records in Redis: entries, their revision history, published versions, cached embeddings.

Two copies of the KB live side by side: the *working* copy editors change
(a changed entry is a ``draft``) and the *published* copy the bot answers
from. Publishing promotes every draft (and applies deletions); rolling back
restores the published copy of an earlier version.

Every write to the working copy is a check-and-set (``kb/scripts.py``): an entry's revisions are unique
and increasing, no save overwrites one it did not read, and a save based on a revision that is no longer
the current one (``base_revisions``: the revision an editor loaded) is refused with ``StaleEntry``.

A namespace keeps separate knowledge bases apart (the product's ``default``,
evaluation data sets loaded by ``kb eval``, tests).
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Mapping

import numpy as np
import redis

from core.errors import Conflict
from core.redis import Keys
from kb import scripts
from kb.records import FaqEntry

# Reads and check-and-set attempts before a save gives up: each attempt loses only to a write that landed
# between its read and its script, so even 16 saves to one entry at once are done in a few.
SAVE_ATTEMPTS = 100


class EntryNotFound(KeyError):
    pass


class StaleEntry(Conflict):
    """A save based on a revision of the entry that is no longer the current one: nothing was saved.

    ``current`` is the entry as it is now (None: deleted since), ``last`` the newest revision in its history.
    """

    def __init__(self, entry_id: str, base_revision: int, current: FaqEntry | None, last: FaqEntry | None) -> None:
        self.entry_id, self.base_revision, self.current, self.last = entry_id, base_revision, current, last
        who = last or current
        by = f" by {who.updated_by} at {time.strftime('%Y-%m-%d %H:%M:%S %Z', time.localtime(who.updated_at))}" if who else ""
        if base_revision == 0:
            what = f"entry {entry_id} already exists (revision {current.revision if current else 0}, saved{by})"
        elif current is None:
            what = f"entry {entry_id} was deleted{by} after revision {base_revision}, the one your change is based on"
        else:
            what = f"entry {entry_id} was changed{by} since revision {base_revision}, the one your change is based on; it is now at revision {current.revision}"
        super().__init__(f"{what}. Nothing was saved: load the current version and apply your change to it.")


class Busy(Conflict):
    """Too many other writes to the same entries kept landing between a save's read and its write."""


NOTHING_TO_REPLACE_WITH = "the file has no entries: replacing the knowledge base with it would delete every entry"


class NothingToReplaceWith(ValueError):
    """A replacing import of a file without entries (a header alone, ``[]``): it would empty the knowledge base."""


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
        self._save = self.r.register_script(scripts.SAVE)
        self._promote = self.r.register_script(scripts.PROMOTE)

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

    def save_many(self, entries: list[FaqEntry], author: str, base_revisions: Mapping[str, int] | None = None) -> tuple[int, int]:
        """Write entries in one atomic step, all or none; each real change is a new draft revision.

        ``base_revisions``: the revision each entry's change is based on (0: a new entry); an entry no
        longer at it raises ``StaleEntry``. Entries without one are saved over whatever is current,
        still atomically. Returns (created, updated).
        """
        created, updated, _, _ = self._save_entries(entries, author, base_revisions or {})
        return created, updated

    def replace_all(self, entries: list[FaqEntry], author: str) -> tuple[int, int, int]:
        """Make the working copy exactly ``entries`` in one atomic step: save them (as ``save_many``) and delete every
        other entry (each with its tombstone, as ``delete``). A shop importing its own FAQ over the starter one leaves
        no entry of the demo shop behind. Returns (created, updated, deleted); nothing is live until the next publish."""
        if not entries:
            raise NothingToReplaceWith(NOTHING_TO_REPLACE_WITH)
        created, updated, _, deleted = self._save_entries(entries, author, {}, delete_others=True)
        return created, updated, deleted

    def save(self, entry: FaqEntry, author: str, base_revision: int | None = None) -> FaqEntry:
        """``save_many`` of one entry; returns it as this save left it (its own revision, whatever came after)."""
        return self._save_entries([entry], author, {} if base_revision is None else {entry.id: base_revision})[2][entry.id]

    def _save_entries(self, entries: list[FaqEntry], author: str, base_revisions: Mapping[str, int],
                      delete_others: bool = False) -> tuple[int, int, dict[str, FaqEntry], int]:
        ids = [e.id for e in entries]
        for _ in range(SAVE_ATTEMPTS):
            ops: list[tuple[str, str, int, str, str]] = []
            saved: dict[str, FaqEntry] = {}
            created = updated = 0
            now = time.time()
            if delete_others:
                keep = set(ids)
                for raw in self.r.hvals(self._entries):
                    old = FaqEntry.from_stored(raw)
                    if old.id not in keep:
                        tombstone = old.model_copy(update={"updated_at": now, "updated_by": author, "answer": "(deleted)"})
                        ops.append(("del", old.id, old.revision, tombstone.model_dump_json(), ""))
            deleted = len(ops)
            for entry, raw in zip(entries, self.r.hmget(self._entries, ids) if ids else []):
                old = FaqEntry.from_stored(raw) if raw else None
                have = old.revision if old else 0
                base = base_revisions.get(entry.id)
                if base is not None and base != have:
                    raise StaleEntry(entry.id, base, old, self._last_revision(entry.id))
                if old is not None and old.content_equals(entry):
                    saved[entry.id] = old
                    continue
                head, tail = _around_revision(entry.model_copy(update={"status": "draft", "revision": 0, "updated_at": now, "updated_by": author}))
                ops.append(("put", entry.id, have, head, tail))
                created += old is None
                updated += old is not None
            written = self._write(ops) if ops else []
            if written is not None:
                saved.update((op[1], FaqEntry.from_stored(f"{op[3]}{revision}{op[4]}")) for op, revision in zip(ops, written) if op[0] == "put")
                return created, updated, saved, deleted
        raise Busy(f"{len(entries)} entr{'y' if len(entries) == 1 else 'ies'} kept changing while being saved; nothing was saved, try again")

    def delete(self, entry_id: str, author: str = "system", base_revision: int | None = None) -> None:
        """Removes the entry from the working copy; the bot keeps answering with it until the next publish.

        The history gets a tombstone: the deleted revision again, answer ``(deleted)``."""
        for _ in range(SAVE_ATTEMPTS):
            raw = self.r.hget(self._entries, entry_id)
            if raw is None:
                raise EntryNotFound(entry_id)
            old = FaqEntry.from_stored(raw)
            if base_revision is not None and base_revision != old.revision:
                raise StaleEntry(entry_id, base_revision, old, self._last_revision(entry_id))
            tombstone = old.model_copy(update={"updated_at": time.time(), "updated_by": author, "answer": "(deleted)"})
            if self._write([("del", entry_id, old.revision, tombstone.model_dump_json(), "")]) is not None:
                return
        raise Busy(f"entry {entry_id} kept changing while being deleted; nothing was deleted, try again")

    def _write(self, ops: list[tuple[str, str, int, str, str]]) -> list[int] | None:
        """Run the save script; None when an entry is no longer at the revision read (read again and retry)."""
        keys = [self._entries, self._deleted, self._draft_seq, *(f"{self._history}:{op[1]}" for op in ops)]
        args: list[str | int] = [len(ops)]
        for op in ops:
            args.extend(op)
        result = self._save(keys=keys, args=args)
        return [int(r) for r in result[1:]] if int(result[0]) == 1 else None

    def _last_revision(self, entry_id: str) -> FaqEntry | None:
        raw = self.r.lindex(f"{self._history}:{entry_id}", -1)
        return FaqEntry.from_stored(raw) if raw else None

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
        deleted_read = set(self.r.smembers(self._deleted))  # before the entries: one re-created meanwhile is in both
        raw = self.r.hgetall(self._entries)
        published = set(self.r.hkeys(self._published))
        promoted = []
        for entry_id, data in raw.items():
            if entry_id in published and '"status":"draft"' not in data:
                continue
            entry = FaqEntry.from_stored(data)
            if entry.status == "draft" or entry_id not in published:
                promoted.append(entry.model_copy(update={"status": "published"}))
        deleted = sorted(deleted_read - raw.keys())
        changed = [e.id for e in promoted] + deleted
        before = self.published_entries(changed)
        args: list[str | int] = [len(promoted)]
        for entry in promoted:
            args.extend((entry.id, str(entry.revision), entry.model_dump_json()))
        self._promote(keys=[self._entries, self._published, self._deleted], args=[*args, *deleted])
        return {entry_id: before.get(entry_id) for entry_id in changed}

    def published_entries(self, ids: list[str]) -> dict[str, FaqEntry]:
        """The published copy of these entries (those that have one)."""
        if not ids:
            return {}
        return {i: FaqEntry.from_stored(v) for i, v in zip(ids, self.r.hmget(self._published, ids)) if v}

    def published_count(self) -> int:
        return int(self.r.hlen(self._published))

    def restore_published(self, entries: list[FaqEntry]) -> None:
        """Rollback: the published copy becomes exactly ``entries``; unpublished drafts are kept.

        Watched: a draft saved while the rollback reads is kept too (the rollback reads again)."""
        with self.r.pipeline(transaction=True) as pipe:
            while True:
                try:
                    pipe.watch(self._entries)
                    working = pipe.hgetall(self._entries)
                    drafts = {i for i, data in working.items() if '"status":"draft"' in data}  # as in promote()
                    pipe.multi()
                    pipe.delete(self._published)
                    for entry_id in set(working) - drafts:
                        pipe.hdel(self._entries, entry_id)
                    for entry in entries:
                        data = entry.model_copy(update={"status": "published"}).model_dump_json()
                        pipe.hset(self._published, entry.id, data)
                        if entry.id not in drafts:
                            pipe.hset(self._entries, entry.id, data)
                    pipe.incr(self._draft_seq)
                    pipe.execute()
                    return
                except redis.WatchError:
                    continue

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
        self._switch(version, info)

    def set_published_version_if(self, expected: int, version: int, info: dict) -> bool:
        """``set_published_version`` unless another version went live since ``expected``: a background
        relearn must never replace a newer publish or a rollback (kb.relearning)."""
        return self._switch(version, info, expected)

    def _switch(self, version: int, info: dict, expected: int | None = None) -> bool:
        """Record ``version``, make it the live one and tell every searching process, in one transaction; the version
        it replaces, if still ``learning: "pending"``, is settled (``settle_learning``): nothing relearns it any more."""
        with self.r.pipeline(transaction=True) as pipe:
            while True:
                try:
                    pipe.watch(self._version, self._versions)
                    raw = pipe.get(self._version)
                    live = int(raw) if raw else None
                    if expected is not None and live != expected:
                        return False
                    before = pipe.hget(self._versions, str(live)) if live is not None and live != version else None
                    pipe.multi()
                    pipe.hset(self._versions, str(version), json.dumps({**info, "version": version}))
                    if before and (settled := settle_learning(json.loads(before), version, info)):
                        pipe.hset(self._versions, str(live), json.dumps(settled))
                    pipe.set(self._version, version)
                    pipe.publish(self.channel, version)
                    pipe.execute()
                    return True
                except redis.WatchError:
                    continue  # another version went live meanwhile: read again

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


def settle_learning(replaced: dict, version: int, info: dict) -> dict | None:
    """The info of a version that was live and ``learning: "pending"`` once ``version`` (with ``info``) replaced it;
    None when it was not pending. Only the live version is ever relearned (kb.relearning), so a replaced one would
    otherwise say "pending" for good. How it ended:

    - ``"relearned"``: its complete version replaced it (``relearned_as``);
    - ``"stopped"``: a rollback or a publish replaced it first (``stopped_by``, ``replaced_by``): it was never
      learned in full; rolled back to, it is pending again (``reopen_learning``).
    """
    if replaced.get("learning") != "pending":
        return None
    if info.get("relearn_of") == replaced.get("version"):
        return {**replaced, "learning": "relearned", "relearned_as": version}
    return {**replaced, "learning": "stopped", "stopped_by": "rollback" if "rolled_back_by" in info else "publish", "replaced_by": version}


def reopen_learning(info: dict) -> dict:
    """A settled overlay version served again (a rollback): pending again, until its relearn (kb.relearning)."""
    if info.get("learning") not in ("relearned", "stopped"):
        return info
    rest = {k: v for k, v in info.items() if k not in ("relearned_as", "stopped_by", "replaced_by")}
    return {**rest, "learning": "pending"}


def _around_revision(entry: FaqEntry) -> tuple[str, str]:
    """The entry's JSON (revision 0) before and after its revision number: the save script puts the number in."""
    head, tail = entry.model_dump_json().split('"revision":0', 1)
    return head + '"revision":', tail


def _text_key(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()
