"""A rating typed as a message: "5", "5分", "打5分", "五星", "★★★★★", "4 stars" (1 to 5).

After an agent resolves a chat the customer is asked "from 1 (poor) to 5 (excellent)". On a
messaging channel the score choices are buttons or menu links a customer may well not tap: they
type the number. Said while the chat is resolved, such a message is the rating, not a new problem
that reopens the ticket. Only a whole message that is a score counts: "5天了还没到货" (5 days and
still nothing) is a new problem.
"""

from __future__ import annotations

import re
import unicodedata

_CN_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}
_STARS = re.compile(r"(?:[★⭐]\ufe0f?\s*){1,5}")
_SCORE = re.compile(
    r"(?:我?(?:给|打)(?:你们|您|你)?\s*)?"  # 给5分, 打五星
    r"(?P<n>[1-5]|[一二两三四五])"
    r"\s*(?:分|星|颗星|个星|星好评|stars?|points?|/\s*5|out\s+of\s+5)?"
    r"[\s!！。.~～]*",
    re.IGNORECASE,
)


def typed_score(text: str) -> int | None:
    """The score (1-5) when ``text`` is nothing but a rating, else ``None``."""
    said = unicodedata.normalize("NFKC", text or "").strip()
    if not said:
        return None
    if _STARS.fullmatch(said):
        return sum(said.count(star) for star in "★⭐")
    if m := _SCORE.fullmatch(said):
        n = m.group("n")
        return int(n) if n.isdigit() else _CN_DIGITS[n]
    return None
