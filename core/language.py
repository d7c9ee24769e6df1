"""Which language a customer writes in, judged by the words of their message.

Chinese customers mix Latin letters into Chinese all the time: a link, an
e-mail address, a tracking number (SF1234567890), a product (iPhone 15, Mate
60 Pro). None of these says the customer reads English, so they are set aside
before counting; what is left decides: Han characters against English words.
A message with neither (a number, a code, a link alone) keeps the language the
conversation already has (``default``), and so does a command such as a
button's ``/request_human``, which the customer never typed.
"""

from __future__ import annotations

import re

SUPPORTED = ("en", "zh")

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# Rasa's command form, as buttons send it: /intent or /intent{"entity": "value"}.
_COMMAND = re.compile(r"/[A-Za-z_][\w.-]*(\{.*\})?", re.S)
_URL = re.compile(r"(?:https?://|www\.)\S+|\b[\w.-]+\.(?:com|cn|net|org|io|html?)\b(?:/\S*)?", re.I | re.A)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.A)
# A brand or model: a token with a digit or an inner capital ("15", "S24", "iPhone", "AirPods") with the
# capitalised names around it ("iPhone 15 Pro Max", "Huawei Mate 60", "MacBook Air"); a lower-case word breaks
# the run, so "my iPhone 15" keeps "my".
_NAME = r"(?:[A-Z][A-Za-z]*|[a-z]+[A-Z][A-Za-z]*)"
_CORE = r"(?:[A-Za-z-]*\d[\w-]*|[A-Za-z]*[a-z][A-Z][A-Za-z]*)"
_MODEL = re.compile(rf"(?<![A-Za-z])(?:{_NAME}[ -]?){{0,3}}{_CORE}(?:[ -]?{_NAME}){{0,2}}(?![A-Za-z])", re.A)
# What may count as an English word: all lower case, or capitalised; never "iPhone", "USB" or "SF" (names, codes).
_WORD = re.compile(r"(?<![A-Za-z\d])[A-Za-z][a-z]*(?:'[a-z]+)?(?![A-Za-z\d])")
MIN_ENGLISH_LETTERS = 3  # "ok" or "hi" alone is no sentence: the conversation keeps its language


def is_command(text: str) -> bool:
    """A button's payload or a slash command (``/request_human``, ``/faq{"faq_id": "x"}``), not words a customer wrote."""
    return bool(_COMMAND.fullmatch((text or "").strip()))


def english_words(text: str) -> list[str]:
    """The English words of a message: links, e-mail addresses, codes with digits and brand/model names left out."""
    for pattern in (_EMAIL, _URL, _MODEL):
        text = pattern.sub(" ", text)
    return _WORD.findall(text)


def detect_language(text: str, default: str = "en") -> str:
    """``zh`` or ``en`` from the message's real words; ``default`` when it has none (or is a command)."""
    text = text or ""
    if is_command(text):
        return default
    han = len(_HAN.findall(text))
    words = english_words(text)
    if han and len(words) <= han:  # mostly Chinese, a few Latin words in it: still Chinese
        return "zh"
    if sum(len(w) for w in words) >= MIN_ENGLISH_LETTERS:
        return "en"
    return "zh" if han else default
