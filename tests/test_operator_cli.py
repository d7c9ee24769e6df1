"""`./cs` as an operator meets it: a clear sentence and an exit code for what they can fix, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.clients import PASSWORD, ROOT, run_cli


def cli(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True, timeout=300)


def test_every_command_says_when_redis_cannot_be_reached(stack):
    down = {"REDIS_URL": "redis://:a-secret@127.0.0.1:1/0"}
    for args in (("-m", "analytics", "--period", "last-week"), ("-m", "privacy", "audit"), ("-m", "privacy", "purge", "--dry-run"),
                 ("-m", "privacy", "export", "--customer", "c-1"), ("-m", "demo", "--wipe"), ("-m", "handoff", "list")):
        proc = cli(*args, **down)
        said = proc.stderr
        assert proc.returncode == 2 and "Traceback" not in said and "reach Redis" in said, (args, said[-800:])
        assert "a-secret" not in said  # the password in REDIS_URL is never printed


def test_bad_arguments_and_files_are_refused_with_a_reason(stack, tmp_path):
    refused = {
        ("-m", "privacy", "audit", "--since", "yesterday"): "not an ISO date",
        ("-m", "analytics", "--period", "last-week", "--format", "html", "--out", str(tmp_path)): "Is a directory",
        ("-m", "privacy", "audit", "--out", str(tmp_path / "missing" / "audit.jsonl")): "No such file or directory",
        ("-m", "handoff", "add", "cap-bad", "--capacity", "-5", "--password", PASSWORD): "from 1 to 100",
        ("-m", "handoff", "unlock", "nobody-at-all"): "no agent nobody-at-all",
    }
    for args, says in refused.items():
        proc = run_cli(*args)
        assert proc.returncode != 0 and says in proc.stderr and "Traceback" not in proc.stderr, (args, proc.stderr[-800:])


def test_saving_an_existing_account_keeps_what_is_not_given(stack):
    """`./cs agents add alice --role admin` replaced the whole account: her skills, capacity and name were lost."""
    made = run_cli("-m", "handoff", "add", "keeps-skills", "--name", "Keeps", "--capacity", "7", "--skill", "vip", "--skill", "zh", "--password", PASSWORD)
    assert made.returncode == 0, made.stderr
    assert run_cli("-m", "handoff", "add", "keeps-skills", "--role", "supervisor", "--password", PASSWORD).returncode == 0
    row = next(line for line in run_cli("-m", "handoff", "list").stdout.splitlines() if line.startswith("keeps-skills "))
    assert "supervisor" in row and "capacity 7" in row and "Keeps" in row
    from core.redis import Keys, sync_client
    from core.settings import Settings

    settings = Settings()
    assert sync_client(settings).hget(Keys(settings.key_prefix).agent("keeps-skills"), "skills") == '["vip", "zh"]'
    run_cli("-m", "handoff", "remove", "keeps-skills")
