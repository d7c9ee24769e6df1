"""DIET's prediction called through its concrete TensorFlow function, not the polymorphic one, on every message.

Rasa wraps a model's ``predict_step`` in ``tf.function(..., input_signature=...)`` and calls that on
every parse. With a fixed input signature there is exactly one concrete function, yet each call
goes through the polymorphic dispatch first (``_maybe_define_function``: canonicalise the inputs,
build the cache key, look it up), ~6 % of Rasa's CPU in the capacity bench's profile. Here the
concrete function is fetched once per compiled step and called directly: the same graph, the same
outputs (checked on the held-out sentences), ~0.5 ms less per message. Eager models and the first
call, which compiles the step, keep Rasa's path. Runs in Rasa's own virtualenv; imports nothing of the app.

Calling the concrete function still canonicalises its inputs against the structured signature on every
call (``canonicalize_function_inputs``, ~5 % of Rasa's samples after the change above). The batch's
arrays are already in the signature's order, so they are flattened and converted to the signature's
dtypes here, once per call, and handed to the function's flat call: ~0.7 ms less per parse (in-process,
eight alternating rounds), the same outputs. A batch whose shape does not flatten to the signature's
length takes the structured call.
"""

from __future__ import annotations

from typing import Any

import tensorflow as tf
from rasa.utils.tensorflow import models
from rasa.utils.tensorflow.models import RasaModel


class FlatCall:
    """A concrete function called with its inputs flattened and typed here (TensorFlow's ``_call_flat``)."""

    def __init__(self, concrete: Any) -> None:
        self.concrete = concrete
        self.specs = tf.nest.flatten(concrete.structured_input_signature, expand_composites=True)
        self.flat = hasattr(concrete, "_call_flat")
        self.calls = 0  # flat calls made (tests check the fast path ran)

    def __call__(self, batch_in: Any) -> Any:
        values = tf.nest.flatten((batch_in,), expand_composites=True)
        if not self.flat or len(values) != len(self.specs):
            return self.concrete(batch_in)
        tensors = [tf.convert_to_tensor(value, dtype=spec.dtype) for value, spec in zip(values, self.specs)]
        self.calls += 1
        return self.concrete._call_flat(tensors, self.concrete.captured_inputs)


def install() -> None:
    rasa_predict = RasaModel._rasa_predict

    def _rasa_predict(self: Any, batch_in: Any) -> Any:
        step = self._tf_predict_step
        if self._run_eagerly or step is None or not self.prepared_for_prediction:
            return rasa_predict(self, batch_in)  # compiles the step on the first call
        cached = self.__dict__.get("_rasa_run_concrete")
        if cached is None or cached[0] is not step:
            cached = self.__dict__["_rasa_run_concrete"] = (step, FlatCall(step.get_concrete_function()))
        outputs = models.tf_utils.sync_to_numpy_or_python_type(cached[1](batch_in))
        if models.DIAGNOSTIC_DATA in outputs:
            outputs[models.DIAGNOSTIC_DATA] = self._empty_lists_to_none_in_dict(outputs[models.DIAGNOSTIC_DATA])
        return outputs

    RasaModel._rasa_predict = _rasa_predict
