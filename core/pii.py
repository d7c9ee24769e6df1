"""Personal data in what customers write: find it, mask it. Pure: strings in, strings out.

What this product meets, in Chinese and English text:

- phone numbers: Google's libphonenumber (``phonenumbers``) finds and validates
  them, Chinese mobiles (13812345678, +86 139-1234-5678) and landlines alike;
- resident ID numbers (18 digits, the last may be X, spaces or dashes allowed as in
  "110105 19491231 002X"): valid when the birth date and the ISO 7064 check digit
  hold (``python-stdnum``'s ``cn.ric``);
- bank card numbers (13-19 digits, spaces or dashes allowed): valid when the Luhn
  check holds (``stdnum.luhn``);
- e-mail addresses.

A number that fails its checksum is still masked when the customer says what it
is ("身份证", "卡号", "ID card", "card number" just before it): a mistyped ID is
still an ID. Order numbers and the like, unlabelled and failing the checks,
stay as they are.

Masks keep what lets a person confirm without revealing: a phone's first three
and last four digits (138****5678), an ID's region and last four
(110101********7777), a card's last four (**** 3445), an e-mail's first letter
and domain (a***@example.com).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import phonenumbers
from stdnum import luhn
from stdnum.cn import ric

Kind = Literal["phone", "id_card", "bank_card", "email"]


@dataclass(frozen=True)
class Finding:
    kind: Kind
    start: int
    end: int
    value: str


_ID = re.compile(r"(?<![0-9A-Za-z])\d(?:[ \u3000-]?\d){16}[ \u3000-]?[\dXx](?![0-9A-Za-z])")
_SEPARATORS = re.compile(r"[ \u3000-]")
_CARD = re.compile(r"(?<![0-9])\d(?:[ -]?\d){12,18}(?![0-9])")
_EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,24}(?![\w-])")
_ID_WORDS = re.compile(r"(身份证|证件号|身份号|id\s*card|identity|id\s*(number|no\.?))\D{0,8}$", re.IGNORECASE)
_CARD_WORDS = re.compile(r"(卡号|银行卡|信用卡|借记卡|储蓄卡|card\s*(number|no\.?|#)?)\D{0,8}$", re.IGNORECASE)


def _labelled(text: str, start: int, words: re.Pattern) -> bool:
    return bool(words.search(text[max(0, start - 24):start]))


def _dialled(text: str, m: re.Match) -> bool:
    """A run of digits that is a whole international phone number (+86 138..., 86138...): a 13-digit +86 mobile
    passes the Luhn check one time in ten, and is a phone to mask as one, not a card."""
    digits = re.sub(r"\D", "", m.group())
    plus = text[max(0, m.start() - 1):m.start()] == "+"
    if len(digits) > 15 or not (plus or digits.startswith("86")):
        return False
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse("+" + digits, None))
    except phonenumbers.NumberParseException:
        return False


def find(text: str) -> list[Finding]:
    """Every piece of personal data in ``text``, in order, never overlapping."""
    found: list[Finding] = []

    def free(start: int, end: int) -> bool:
        return all(end <= f.start or start >= f.end for f in found)

    for m in _ID.finditer(text):
        if ric.is_valid(_SEPARATORS.sub("", m.group())) or _labelled(text, m.start(), _ID_WORDS):
            found.append(Finding("id_card", m.start(), m.end(), m.group()))
    for m in _CARD.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        labelled = _labelled(text, m.start(), _CARD_WORDS)
        if free(m.start(), m.end()) and 13 <= len(digits) <= 19 and (labelled or luhn.is_valid(digits) and not _dialled(text, m)):
            found.append(Finding("bank_card", m.start(), m.end(), m.group()))
    for m in _EMAIL.finditer(text):
        if free(m.start(), m.end()):
            found.append(Finding("email", m.start(), m.end(), m.group()))
    for match in phonenumbers.PhoneNumberMatcher(text, "CN", leniency=phonenumbers.Leniency.VALID):
        if free(match.start, match.end):
            found.append(Finding("phone", match.start, match.end, match.raw_string))
    return sorted(found, key=lambda f: f.start)


def mask_value(kind: Kind, value: str) -> str:
    digits = re.sub(r"\D", "", value)
    if kind == "phone":
        national = digits[-11:] if len(digits) >= 11 else digits
        return f"{national[:3]}****{national[-4:]}" if len(national) >= 8 else "*" * max(0, len(national) - 2) + national[-2:]
    if kind == "id_card":
        compact = _SEPARATORS.sub("", value)
        return f"{compact[:6]}********{compact[-4:]}"
    if kind == "bank_card":
        return f"**** {digits[-4:]}"
    local, _, domain = value.partition("@")
    return f"{local[:1]}***@{domain}"


def mask(text: str) -> tuple[str, list[Finding]]:
    """``text`` with every finding replaced by its mask, and the findings (with the original values)."""
    findings = find(text)
    out, last = [], 0
    for f in findings:
        out += [text[last:f.start], mask_value(f.kind, f.value)]
        last = f.end
    out.append(text[last:])
    return "".join(out), findings


def parse_contact(text: str) -> tuple[Literal["phone", "email"], str] | None:
    """A contact a customer typed into a form: a valid phone number (E.164) or an e-mail address, else ``None``."""
    text = text.strip()
    if _EMAIL.fullmatch(text):
        return "email", text.lower()
    try:
        number = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return "phone", phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# Contacts and identities the product stores (``parse_contact``'s E.164 numbers, e-mail addresses, channel ids),
# masked for staff who may not see who the customer is (hub/visibility.py).
_E164 = re.compile(r"\+\d{8,15}(?!\d)")


def mask_contact(value: str) -> str:
    """A contact as ``parse_contact`` returns it (an E.164 phone number or an e-mail address), masked."""
    return mask_value("email" if "@" in value else "phone", value)


def mask_contacts(text: str) -> str:
    """A line the product wrote around a stored contact ("we can reach you at +8613812345678") with the contact masked.

    Not ``mask``: that reads customers' free text, where "+8613812345678" can pass for a card number.
    """
    text = _E164.sub(lambda m: mask_contact(m.group()), text)
    return _EMAIL.sub(lambda m: mask_contact(m.group()), text)


def mask_identity(identity: str) -> str:
    """A customer identity ``"kind:value"`` with its value masked: a phone number or e-mail like a contact, any other
    id (the shop's reference, a Telegram id, a WeChat openid, a web visitor id) down to its last four characters, or
    to nothing when it is short enough that four would give much of it away."""
    kind, _, value = identity.partition(":")
    if kind in ("phone", "email"):
        return f"{kind}:{mask_contact(value)}"
    return f"{kind}:****{value[-4:] if len(value) >= 12 else ''}"
