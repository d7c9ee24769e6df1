"""What a knowledge-base entry is."""

from __future__ import annotations

import time
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from core.language import SUPPORTED

Status = Literal["draft", "published"]
CATEGORIES = ("orders", "shipping", "returns", "payment", "account", "product", "other")


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
    def _split_cell(cls, value: object) -> object:
        # CSV cells carry lists as "a | b | c".
        if isinstance(value, str):
            return [part.strip() for part in value.split("|") if part.strip()]
        return value

    @field_validator("phrasings")
    @classmethod
    def _clean_phrasings(cls, value: list[str]) -> list[str]:
        return [p.strip() for p in value if p and p.strip()]

    def texts(self) -> list[str]:
        """Everything a customer question is matched against: the question and each phrasing."""
        seen: dict[str, None] = {}
        for text in [self.question, *self.phrasings]:
            seen.setdefault(text.strip(), None)
        return list(seen)

    def content_equals(self, other: "FaqEntry") -> bool:
        fields = ("question", "phrasings", "answer", "category", "language", "tags")
        return all(getattr(self, f) == getattr(other, f) for f in fields)
