"""Start Rasa (``python -m rasa_run run ...`` = ``rasa run ...``) with its action-reply validation built once, not per reply.

Rasa 3.6 checks every action-server reply with ``jsonschema.validate(reply, schema)``.
That call first re-validates the *schema itself* against the JSON-Schema meta-schema
(``check_schema``) and builds a new validator, every time: the py-spy profile of an
FAQ reply (docs/performance.md) put half of Rasa's CPU there. This launcher replaces
``jsonschema.validate`` in Rasa's process with the same check done by a validator that
is built (and its schema checked) once per distinct schema: the same validator class,
the same errors (``best_match``), for every schema Rasa validates with (action replies,
the tracker-events API, NLG callbacks). Nothing else of Rasa changes.

Runs in Rasa's own virtualenv (``.venv-rasa``, Python 3.10); imports nothing of the app.
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


def main() -> None:
    jsonschema.validate = validate  # Rasa imports it at call time (``from jsonschema import validate``)
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *sys.argv[1:]]
    rasa_main()


if __name__ == "__main__":
    main()
