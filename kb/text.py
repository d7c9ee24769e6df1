"""Turning text into lexical tokens: jieba for Chinese, lower-cased words for English."""

from __future__ import annotations

import logging
import re
from functools import lru_cache

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[\u3400-\u9fff\uf900-\ufaff]+")
_EN_STOP = frozenset(
    "a an the is are was were be been am i me my we our you your it its this that these those "
    "to of in on for at by with from and or but do does did can could would should will shall "
    "please hi hello hey there what which who whom how when where why if so just any some "
    "have has had get got about as into than then them they he she his her".split()
)
_ZH_STOP = frozenset("的 了 吗 呢 吧 啊 呀 哦 嘛 么 我 你 您 他 她 它 是 在 有 和 就 都 也 请问 请 一下 亲 这个 那个 这 那 么 个 能 可以 想 要 怎么 如何 什么".split())


@lru_cache(maxsize=1)
def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def _stem(word: str) -> str:
    # Deliberately tiny: plural and -ing/-ed folding is where FAQ paraphrases differ most.
    if len(word) <= 3:
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            stem = word[: -len(suffix)]
            if len(stem) > 3 and stem[-1] == stem[-2] and stem[-1] not in "lsz":
                stem = stem[:-1]  # shipping -> ship
            return stem
    return word


def tokenize(text: str) -> list[str]:
    """Lexical tokens of mixed Chinese/English text, stop words removed."""
    tokens: list[str] = []
    for chunk in _WORD.findall(text.lower()):
        if chunk[0].isascii():
            if chunk not in _EN_STOP:
                tokens.append(_stem(chunk))
            continue
        for word in _jieba().cut_for_search(chunk):
            if word.strip() and word not in _ZH_STOP:
                tokens.append(word)
    return tokens
