"""Themes of negative feedback (负面反馈主题): the comments of low ratings, grouped by the word they share most.

Each comment counts in exactly one theme, so the themes' shares add up to every
comment of the period: a briefing that shows only the biggest themes says how
many comments the rest hold (``shown``) instead of dropping them. Pure (jieba
segments Chinese, as the knowledge base does).
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from functools import cache

_HAN = re.compile(r"[\u4e00-\u9fff]")
_EN_STOP = frozenset("the a an and or to of in on for is was it i my me we you your with not no be been are at this that too very so but "
                     "have has had just".split())
UNTHEMED = ""  # the theme of comments without a word to group by ("👎", "!!!")


@cache
def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    return jieba


def words(text: str) -> list[str]:
    """The words of a comment that can name a theme, each once, in the order they come: Chinese words of two
    characters or more (jieba), English words of three letters or more that are not stop words."""
    if _HAN.search(text):
        found = [w for w in _jieba().lcut(text) if len(w) >= 2 and _HAN.search(w)]
    else:
        found = [w for w in re.findall(r"[a-zA-Z]{3,}", text.lower()) if w not in _EN_STOP]
    return list(dict.fromkeys(found))


def group(comments: list[list[str]]) -> list[dict]:
    """Every theme of these comments (each given as its ``words``), biggest first, the unthemed last: a comment goes to
    its word that most comments share (a tie: the word it says first). Rows: theme, comments, share of all comments."""
    shared = Counter(w for ws in comments for w in set(ws))
    sizes = Counter(max(ws, key=lambda w: (shared[w], -ws.index(w))) if ws else UNTHEMED for ws in comments)
    rows = sorted(((theme, n) for theme, n in sizes.items() if theme != UNTHEMED), key=lambda row: (-row[1], row[0]))
    if sizes[UNTHEMED]:
        rows.append((UNTHEMED, sizes[UNTHEMED]))
    return [{"theme": theme, "comments": n, "share": n / len(comments)} for theme, n in rows]


def shown(themes: list[dict], limit: int = 5) -> list[dict]:
    """The ``limit`` biggest themes, then the smaller ones in one row (``others``: how many themes it holds), then the
    unthemed: a short list whose rows still add up to every comment."""
    named = [row for row in themes if row["theme"] != UNTHEMED]
    out = [{**row, "others": 0} for row in named[:limit]]
    if rest := named[limit:]:
        out.append({"theme": None, "others": len(rest), "comments": sum(r["comments"] for r in rest), "share": sum(r["share"] for r in rest)})
    out += [{**row, "others": 0} for row in themes if row["theme"] == UNTHEMED]
    return out
