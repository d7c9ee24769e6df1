"""Rasa's Redis tracker store without reading a tracker back before saving it.

``RedisTrackerStore.save`` reads the stored tracker back, rebuilds it event by event, replays the
new one up to the stored one's last event and compares every event (each serialised by jsonpickle)
before it writes: work that grows with the conversation, on every message, to merge in the earlier
sessions that ``retrieve`` leaves out. When the stored events are exactly the first events of the
tracker being saved (same types, same timestamps: the usual case, one session, the conversation
locked by the lock store), the merge would return the tracker unchanged, so ``save`` writes it at once;
anything else (earlier sessions, a stored tracker that is not a prefix) takes Rasa's own merge.
The tracker is encoded by ``rasa_run.json_text`` (ujson: the same JSON value, ~2.5x faster).

A conversation erased while Rasa was still handling one of its messages (a turn the hub had already given up on) is
not written back: the erasure leaves a marker named by a hash of the conversation id (``erased_key``, the hub's
``Keys.rasa_erased``) for an hour, and the write is one script that deletes the tracker instead while the marker is there.

What is stored is known without a second read in the usual case: the turn being saved read it
(``retrieve``) moments before, under the conversation's lock (``rasa_run/lock_store.py``), so no other
writer came in between. ``_retrieve`` remembers the types and timestamps it read; the next ``save``
of that conversation uses them once and forgets them. A save with nothing remembered (no read in
its turn) reads the stored tracker as before.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Iterable

import rasa.shared.core.trackers
from rasa.core.tracker_store import RedisTrackerStore

from rasa_run.json_text import dumps

Signature = tuple[tuple[str, float], ...]

_REMEMBERED_MAX = 4096  # reads never followed by a save (the tracker API's GET) must not pile up

# KEYS[1] the tracker, KEYS[2] the conversation's erasure marker; ARGV[1] the tracker's JSON, ARGV[2] seconds it lives (0: for ever)
_SAVE_UNLESS_ERASED = """
local tracker, erased = KEYS[1], KEYS[2]
local text, seconds = ARGV[1], tonumber(ARGV[2])
if redis.call('EXISTS', erased) == 1 then
  redis.call('DEL', tracker)
  return 0
end
if seconds > 0 then redis.call('SET', tracker, text, 'EX', seconds) else redis.call('SET', tracker, text) end
return 1
"""


def erased_key(tracker_prefix: str, sender_id: str) -> str:
    """The erasure marker of a conversation: ``rasa:erased:<sha256 of its id>`` beside ``rasa:tracker:<id>``.
    Hashed so that nothing left after an erasure names the conversation."""
    base = tracker_prefix[: -len("tracker:")] if tracker_prefix.endswith("tracker:") else tracker_prefix
    return f"{base}erased:{hashlib.sha256(sender_id.encode()).hexdigest()}"


def signature(events: Iterable[Any]) -> Signature:
    return tuple((e.type_name, e.timestamp) for e in events)


def stored_signature(stored: str | bytes) -> Signature | None:
    try:
        events = json.loads(stored).get("events") or []
        return tuple((e.get("event"), e.get("timestamp")) for e in events)
    except (ValueError, AttributeError):
        return None


def extends(stored: Signature | None, tracker: Any) -> bool:
    """Whether the stored events (``stored``) are the first events of ``tracker`` (types and timestamps)."""
    if stored is None:
        return False
    current = tracker.events
    if len(stored) > len(current):
        return False
    return all(s == (c.type_name, c.timestamp) for s, c in zip(stored, current))


def stored_is_prefix(stored: str | bytes, tracker: Any) -> bool:
    """Whether the stored tracker's events are the first events of ``tracker`` (types and timestamps)."""
    return extends(stored_signature(stored), tracker)


def _remembered(store: Any) -> dict[str, Signature]:
    found = store.__dict__.get("_rasa_run_read")
    if found is None:
        found = store.__dict__["_rasa_run_read"] = {}
    return found


async def save(self: Any, tracker: Any, timeout: float | None = None) -> None:
    """Rasa's ``save``: the merge with the stored tracker only when the stored one is not a prefix of this one."""
    await self.stream_events(tracker)
    if not timeout and self.record_exp:
        timeout = self.record_exp
    key = self.key_prefix + tracker.sender_id
    read = _remembered(self).pop(tracker.sender_id, None)
    if read is None or not extends(read, tracker):  # nothing known, or known not to be a prefix: read it as Rasa does
        stored = self.red.get(key)
        if stored is not None and not stored_is_prefix(stored, tracker):
            tracker = self._merge_trackers(self.deserialise_tracker(tracker.sender_id, stored), tracker)
    write = self.__dict__.get("_rasa_run_save")
    if write is None:
        write = self.__dict__["_rasa_run_save"] = self.red.register_script(_SAVE_UNLESS_ERASED)
    write(keys=[key, erased_key(self.key_prefix, tracker.sender_id)], args=[self.serialise_tracker(tracker), int(timeout or 0)])


async def _retrieve(self: Any, sender_id: str, fetch_all_sessions: bool) -> Any:
    """Rasa's ``_retrieve``, remembering the types and timestamps of what it read."""
    remembered = _remembered(self)
    if len(remembered) >= _REMEMBERED_MAX:
        remembered.pop(next(iter(remembered)))
    stored = self.red.get(self.key_prefix + sender_id)
    if stored is None:
        remembered[sender_id] = ()
        return None
    tracker = self.deserialise_tracker(sender_id, stored)
    remembered[sender_id] = signature(tracker.events)
    if fetch_all_sessions:
        return tracker
    sessions = rasa.shared.core.trackers.get_trackers_for_conversation_sessions(tracker)
    if len(sessions) <= 1:
        return tracker
    return sessions[-1]


def serialise_tracker(tracker: Any) -> str:
    """Rasa's ``serialise_tracker``, encoded by ``rasa_run.json_text`` (the same JSON value)."""
    return dumps(tracker.as_dialogue().as_dict())


def install() -> None:
    RedisTrackerStore.serialise_tracker = staticmethod(serialise_tracker)
    RedisTrackerStore.save = save
    RedisTrackerStore._retrieve = _retrieve
