"""Rasa's command line takes its API token whatever the token's first character (generated ones can start with "-")."""

from __future__ import annotations

import subprocess
from pathlib import Path

from core.settings import Settings
from core.stack import RASA_PYTHON, Stack


def test_a_token_starting_with_a_dash_reaches_rasa_as_the_token(monkeypatch, tmp_path: Path):
    monkeypatch.setenv("CS_SECRET_RASA_TOKEN", "-GRx_token-from-token_urlsafe")
    argv = Stack(Settings(var_dir=tmp_path)).rasa_service(tmp_path / "model.tar.gz").argv
    arguments = argv[argv.index("rasa_run") + 1 :]
    parsed = subprocess.run(  # Rasa's own parser, in Rasa's venv
        [str(RASA_PYTHON), "-c", "import sys; from rasa.__main__ import create_argument_parser as p; "
         "print(p().parse_args(sys.argv[1:]).auth_token)", *arguments],
        capture_output=True, text=True, timeout=120,
    )
    assert parsed.returncode == 0, parsed.stderr[-2000:]
    assert parsed.stdout.strip().splitlines()[-1] == "-GRx_token-from-token_urlsafe"
