"""Secrets the product makes for itself at first start: each lives in ``<var>/secrets/<name>``, readable by its owner only.

An operator can set any of them in the environment (``CS_SECRET_<NAME>``, e.g.
``CS_SECRET_VALKEY_PASSWORD``) or in ``.env`` instead; otherwise the first
process that needs one generates it (created exclusively, so two processes
starting at once agree on one value). Nothing here is ever logged.

- ``valkey-password``: the embedded Valkey requires it (``requirepass``).
- ``rasa-token``: Rasa's HTTP API requires it (``--auth-token``); the hub sends it.
- ``pii-key``: the key that encrypts the originals of masked personal data.
- ``identity-secret``: the shop's site signs customer attributes with it (HMAC).

Beside them, ``initial-admin-password``: the first ``admin`` account's generated
password, written by the launcher (``core/stack.py``) and removed as soon as that
password is changed, whoever changes it (``forget_initial_admin_password``).
"""

from __future__ import annotations

import base64
import os
import secrets as _random
from pathlib import Path

NAMES = ("valkey-password", "rasa-token", "pii-key", "identity-secret")
INITIAL_ADMIN = "admin"  # the account the launcher creates on the first run


def _generate(name: str) -> str:
    if name == "pii-key":  # a Fernet key: 32 random bytes, url-safe base64
        return base64.urlsafe_b64encode(_random.token_bytes(32)).decode()
    return _random.token_urlsafe(32)


def read_secret(var_dir: Path, name: str) -> str:
    """The secret ``name``: from the environment if set, else from its file, generated there on first use."""
    assert name in NAMES, name
    configured = os.environ.get(f"CS_SECRET_{name.upper().replace('-', '_')}")
    if configured:
        return configured
    folder = var_dir / "secrets"
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    path = folder / name
    if not path.exists():
        # Written whole under a private name, then linked into place: the link fails if another
        # process got there first, and nobody ever reads a half-written secret.
        draft = folder / f".{name}.{os.getpid()}"
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(_generate(name) + "\n")
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text().strip()


def write_private(path: Path, text: str) -> None:
    """``text`` into ``path``, readable by its owner only, never for an instant by others (a secret, personal data);
    an existing file is narrowed to that too before it is written."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)


def initial_admin_password_file(var_dir: Path) -> Path:
    return var_dir / "secrets" / "initial-admin-password"


def keep_initial_admin_password(var_dir: Path, password: str) -> Path:
    """The launcher's first run: the generated password of the ``admin`` it created, in an owner-only file."""
    path = initial_admin_password_file(var_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_private(path, password + "\n")
    return path


def forget_initial_admin_password(var_dir: Path, username: str) -> None:
    """Call after ``username``'s password was changed (or the account removed): once the first admin's generated
    password no longer works, its file goes (the launcher keeps it only until then; a stale copy only misleads)."""
    if username == INITIAL_ADMIN:
        initial_admin_password_file(var_dir).unlink(missing_ok=True)
