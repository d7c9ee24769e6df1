"""Follow-up questions: a short question that only makes sense after the previous one.

"运费怎么算" then "那寄到新疆呢？", or "do you ship internationally?" then "and to
Canada?": the second question alone lacks its topic. A question is taken as a
follow-up when it is short and opens or closes the way a follow-up does
("那…", "…呢", "and …", "what about …"). ``Searcher.search`` first searches it
alone; only when that is not answered outright is it also searched together with
the previous question (the topic from there, the new detail from it), and the
better-scored of the two wins. A question that stands on its own is searched
alone, whatever came before.
"""

from __future__ import annotations

import re

from kb.text import normalize

# Longest question still taken as a follow-up: Chinese characters / English words.
MAX_ZH_CHARS = 12
MAX_EN_WORDS = 7
_ZH_OPENERS = ("那么", "那", "如果", "要是", "还有", "另外", "换成", "改成", "收费", "要钱", "多少钱", "要多久")
_ZH_CLOSERS = ("呢",)
_EN_OPENERS = re.compile(r"^(and|but|or|what about|how about|what if|and if|same for|also|then|is it|is that|does it|does that|how long does that|how much is that)\b", re.IGNORECASE)
_TRAILING = re.compile(r"[\s?？!！。.,，~～]+$")


def is_follow_up(text: str, language: str) -> bool:
    text = _TRAILING.sub("", normalize(text))
    if not text:
        return False
    if language == "zh":
        han = len(re.findall(r"[\u3400-\u9fff]", text))
        return han <= MAX_ZH_CHARS and (text.startswith(_ZH_OPENERS) or text.endswith(_ZH_CLOSERS))
    return len(text.split()) <= MAX_EN_WORDS and bool(_EN_OPENERS.match(text))


def follow_up_query(text: str, previous: str | None, language: str) -> str | None:
    """What to search for ``text`` after ``previous``: both together for a follow-up, else None (search ``text`` alone)."""
    if not previous or not previous.strip() or not is_follow_up(text, language):
        return None
    return f"{previous.strip()} {text.strip()}"
