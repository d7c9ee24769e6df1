"""Rasa custom actions (rasa_sdk). They report what happened; the hub acts on it.

Served by ``python -m rasa_sdk --actions actions``. Models load on first use
(or the launcher's warm-up call), never at import.
"""

from actions.faq import ActionAnswerFaq
from actions.handoff import ActionHandoff
from actions.prefetch import ActionPrefetchQuery
from actions.small_talk import ActionSmallTalk
from actions.warmup import ActionWarmup

__all__ = ["ActionAnswerFaq", "ActionHandoff", "ActionPrefetchQuery", "ActionSmallTalk", "ActionWarmup"]
