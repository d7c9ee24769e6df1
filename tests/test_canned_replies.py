"""Canned replies outside the browser: the starter replies a new install gets (once, never again), and
``./cs canned`` round trips with clear errors. The page is tested in test_web_canned_admin.py."""

from __future__ import annotations

import json
import os
import subprocess

from core.redis import Keys, sync_client
from core.settings import Settings
from core.stack import Stack
from tests.clients import ROOT, AgentClient, run_cli

STARTER_SHORTCUTS = {("hi", "en"), ("hi", "zh"), ("order", "en"), ("order", "zh"), ("sorry", "en"), ("sorry", "zh"), ("bye", "en"), ("bye", "zh")}


def replies(r, keys: Keys) -> dict[tuple[str, str], dict]:
    return {(c["shortcut"], c["language"]): c for c in map(json.loads, r.hgetall(keys.canned_replies).values())}


def test_a_new_install_gets_starter_replies_once_and_never_again(valkey_url):
    """A fresh install had no canned replies at all: "/" in the reply box found nothing. The first start adds a
    greeting, ask-for-the-order-number, sorry-for-the-wait and closing reply in zh and en; starting again never adds
    them a second time, never overwrites an edited one, and an admin who deleted them all does not get them back."""
    settings = Settings(redis_url=valkey_url)
    stack, r, keys = Stack(settings), sync_client(settings), Keys(settings.key_prefix)
    r.flushdb()
    stack.ensure_canned()  # what every start runs (core/stack.py Stack.start)
    first = replies(r, keys)
    assert set(first) == STARTER_SHORTCUTS
    assert "订单号" in first[("order", "zh")]["text"] and "order number" in first[("order", "en")]["text"]

    # An admin edits one: a restart keeps the edit, adds nothing.
    edited = {**first[("hi", "en")], "text": "Hi, I'm with the Acme team. How can I help?"}
    r.hset(keys.canned_replies, edited["id"], json.dumps(edited))
    stack.ensure_canned()
    assert replies(r, keys)[("hi", "en")]["text"] == edited["text"] and len(replies(r, keys)) == 8

    # They delete them all: the next start (and the one after) leaves it empty.
    r.delete(keys.canned_replies)
    stack.ensure_canned()
    stack.ensure_canned()
    assert replies(r, keys) == {}


def test_an_install_that_already_has_its_own_replies_gets_no_starters(valkey_url):
    """Upgrading a shop that made its own replies before starters existed: none are mixed in, then or later."""
    settings = Settings(redis_url=valkey_url)
    stack, r, keys = Stack(settings), sync_client(settings), Keys(settings.key_prefix)
    r.flushdb()
    own = {"id": "0123456789ab", "shortcut": "hi", "language": "en", "title": "Ours", "text": "Welcome to Acme!"}
    r.hset(keys.canned_replies, own["id"], json.dumps(own))
    stack.ensure_canned()
    r.delete(keys.canned_replies)
    stack.ensure_canned()
    assert replies(r, keys) == {}


def cs(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    """``./cs canned ...`` as an operator types it."""
    return subprocess.run([str(ROOT / "cs"), "canned", *args], cwd=ROOT, env={**os.environ}, input=stdin, capture_output=True, text=True, timeout=120)


def test_cs_canned_round_trip_and_clear_errors(stack, hub, agents):
    """There was no ./cs canned: an operator could manage canned replies only with raw API calls. Added, listed,
    edited, removed; each refusal says what was wrong in one line, with no traceback; agents find the result."""
    added = cs("add", "/Cli-Track", "--lang", "en", "--title", "Tracking link", "--text", "Track your parcel at example.com/track.")
    assert added.returncode == 0 and "added /cli-track (en)" in added.stdout, added.stderr
    assert cs("add", "cli-track", "--lang", "zh", "--title", "物流查询", "--text", "-", stdin="请在“我的订单”中查看物流信息。\n").returncode == 0
    listed = cs("list", "--search", "cli-track")
    assert "/cli-track" in listed.stdout and "Tracking link" in listed.stdout and "物流查询" in listed.stdout, listed.stdout
    alice = AgentClient(hub, "alice")
    found = alice.get("/canned?q=/cli-track&language=zh").json()
    assert [c["text"] for c in found] == ["请在“我的订单”中查看物流信息。"]

    refused = {
        ("add", "cli-track", "--lang", "en", "--title", "Again", "--text", "x"): "/cli-track already exists in en",
        ("add", "cli bad", "--lang", "en", "--title", "T", "--text", "x"): "shortcut: use letters a-z, digits, - and _ only",
        ("add", "cli-empty", "--lang", "en", "--title", "T", "--text", "   "): "text: must not be empty",
        ("add", "cli-long", "--lang", "en", "--title", "T", "--text", "x" * 2001): "text: too long: at most 2000 characters",
        ("edit", "cli-track", "--text", "y"): "/cli-track exists in en and zh: say which with --lang",
        ("edit", "cli-track", "--lang", "en"): "nothing to change",
        ("remove", "cli-nothing"): "no canned reply /cli-nothing",
    }
    for args, says in refused.items():
        proc = cs(*args)
        assert proc.returncode == 1 and says in proc.stderr and "Traceback" not in proc.stderr, (args, proc.stderr[-800:])

    edited = cs("edit", "cli-track", "--lang", "en", "--shortcut", "cli-parcel", "--text", "Your parcel's link: example.com/track.")
    assert edited.returncode == 0 and "saved /cli-parcel (en)" in edited.stdout, edited.stderr
    assert [c["text"] for c in alice.get("/canned?q=/cli-parcel&language=en").json()] == ["Your parcel's link: example.com/track."]
    assert alice.get("/canned?q=/cli-track&language=en").json() == []
    for args in (("remove", "cli-parcel"), ("remove", "cli-track", "--lang", "zh")):
        proc = cs(*args)
        assert proc.returncode == 0 and "removed" in proc.stdout, proc.stderr
    assert "cli-" not in cs("list").stdout
    down = subprocess.run([str(ROOT / "cs"), "canned", "list"], cwd=ROOT, env={**os.environ, "REDIS_URL": "redis://127.0.0.1:1/0"}, capture_output=True, text=True, timeout=120)
    assert down.returncode == 2 and "reach Redis" in down.stderr and "Traceback" not in down.stderr
    assert run_cli("-m", "tickets.cli", "list").returncode == 0
