"""What a knowledge-base entry is, and what an entry may hold.

A new entry's question, answer and phrasings are trimmed of spaces and invisible characters at their ends.
A question or answer with nothing else in it is refused; blank and repeated phrasings are dropped (an editor
pasting a list expects the list, once; "Track my order" and "track my order?" are the same wording, as is a
phrasing that repeats the question), and their number and length are bounded (``Settings.kb_max_phrasings``,
``Settings.kb_max_phrasing_chars``). Entries read back from the store or an index version on disk
(``FaqEntry.from_stored``) were checked when they were written and are taken as they are: a limit added
later must not make an existing KB, or its published index, unreadable.
"""

from __future__ import annotations

import re
import time
from typing import Literal

from pydantic import BaseModel, Field, ValidationInfo, field_validator

from core.language import SUPPORTED
from core.settings import Settings
from kb.text import normalize

Status = Literal["draft", "published"]
CATEGORIES = ("orders", "shipping", "returns", "payment", "account", "product", "other")
# Spaces (str.isspace) and the invisible characters a paste can carry: zero-width space/joiners, LRM/RLM, word joiner, BOM.
_EDGES = re.compile(r"^[\s\u200b-\u200f\u2060\ufeff]+|[\s\u200b-\u200f\u2060\ufeff]+$")
_STORED = {"stored": True}


def trim(text: str) -> str:
    """``text`` without spaces and invisible characters at either end."""
    return _EDGES.sub("", text)


_SPACES = re.compile(r"\s+")
_PHRASING_SEPARATORS = re.compile(r"[|\uff5c\r\n]")  # | and its full-width form ｜, line breaks
_TAG_SEPARATORS = re.compile(r"[|\uff5c\r\n,\uff0c]")  # the same, and commas (, ，)
_END_MARKS = re.compile(r"[\s?？!！.。]+$")


def same_wording_key(text: str) -> str:
    """Two wordings with the same key are one phrasing: they differ only in width, script variant (traditional or
    simplified), case, spacing or the mark at the end, none of which the search tells apart."""
    return _END_MARKS.sub("", _SPACES.sub(" ", normalize(text).casefold()))


def _checking(info: ValidationInfo) -> bool:
    """False for entries read back from the store: they were checked when written (module docstring)."""
    return not (info.context or {}).get("stored")


class FaqEntry(BaseModel):
    id: str = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_.:\-]+$")
    question: str = Field(min_length=1, max_length=1000)
    phrasings: list[str] = Field(default_factory=list)
    answer: str = Field(min_length=1, max_length=20000)
    category: str = "other"
    language: str = "en"
    tags: list[str] = Field(default_factory=list)
    status: Status = "draft"  # a change is a draft until the next publish
    revision: int = 0
    updated_at: float = Field(default_factory=time.time)
    updated_by: str = "system"

    @field_validator("language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        if value not in SUPPORTED:
            raise ValueError(f"unknown language {value!r}; expected one of {', '.join(SUPPORTED)}")
        return value

    @field_validator("phrasings", "tags", mode="before")
    @classmethod
    def _split_cell(cls, value: object, info: ValidationInfo) -> object:
        # Spreadsheet cells carry lists as "a | b | c" (the export's form). Typed with a Chinese input method the bar
        # is full-width ("a｜b"); a cell may list one per line (Alt+Enter, or pasted from the editor's one-per-line
        # box); tags may also be separated by commas, as the editor page's tag field takes them ("发票，礼品").
        if isinstance(value, str):
            separators = _TAG_SEPARATORS if info.field_name == "tags" else _PHRASING_SEPARATORS
            return [part.strip() for part in separators.split(value) if part.strip()]
        return value

    @field_validator("question", "answer")
    @classmethod
    def _not_blank(cls, value: str, info: ValidationInfo) -> str:
        if not _checking(info):
            return value
        value = trim(value)
        if not value:
            raise ValueError("must not be blank (it has only spaces or invisible characters)")
        return value

    @field_validator("phrasings")
    @classmethod
    def _clean_phrasings(cls, value: list[str], info: ValidationInfo) -> list[str]:
        if not _checking(info):
            return value
        seen = {same_wording_key(info.data["question"])} if "question" in info.data else set()
        kept = []
        for text in filter(None, map(trim, value)):  # blank and repeated ones dropped, order kept
            if (key := same_wording_key(text)) not in seen:
                seen.add(key)
                kept.append(text)
        if len(kept) > Settings.kb_max_phrasings:
            raise ValueError(f"at most {Settings.kb_max_phrasings} phrasings per entry (this one has {len(kept)} different ones)")
        for number, text in enumerate(kept, 1):
            if len(text) > Settings.kb_max_phrasing_chars:
                raise ValueError(f"phrasing {number} is too long: at most {Settings.kb_max_phrasing_chars} characters (it has {len(text)})")
        return kept

    @classmethod
    def from_stored(cls, data: str | bytes | dict) -> "FaqEntry":
        """An entry as the store (or an index version on disk) holds it, taken as it is (module docstring)."""
        if isinstance(data, dict):
            return cls.model_validate(data, context=_STORED)
        return cls.model_validate_json(data, context=_STORED)

    def texts(self) -> list[str]:
        """Everything a customer question is matched against: the question and each phrasing."""
        seen: dict[str, None] = {}
        for text in [self.question, *self.phrasings]:
            seen.setdefault(text.strip(), None)
        return list(seen)

    def content_equals(self, other: "FaqEntry") -> bool:
        fields = ("question", "phrasings", "answer", "category", "language", "tags")
        return all(getattr(self, f) == getattr(other, f) for f in fields)
