"""``agents``: create, list and remove agent accounts (``./cs agents add alice --name "Alice"``)."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys

from core.redis import Keys, async_client
from core.settings import get_settings
from handoff.agents import Agent, AgentDirectory


async def _run(args: argparse.Namespace) -> int:
    client = async_client()
    try:
        await client.ping()
    except Exception as exc:
        print(f"Cannot reach Redis ({exc}). Start the product with ./run.sh, or set REDIS_URL.", file=sys.stderr)
        return 2
    directory = AgentDirectory(client, Keys(get_settings().key_prefix))
    try:
        if args.command == "add":
            password = args.password or os.environ.get("CS_AGENT_PASSWORD") or getpass.getpass(f"password for {args.username}: ")
            agent = Agent(username=args.username, display_name=args.name or args.username, role=args.role, capacity=args.capacity, skills=args.skill or [])
            try:
                await directory.create(agent, password)
            except ValueError as exc:
                print(f"error: {exc}", file=sys.stderr)
                return 1
            print(f"agent {agent.username} ({agent.role}) saved")
        elif args.command == "list":
            for a in await directory.all():
                print(f"{a.username:20} {a.role:7} {a.presence:8} capacity {a.capacity}  {a.display_name}")
        elif args.command == "remove":
            if not await directory.remove(args.username):
                print(f"no agent {args.username}", file=sys.stderr)
                return 1
            print(f"agent {args.username} removed")
        return 0
    finally:
        await client.aclose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="agents", description="Manage agent accounts.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("add", help="create an account, or reset its password and settings")
    p.add_argument("username")
    p.add_argument("--name", help="shown to customers (default: the username)")
    p.add_argument("--role", choices=["agent", "editor", "admin"], default="agent")
    p.add_argument("--capacity", type=int, default=3, help="max concurrent chats")
    p.add_argument("--skill", action="append", help="category or language this agent takes (repeatable)")
    p.add_argument("--password", help="default: $CS_AGENT_PASSWORD, else asked for")
    sub.add_parser("list", help="show every account")
    p = sub.add_parser("remove")
    p.add_argument("username")
    return asyncio.run(_run(parser.parse_args(argv)))
