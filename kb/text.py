"""Turning text into what is matched: one normal form, then lexical tokens.

``normalize`` is applied to every stored wording and every question before
anything else (embedding, BM25, character n-grams, exact match), so that
full-width and half-width forms (``ＡＢＣ１２３？`` / ``ABC123?``) and
traditional and simplified Chinese (``運費怎麼算`` / ``运费怎么算``) meet.

``tokenize`` gives BM25's terms: lower-cased, lightly stemmed English words,
and for Chinese both jieba's words and character bigrams: jieba alone misses
when a customer's compound is cut differently from the stored one
("包邮" vs "包 邮"); bigrams match at the character level whatever the cut.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from functools import lru_cache

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[\u3400-\u9fff\uf900-\ufaff]+")
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)
_EN_STOP = frozenset(
    "a an the is are was were be been am i me my we our you your it its this that these those "
    "to of in on for at by with from and or but do does did can could would should will shall "
    "please hi hello hey there what which who whom how when where why if so just any some "
    "have has had get got about as into than then them they he she his her".split()
)
_ZH_STOP = frozenset("的 了 吗 呢 吧 啊 呀 哦 嘛 么 我 你 您 他 她 它 是 在 有 和 就 都 也 请问 请 一下 亲 这个 那个 这 那 么 个 能 可以 想 要 怎么 如何 什么".split())
# Bigrams holding one of these are dropped: particles and pronouns that carry no topic.
_ZH_STOP_CHARS = frozenset("的了吗呢吧啊呀哦嘛么我你您他她它亲请")
BIGRAM_PREFIX = "~"  # keeps character bigrams apart from jieba words in BM25's vocabulary


@lru_cache(maxsize=1)
def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


@lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def normalize(text: str) -> str:
    """NFKC (full-width to half-width, compatibility forms) and traditional to simplified Chinese."""
    text = unicodedata.normalize("NFKC", text).strip()
    if _HAN.search(text):
        text = _t2s().convert(text)
    return text


_ZH_PARTICLES = re.compile("[亲呀吗呢啊哦嘛吧啦哈]")


# English words a customer adds without changing the question, dropped from match keys as Chinese particles are.
_EN_FILLERS = re.compile(r"\b(?:please|pls|hi|hello|hey|so|just|actually|um|uh)\b")


def match_key(text: str) -> str:
    """What "the same wording" means for an exact match: normalised, lower case, punctuation, spaces,
    Chinese particles and English fillers dropped ("是国行吗？" and "是国行", "just Visa accepted" and
    "Visa accepted" ask the same). A text of nothing but fillers ("hello") keeps them."""
    text = normalize(text).lower()
    key = _ZH_PARTICLES.sub("", _NOT_WORD.sub("", _EN_FILLERS.sub(" ", text)))
    return key or _ZH_PARTICLES.sub("", _NOT_WORD.sub("", text))


_CLAUSE_END = re.compile(r"[?？!！。；;，,]+")
MIN_CLAUSE_HAN = 4  # shortest Chinese clause (characters) that counts as a wording of its own
MIN_CLAUSE_WORDS = 3  # shortest English clause (words) that does


def clauses(text: str) -> list[str]:
    """The clauses of a multi-part wording ("运费怎么算？满多少包邮？" -> both halves) long enough to stand alone."""
    parts = [p.strip() for p in _CLAUSE_END.split(normalize(text)) if p.strip()]
    if len(parts) < 2:
        return []
    return [p for p in parts if len(_HAN.findall(p)) >= MIN_CLAUSE_HAN or len(p.split()) >= MIN_CLAUSE_WORDS]


# A question "near-verbatim" to a stored wording: a customer's slip, not a new question.
# Chinese: one character added or dropped (a particle, a filler), or, in a wording of at least
# NEAR_ZH_SUBSTITUTION_MIN characters, one replaced (an input-method slip); a replaced character
# in a short wording too often changes the question (退款/退货). English: one word added or dropped,
# or up to two letters off (a typo; "cancel"/"change" are further apart) in a wording of at least
# NEAR_EN_MIN_CHARS letters (one letter off from NEAR_EN_MIN_CHARS_ONE_LETTER).
NEAR_ZH_MIN = 4
NEAR_ZH_SUBSTITUTION_MIN = 8
NEAR_EN_MIN_CHARS = 8  # two letters off
NEAR_EN_MIN_CHARS_ONE_LETTER = 5  # one letter off


def near_verbatim(question: str, wording: str) -> bool:
    """Whether ``question`` repeats ``wording`` with one character or word changed (both already normalised)."""
    from rapidfuzz.distance import DamerauLevenshtein, Indel

    a, b = match_key(question), match_key(wording)
    if a == b:
        return True
    if _HAN.search(b):
        if min(len(a), len(b)) < NEAR_ZH_MIN:
            return False
        return Indel.distance(a, b) <= 1 or (min(len(a), len(b)) >= NEAR_ZH_SUBSTITUTION_MIN and DamerauLevenshtein.distance(a, b) <= 1)
    words_a, words_b = _WORD.findall(question.lower()), _WORD.findall(wording.lower())
    if len(words_b) >= 3 and Indel.distance(words_a, words_b) <= 1:
        return True
    shortest = min(len(a), len(b))
    distance = DamerauLevenshtein.distance(a, b)
    return (shortest >= NEAR_EN_MIN_CHARS and distance <= 2) or (shortest >= NEAR_EN_MIN_CHARS_ONE_LETTER and distance <= 1)


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


def _bigrams(chunk: str) -> list[str]:
    """Adjacent character pairs, without pairs holding a particle or pronoun (they say nothing about the topic)."""
    return [BIGRAM_PREFIX + a + b for a, b in zip(chunk, chunk[1:]) if a not in _ZH_STOP_CHARS and b not in _ZH_STOP_CHARS]


def tokenize(text: str) -> list[str]:
    """Lexical tokens of mixed Chinese/English text (normalised first), stop words removed."""
    tokens: list[str] = []
    for chunk in _WORD.findall(normalize(text).lower()):
        if chunk[0].isascii():
            if chunk not in _EN_STOP:
                tokens.append(_stem(chunk))
            continue
        for word in _jieba().cut_for_search(chunk):
            if word.strip() and word not in _ZH_STOP:
                tokens.append(word)
        tokens.extend(_bigrams(chunk))
    return tokens
