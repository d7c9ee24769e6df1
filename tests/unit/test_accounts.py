"""Pure rules of staff accounts and customer identity: the password policy, identity signatures."""

from __future__ import annotations

import pytest

from core.identity import identity_is_signed, sign_identity
from core.passwords import WeakPassword, check_password


@pytest.mark.parametrize("password", ["12345678", "password1234", "aaaaaaaaaaaaaaaa", "alice-alice-alice", "qwertyuiop123"])
def test_weak_passwords_are_refused_with_a_reason(password):
    with pytest.raises(WeakPassword) as refused:
        check_password(password, "alice", "Alice")
    assert "password" in str(refused.value)


def test_a_long_unguessable_phrase_is_accepted():
    check_password("correct-horse-battery", "alice", "Alice")


def test_identity_signature():
    secret = "s3cret"
    sig = sign_identity(secret, "cust-42", "vip", "Li Na")
    assert identity_is_signed(secret, "cust-42", "vip", "Li Na", sig)
    assert not identity_is_signed(secret, "cust-42", "vip", "Li Na", None)
    assert not identity_is_signed(secret, "cust-43", "vip", "Li Na", sig)  # another customer
    assert not identity_is_signed(secret, "cust-42", "standard", "Li Na", sig.replace(sig[0], "0" if sig[0] != "0" else "1"))
    assert not identity_is_signed("other", "cust-42", "vip", "Li Na", sig)
