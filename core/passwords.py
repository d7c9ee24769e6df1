"""The password policy for staff accounts (OWASP ASVS V2.1): long enough, not common, not guessable from the account.

Strength is judged by zxcvbn (the estimator Dropbox published), which knows the
common-password lists, dictionary words, keyboard walks, dates and repeats, and
is told the username and display name so "alice-alice-2024" does not pass.
"""

from __future__ import annotations

from zxcvbn import zxcvbn

MIN_LENGTH = 12
MAX_LENGTH = 128
MIN_SCORE = 3  # zxcvbn: 0 too guessable ... 4 very unguessable


class WeakPassword(ValueError):
    """Raised with a reason a person can act on."""


def check_password(password: str, *personal: str) -> None:
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"password too short: at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"password too long: at most {MAX_LENGTH} characters")
    verdict = zxcvbn(password, user_inputs=[p for p in personal if p])
    if verdict["score"] < MIN_SCORE:
        hint = verdict["feedback"].get("warning") or "it is too easy to guess"
        raise WeakPassword(f"password too weak: {hint.rstrip('.')}. Use a longer phrase of unrelated words.")
