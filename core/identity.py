"""Signed customer identity: attributes that change how a customer is treated are trusted only when the shop signed them.

The shop's own server (where the customer is logged in) computes, with the
shared identity secret (``var/secrets/identity-secret`` or
``CS_SECRET_IDENTITY_SECRET``)::

    signature = hex(HMAC-SHA256(secret, ref + "\\n" + tier + "\\n" + name))

and passes ``ref``, ``tier``, ``name`` and ``signature`` to the widget (or the
REST API). Without a valid signature a conversation is an anonymous standard
customer, whatever it claims (like Chatwoot's identity validation).
"""

from __future__ import annotations

import hashlib
import hmac


def identity_message(ref: str, tier: str, name: str) -> bytes:
    return f"{ref}\n{tier}\n{name}".encode()


def sign_identity(secret: str, ref: str, tier: str, name: str) -> str:
    return hmac.new(secret.encode(), identity_message(ref, tier, name), hashlib.sha256).hexdigest()


def identity_is_signed(secret: str, ref: str, tier: str, name: str, signature: str | None) -> bool:
    # A reference with a line break is never a signed one: the signed text would read two ways. A name the shop lets
    # its customers choose, "Ann\nvip\nLee", signed as (ref "c-77", "standard", that name), is also the signature of
    # (ref "c-77\nstandard\nAnn", "vip", "Lee"): a VIP by replay. Without a line break in the reference, the first
    # two line breaks are where the shop put them.
    if "\n" in ref or "\r" in ref:
        return False
    # As bytes: a signature with non-ASCII characters is a wrong one, not a TypeError (compare_digest on such a str).
    return bool(signature and ref) and hmac.compare_digest(sign_identity(secret, ref, tier, name).encode(), signature.lower().encode())


def ref_digest(ref: str) -> str:
    """Customer references are stored hashed: the index finds a customer's conversations without holding their id in clear."""
    return hashlib.sha256(ref.encode()).hexdigest()
