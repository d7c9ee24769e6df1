"""Start Rasa (``python -m rasa_run run ...`` = ``rasa run ...``) without eight per-message costs of Rasa 3.6.

1. **Action replies validated by a validator built once.** Rasa 3.6 checks every
   action-server reply with ``jsonschema.validate(reply, schema)``. That call first
   re-validates the *schema itself* against the JSON-Schema meta-schema
   (``check_schema``) and builds a new validator, every time: the py-spy profile of an
   FAQ reply (docs/performance.md) put half of Rasa's CPU there. ``validate`` here is the
   same check done by a validator built (and its schema checked) once per distinct
   schema: the same validator class, the same errors (``best_match``), for every schema
   Rasa validates with (action replies, the tracker-events API, NLG callbacks).
2. **A tracker that only grew is saved without reading it back** (``rasa_run/tracker_store.py``).
3. **Event classes looked up once per type name.** Rebuilding a tracker from Redis (every
   message) resolves each stored event's class by walking every subclass of ``Event``
   (``all_subclasses``, recursive, with an ``isabstract`` check each): in a 100-message
   conversation a sixth of Rasa's CPU. The class found for a type name is remembered.
4. **The ticket lock in two atomic round trips per message** instead of six racy ones
   (``rasa_run/lock_store.py``).
5. **A message's sparse features joined directly**, not through scipy's general block
   builder (``rasa_run/sparse_features.py``).
6. **DIET's compiled step called directly**, not through TensorFlow's polymorphic
   dispatch (``rasa_run/tf_predict.py``).
7. **Action calls over a kept-alive connection**, the tracker encoded by ujson, instead of a
   new HTTP session and connection per call (``rasa_run/endpoint_session.py``).
8. **Count-vector features counted from the vocabulary directly**, not through scikit-learn's
   transform and two scipy conversions (``rasa_run/count_vectors.py``).

Nothing else of Rasa changes. Runs in Rasa's own virtualenv (``.venv-rasa``, Python
3.10); imports nothing of the app.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import jsonschema
from jsonschema import exceptions, validators

from rasa_run import count_vectors, endpoint_session, lock_store, sparse_features, tf_predict, tracker_store

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
    tracker_store.install()
    lock_store.install()
    sparse_features.install()
    count_vectors.install()
    tf_predict.install()
    endpoint_session.install()
    install_event_type_cache()
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *sys.argv[1:]]
    rasa_main()


if __name__ == "__main__":
    main()
