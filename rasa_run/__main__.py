"""Start Rasa (``python -m rasa_run run ...`` = ``rasa run ...``) without two per-message costs of Rasa 3.6.

1. **Action replies validated by a validator built once.** Rasa 3.6 checks every
   action-server reply with ``jsonschema.validate(reply, schema)``. That call first
   re-validates the *schema itself* against the JSON-Schema meta-schema
   (``check_schema``) and builds a new validator, every time: the py-spy profile of an
   FAQ reply (docs/performance.md) put half of Rasa's CPU there. ``validate`` here is the
   same check done by a validator built (and its schema checked) once per distinct
   schema: the same validator class, the same errors (``best_match``), for every schema
   Rasa validates with (action replies, the tracker-events API, NLG callbacks).
2. **A tracker that only grew is saved without re-reading it.** ``RedisTrackerStore.save``
   reads the stored tracker back, rebuilds it event by event, replays the new one up to
   the stored one's last event and compares every event (each serialised by jsonpickle)
   before it writes: work that grows with the conversation, on every message, to merge
   in the earlier sessions that ``retrieve`` leaves out. When the stored events are
   exactly the first events of the tracker being saved (same types, same timestamps:
   the usual case, one session, the conversation locked by the lock store), the merge
   would return the tracker unchanged, so ``save`` writes it at once; anything else
   (earlier sessions, a stored tracker that is not a prefix) takes Rasa's own merge.
3. **Event classes looked up once per type name.** Rebuilding a tracker from Redis (every
   message) resolves each stored event's class by walking every subclass of ``Event``
   (``all_subclasses``, recursive, with an ``isabstract`` check each): in a 100-message
   conversation a sixth of Rasa's CPU. The class found for a type name is remembered.

Nothing else of Rasa changes. Runs in Rasa's own virtualenv (``.venv-rasa``, Python
3.10); imports nothing of the app.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import jsonschema
from jsonschema import exceptions, validators

_MAX_SCHEMAS = 64  # Rasa validates with a handful of fixed schemas
_cache: dict[tuple[str, Any], Any] = {}


def validate(instance: Any, schema: Any, cls: Any = None, *args: Any, **kwargs: Any) -> None:
    """``jsonschema.validate`` with the validator (and the schema's own check) cached per schema."""
    key = (json.dumps(schema, sort_keys=True, default=str), cls)
    validator = _cache.get(key)
    if validator is None:
        klass = cls or validators.validator_for(schema)
        klass.check_schema(schema)
        validator = klass(schema, *args, **kwargs)
        if len(_cache) < _MAX_SCHEMAS:
            _cache[key] = validator
    error = exceptions.best_match(validator.iter_errors(instance))
    if error is not None:
        raise error


def stored_is_prefix(stored: str | bytes, tracker: Any) -> bool:
    """Whether the stored tracker's events are the first events of ``tracker`` (types and timestamps)."""
    try:
        events = json.loads(stored).get("events") or []
    except (ValueError, AttributeError):
        return False
    current = tracker.events
    if len(events) > len(current):
        return False
    return all(
        isinstance(e, dict) and e.get("event") == c.type_name and e.get("timestamp") == c.timestamp
        for e, c in zip(events, current)
    )


def install_tracker_store_fast_path() -> None:
    """``RedisTrackerStore.save`` skips reading back and merging a stored tracker this one only extends."""
    from rasa.core.tracker_store import RedisTrackerStore

    async def save(self: Any, tracker: Any, timeout: float | None = None) -> None:
        await self.stream_events(tracker)
        if not timeout and self.record_exp:
            timeout = self.record_exp
        key = self.key_prefix + tracker.sender_id
        stored = self.red.get(key)
        if stored is not None and not stored_is_prefix(stored, tracker):
            tracker = self._merge_trackers(self.deserialise_tracker(tracker.sender_id, stored), tracker)
        self.red.set(key, self.serialise_tracker(tracker), ex=timeout)

    RedisTrackerStore.save = save


def install_event_type_cache() -> None:
    """``Event.resolve_by_type`` remembers the class it found for each type name (never a default it fell back to)."""
    from rasa.shared.core.events import Event

    resolve = Event.resolve_by_type
    found: dict[str, Any] = {}

    def resolve_by_type(type_name: str, default: Any = None) -> Any:
        cls = found.get(type_name)
        if cls is None:
            cls = resolve(type_name, default)
            if cls is not None and cls is not default:
                found[type_name] = cls
        return cls

    Event.resolve_by_type = staticmethod(resolve_by_type)


def main() -> None:
    jsonschema.validate = validate  # Rasa imports it at call time (``from jsonschema import validate``)
    install_tracker_store_fast_path()
    install_event_type_cache()
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *sys.argv[1:]]
    rasa_main()


if __name__ == "__main__":
    main()
