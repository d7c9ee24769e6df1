"""What customers wrote before masking, sealed with the key from configuration (``pii-key``, core/secrets.py).

``PersonalData`` is the one gate customer text passes through before it is stored: masked (core/pii.py), the original sealed.

Fernet (AES-128-CBC with an HMAC-SHA256 tag, from ``cryptography``): a sealed
value can be opened only with the key, and any tampering is detected. The
originals live in their own Redis hash per conversation (``Keys.pii``), never
in the transcript, so nothing that reads transcripts ever sees them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cryptography.fernet import Fernet, InvalidToken

from core.pii import mask


class Vault:
    def __init__(self, key: str) -> None:
        self._fernet = Fernet(key.encode())

    def seal(self, text: str) -> str:
        return self._fernet.encrypt(text.encode()).decode()

    def open(self, sealed: str) -> str | None:
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken:
            return None


@dataclass
class Protected:
    text: str  # what is stored and shown: masked
    kinds: list[str] = field(default_factory=list)  # what was masked (phone, id_card, bank_card, email)
    sealed: str | None = None  # the original, sealed, if anything was masked


class PersonalData:
    """The one place text from customers passes through before it is stored."""

    def __init__(self, vault: Vault, *, enabled: bool = True) -> None:
        self.vault = vault
        self.enabled = enabled

    def protect(self, text: str) -> Protected:
        if not self.enabled:
            return Protected(text)
        masked, findings = mask(text)
        if not findings:
            return Protected(text)
        return Protected(masked, sorted({f.kind for f in findings}), self.vault.seal(text))

    def masked(self, text: str) -> str:
        return self.protect(text).text
