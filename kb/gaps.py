"""Content gaps: questions the bot could not answer (or answered unhelpfully), grouped by meaning and counted.

The hub records a gap whenever the bot falls back or a customer votes an answer
"not helpful"; editors see the groups, biggest first, and turn one into a draft
entry with a click.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

import numpy as np
import redis

from core import clock
from core.redis import Keys
from kb.embeddings import EmbedderSet

# Two questions are the same gap when their cosine is at least SIMILAR of the way from what the language's model gives
# two unrelated questions (the median over pairs of the built-in off-topic probes, kb.offtopic) to 1. A raw cosine
# threshold means something else for every model: at the 0.8 this used to be, multilingual-e5 (whose cosines sit at
# 0.83 for unrelated Chinese questions) put every Chinese gap in one group, and MiniLM (0.04) almost never grouped
# two English paraphrases. Measured on the starter KB's and a second shop's wordings (same entry vs different entries;
# docs/retrieval.md "Content gaps"): at 0.6, 0.1-0.2% of different-entry pairs are merged in both languages (raw 0.8:
# 99.7% in Chinese) and 18-24% of same-entry pairs are (raw 0.8: 2% in English).
SIMILAR = 0.6
MAX_RECORDS = 20000  # the gap stream is capped (approximately) at this many records

# Record a question the bot could not answer, only while the conversation it came from exists. The hub records it
# when the bot's answer arrives: a conversation erased while the bot was thinking (privacy/erase.py) must not be
# named again by a record of its customer's words after the erasure dropped its records.
#
# KEYS[1] gap stream   KEYS[2] the conversation's hash (left out for a gap from no conversation: recorded as is)
# ARGV[1] record JSON  ARGV[2] stream cap (approximate)
# Returns 1 when recorded, 0 when the conversation is gone.
RECORD_GAP = """
local gaps, conv = KEYS[1], KEYS[2]
local record, cap = ARGV[1], ARGV[2]

if conv and redis.call('EXISTS', conv) == 0 then return 0 end
redis.call('XADD', gaps, 'MAXLEN', '~', cap, '*', 'e', record)
return 1
"""


@dataclass
class GapGroup:
    id: str
    language: str
    count: int
    newest: str
    newest_at: float
    questions: list[str] = field(default_factory=list)  # distinct wordings, newest first
    reasons: dict[str, int] = field(default_factory=dict)


class GapLog:
    def __init__(self, client: redis.Redis, keys: Keys | None = None, namespace: str = "default") -> None:
        self.r = client
        self.k = keys or Keys()
        self.key = f"{self.k.kb(namespace)}:gaps"
        self._record = self.r.register_script(RECORD_GAP)

    def record(self, question: str, language: str, reason: str, conversation_id: str = "") -> bool:
        """Record a content gap; one from a conversation that is gone (erased meanwhile) is not: returns whether it was."""
        entry = {"q": question.strip(), "lang": language, "reason": reason, "conversation_id": conversation_id, "ts": clock.now()}
        keys = [self.key, self.k.conv(conversation_id)] if conversation_id else [self.key]
        return bool(self._record(keys=keys, args=[json.dumps(entry, ensure_ascii=False), MAX_RECORDS]))

    def recent(self, limit: int = 2000) -> list[dict]:
        return [json.loads(fields["e"]) for _, fields in self.r.xrevrange(self.key, count=limit)]

    def dismiss(self, questions: list[str]) -> int:
        """Drop every recorded occurrence of these questions (after an entry now covers them)."""
        wanted = {q.strip() for q in questions}
        removed = 0
        for mid, fields in self.r.xrange(self.key):
            if json.loads(fields["e"])["q"] in wanted:
                removed += self.r.xdel(self.key, mid)
        return removed


_unrelated: dict[tuple[str, str], float] = {}


def unrelated_cosine(embedder, language: str) -> float:
    """The cosine this model gives two unrelated questions of the language (median over the off-topic probes' pairs)."""
    key = (getattr(embedder, "name", type(embedder).__name__), language)
    if key not in _unrelated:
        from kb.offtopic import probes

        vectors = embedder.embed(probes(language))
        cosines = (vectors @ vectors.T)[np.triu_indices(len(vectors), 1)]
        _unrelated[key] = float(np.median(cosines))
    return _unrelated[key]


def group(gaps: list[dict], embedders: EmbedderSet, similar: float = SIMILAR) -> list[GapGroup]:
    """Greedy clustering per language: each question joins the first group whose seed is similar enough (``similar``
    of the way from the model's unrelated-question cosine to 1)."""
    groups: list[GapGroup] = []
    by_lang: dict[str, list[dict]] = {}
    for gap in gaps:  # newest first
        if gap["q"]:
            by_lang.setdefault(gap["lang"], []).append(gap)
    for language, items in by_lang.items():
        distinct = list(dict.fromkeys(g["q"] for g in items))
        embedder = embedders.for_language(language)
        vectors = dict(zip(distinct, embedder.embed(distinct)))
        floor = unrelated_cosine(embedder, language)
        threshold = floor + similar * (1.0 - floor)
        seeds: list[tuple[np.ndarray, GapGroup]] = []
        for gap in items:
            vec = vectors[gap["q"]]
            home = next((g for seed, g in seeds if float(seed @ vec) >= threshold), None)
            if home is None:
                home = GapGroup(hashlib.sha1(f"{language}:{gap['q']}".encode()).hexdigest()[:12], language, 0, gap["q"], gap["ts"])
                seeds.append((vec, home))
                groups.append(home)
            home.count += 1
            if gap["q"] not in home.questions:
                home.questions.append(gap["q"])
            home.reasons[gap["reason"]] = home.reasons.get(gap["reason"], 0) + 1
    groups.sort(key=lambda g: (g.count, g.newest_at), reverse=True)
    return groups
