"""``agents``: staff accounts from the command line (``./cs agents add alice --name "Alice"``).

Passwords are asked for (or read from ``$CS_AGENT_PASSWORD``), never taken
from a visible argument unless ``--password`` is given explicitly; every change
ends the account's sessions where it should and leaves an audit line.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys

from core.audit import AuditLog
from core.passwords import WeakPassword
from core.redis import Keys, async_client
from core.secrets import forget_initial_admin_password
from core.settings import get_settings
from handoff.agents import Agent, AgentDirectory
from handoff.lockout import LockoutPolicy, LoginGuard
from handoff.sessions import Sessions

ACTOR = "cli"


def _capacity(text: str) -> int:
    """As the admin page allows: 1 to 100 chats at once."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= 100:
        raise argparse.ArgumentTypeError(f"capacity is a number of chats from 1 to 100, not {text!r}")
    return value


def _say_moved(moved: int) -> None:
    if moved:
        print(f"{moved} open chat(s) went back to the queue")


def _password(args: argparse.Namespace, prompt: str) -> str:
    given = args.password or os.environ.get("CS_AGENT_PASSWORD")
    if given:
        return given
    first = getpass.getpass(prompt)
    if getpass.getpass("again: ") != first:
        raise WeakPassword("the two passwords differ")
    return first


async def _chats_go_back(username: str, display_name: str) -> int:
    """As when the admin page removes an account or makes it an editor (``hub/routes/admin.py``): its open chats go
    back to the queue and on to whoever can take them, at once, the customers told. Nothing else would move them
    for an agent with no console open. The desk sits above this package, so it is imported only here."""
    from handoff.events import Frame
    from tickets.worker import desk_for_jobs

    desk, close = desk_for_jobs()
    try:
        await desk.conversations.publish_agents({"type": Frame.PRESENCE, "agent": username, "presence": "offline"})
        return await desk.agent_gone(username, display_name)
    finally:
        await close()


async def _run(args: argparse.Namespace) -> int:
    settings = get_settings()
    client = async_client(settings)
    try:
        await client.ping()
    except Exception as exc:
        print(f"Cannot reach Redis ({exc}). Start the product with ./run.sh, or set REDIS_URL.", file=sys.stderr)
        return 2
    keys = Keys(settings.key_prefix)
    directory = AgentDirectory(client, keys)
    sessions = Sessions(client, keys, idle_seconds=int(settings.session_idle_minutes * 60), absolute_seconds=int(settings.agent_session_hours * 3600))
    audit = AuditLog(keys, client)
    try:
        if args.command == "add":
            # Saving an existing account changes only what is given: its skills, capacity and name are not lost.
            before = await directory.get(args.username)
            agent = Agent(username=args.username, display_name=args.name or (before.display_name if before else args.username),
                          role=args.role or (before.role if before else "agent"),
                          capacity=args.capacity or (before.capacity if before else 3),
                          skills=args.skill if args.skill is not None else (before.skills if before else []),
                          must_change_password=args.must_change_password)
            await directory.create(agent, _password(args, f"password for {args.username}: "))
            forget_initial_admin_password(settings.var_dir, agent.username)
            await sessions.close_all(agent.username)
            await audit.record(ACTOR, "account_saved", agent.username, role=agent.role)
            print(f"agent {agent.username} ({agent.role}) saved")
            if before is not None and before.chats and not agent.chats:
                await directory.set_presence(agent.username, "offline")
                _say_moved(await _chats_go_back(agent.username, agent.display_name))
        elif args.command == "passwd":
            if await directory.get(args.username) is None:
                print(f"no agent {args.username}", file=sys.stderr)
                return 1
            await directory.set_password(args.username, _password(args, f"new password for {args.username}: "), must_change=args.must_change_password)
            forget_initial_admin_password(settings.var_dir, args.username)
            ended = await sessions.close_all(args.username, "the password was reset: sign in again")
            await audit.record(ACTOR, "password_reset", args.username, sessions_ended=ended)
            print(f"password of {args.username} changed; {ended} session(s) ended")
        elif args.command == "unlock":
            if await directory.get(args.username) is None:
                print(f"no agent {args.username}", file=sys.stderr)
                return 1
            await LoginGuard(client, keys, LockoutPolicy()).unlock(args.username)
            await audit.record(ACTOR, "login_unlocked", args.username)
            print(f"{args.username} may sign in again")
        elif args.command == "list":
            for a in await directory.all():
                print(f"{a.username:20} {a.role:10} {a.presence:8} capacity {a.capacity}  {a.display_name}")
        elif args.command == "remove":
            gone = await directory.get(args.username)
            if gone is None or not await directory.remove(args.username):
                print(f"no agent {args.username}", file=sys.stderr)
                return 1
            forget_initial_admin_password(settings.var_dir, args.username)
            await sessions.close_all(args.username, "the account was removed")
            await audit.record(ACTOR, "account_removed", args.username)
            print(f"agent {args.username} removed")
            _say_moved(await _chats_go_back(gone.username, gone.display_name))
        return 0
    except (WeakPassword, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        await client.aclose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="agents", description="Manage staff accounts (agents, supervisors, editors, admins).")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("add", help="create an account, or reset its password and settings")
    p.add_argument("username")
    p.add_argument("--name", help="shown to customers (default: the username, or the account's name)")
    p.add_argument("--role", choices=["agent", "supervisor", "editor", "admin"], help="default: agent, or the account's role")
    p.add_argument("--capacity", type=_capacity, help="max concurrent chats, 1 to 100 (default: 3, or what the account has)")
    p.add_argument("--skill", action="append", help="category or language this agent takes (repeatable; default: the account's)")
    p.add_argument("--password", help="default: $CS_AGENT_PASSWORD, else asked for (at least 12 characters, not a common one)")
    p.add_argument("--must-change-password", action="store_true", help="the first sign-in must choose a new password")
    p = sub.add_parser("passwd", help="set a new password; every session of the account ends")
    p.add_argument("username")
    p.add_argument("--password", help="default: $CS_AGENT_PASSWORD, else asked for")
    p.add_argument("--must-change-password", action="store_true", help="the next sign-in must choose a new password")
    p = sub.add_parser("unlock", help="lift a sign-in lock (after too many failed attempts)")
    p.add_argument("username")
    sub.add_parser("list", help="show every account")
    p = sub.add_parser("remove")
    p.add_argument("username")
    return asyncio.run(_run(parser.parse_args(argv)))
