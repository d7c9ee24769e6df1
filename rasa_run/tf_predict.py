"""DIET's prediction called through its concrete TensorFlow function, not the polymorphic one, on every message.

Rasa wraps a model's ``predict_step`` in ``tf.function(..., input_signature=...)`` and calls that on
every parse. With a fixed input signature there is exactly one concrete function, yet each call
goes through the polymorphic dispatch first (``_maybe_define_function``: canonicalise the inputs,
build the cache key, look it up), ~6 % of Rasa's CPU in the capacity bench's profile. Here the
concrete function is fetched once per compiled step and called directly: the same graph, the same
outputs (checked on the held-out sentences), ~0.5 ms less per message. Eager models and the first
call, which compiles the step, keep Rasa's path. Runs in Rasa's own virtualenv; imports nothing of the app.
"""

from __future__ import annotations

from typing import Any

from rasa.utils.tensorflow import models
from rasa.utils.tensorflow.models import RasaModel


def install() -> None:
    rasa_predict = RasaModel._rasa_predict

    def _rasa_predict(self: Any, batch_in: Any) -> Any:
        step = self._tf_predict_step
        if self._run_eagerly or step is None or not self.prepared_for_prediction:
            return rasa_predict(self, batch_in)  # compiles the step on the first call
        cached = self.__dict__.get("_rasa_run_concrete")
        if cached is None or cached[0] is not step:
            cached = self.__dict__["_rasa_run_concrete"] = (step, step.get_concrete_function())
        outputs = models.tf_utils.sync_to_numpy_or_python_type(cached[1](batch_in))
        if models.DIAGNOSTIC_DATA in outputs:
            outputs[models.DIAGNOSTIC_DATA] = self._empty_lists_to_none_in_dict(outputs[models.DIAGNOSTIC_DATA])
        return outputs

    RasaModel._rasa_predict = _rasa_predict
