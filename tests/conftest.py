"""One real stack for the whole session: embedded Valkey, Rasa with the trained model, the action server, the hub.

It runs on its own ports and data directory (var/test), so it never touches a
product instance running beside it; the trained Rasa model is shared with the
product through var/models (cached by training-data hash).
"""

from __future__ import annotations

import json
import os

import httpx
import pytest

from tests.clients import PASSWORD, ROOT, STAFF_CAPACITY, AgentClient, Customer, StandingConsole, close_test_consoles, everyone_away, run_cli, sign_off, start_hub, throwaway_valkey

# Several suites can run side by side with CS_TEST_PORT_OFFSET=100 (200, ...): own ports, own data.
_OFFSET = int(os.environ.get("CS_TEST_PORT_OFFSET", "0"))
TEST_ENV = {
    "CS_VAR_DIR": str(ROOT / "var" / (f"test-{_OFFSET}" if _OFFSET else "test")),
    "CS_HUB_PORT": str(18000 + _OFFSET),
    "CS_RASA_PORT": str(15005 + _OFFSET),
    "CS_ACTION_PORT": str(15055 + _OFFSET),
    "CS_EMBEDDED_REDIS_PORT": str(16380 + _OFFSET),
    # The shop pages of the widget tests are served on loopback, on ports picked at run time.
    "CS_WIDGET_ORIGINS": '["http://127.0.0.1:*"]',
    # Humans at work whatever the hour the suite runs; the night-time tests configure their own hours.
    "CS_BUSINESS_HOURS": '{"always_open": true}',
    # Test agents open and close consoles all the time: going offline when the last one closes is tested on a hub of its own.
    "CS_PRESENCE_GRACE_SECONDS": "3600",
    # The suite starts thousands of chats from one address; the abuse limits are tested on hubs of their own.
    "CS_RATE_LIMITS": json.dumps({name: "1000000/60" for name in ("start_per_address", "messages_per_conversation", "messages_per_address",
                                  "customer_actions_per_conversation", "login_per_address", "kb_search_per_user", "requests_per_address")}),
    # Likewise the sockets open at once (thousands from loopback in test_many_sockets.py); tested in test_socket_limits.py.
    "CS_SOCKET_LIMITS": json.dumps({"per_conversation": 1_000_000, "per_address": 1_000_000, "per_agent": 1_000_000}),
}
os.environ.update(TEST_ENV)
os.environ.pop("REDIS_URL", None) if not os.environ.get("CS_TEST_REDIS_URL") else os.environ.update(REDIS_URL=os.environ["CS_TEST_REDIS_URL"])

from core.redis import Keys, sync_client  # noqa: E402  (settings must see the test environment)
from core.settings import Settings  # noqa: E402
from core.stack import Stack  # noqa: E402

__all__ = ["PASSWORD", "ROOT", "AgentClient", "Customer", "run_cli"]  # older test modules import these from here
pytest_plugins = ["tests.browser", "tests.channel_fixtures"]  # the `browser` fixture; stand-ins of the messaging APIs and a hub using them


@pytest.fixture(autouse=True)
def _consoles_close_with_the_test():
    """The consoles AgentClient opened during a test close at its end (the agents stay at a console for the grace)."""
    yield
    close_test_consoles()


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings()


@pytest.fixture(scope="module")
def valkey_url(tmp_path_factory):
    """An empty Valkey of the test module's own, no stack: for tests that need only Redis."""
    with throwaway_valkey(tmp_path_factory.mktemp("valkey")) as url:
        yield url


@pytest.fixture(scope="session")
def stack(settings: Settings):
    s = Stack(settings, env=dict(TEST_ENV))
    s.start_redis()
    sync_client(settings).flushdb()  # every session starts from an empty store
    s.start()
    yield s
    s.stop()


@pytest.fixture(scope="session")
def agents(stack):
    """Agent accounts, created the way an operator would: with the CLI."""
    names = {"alice": "agent", "bob": "agent", "erin": "editor"}
    for name, role in names.items():
        proc = run_cli("-m", "handoff", "add", name, "--name", name.title(), "--role", role, "--password", PASSWORD, "--capacity", str(STAFF_CAPACITY))
        assert proc.returncode == 0, proc.stderr
    # Chats are offered only to agents at a console: alice and bob keep theirs open all session (their presence,
    # online or away, is what the tests set), and every AgentClient opens one of its own. Capacity at the most an
    # account may have: the desk's sweep pushes every chat earlier tests left waiting, or left with an agent who went
    # offline, to whoever is online with room, so alice and bob collect them over the session (at 50, alice was full
    # three quarters of the way through, and the tests that claim a chat as her got 409).
    consoles = [StandingConsole(stack.settings.hub_url, name) for name in ("alice", "bob")]
    yield list(names)
    for console in consoles:
        console.close()


@pytest.fixture(scope="session")
def supervisor(supervisor_account) -> str:
    """A supervisor account (runs the desk: assignment mode, team load, reassigning)."""
    return supervisor_account


@pytest.fixture
def manual_assignment(stack, settings, supervisor):
    """The desk switched to manual assignment, as a supervisor can: chats wait in the queue until an agent claims
    one (the queue, claim and transfer tests). Push assignment is back on afterwards."""
    with httpx.Client(base_url=settings.hub_url, timeout=60) as client:
        boss = AgentClient(client, supervisor)
        assert client.put("/api/agent/desk/assignment", json={"push": False}, headers=boss.headers).json() == {"push": False}
        yield
        assert client.put("/api/agent/desk/assignment", json={"push": True}, headers=boss.headers).status_code == 200
    sign_off(settings, supervisor)  # signing in made them online: they would be pushed the next tests' chats


@pytest.fixture
def only(hub, agents, settings):
    """Exactly these agents online (everyone else away), and no chat left waiting by earlier tests."""
    r, keys = sync_client(settings), Keys(settings.key_prefix)
    signed_in: list[AgentClient] = []

    def set_online(*usernames: str) -> list[AgentClient]:
        for cid in r.zrange(keys.queue, 0, -1):  # leftovers of finished tests: out of the way of the routing under test
            r.zrem(keys.queue, cid)
            r.hset(keys.conv(cid), "status", "bot")
        for name in r.smembers(keys.agents):
            r.hset(keys.agent(name), "presence", "away")
        for name in usernames:
            signed_in.append(AgentClient(hub, name))  # signing in makes them online
        return signed_in

    yield set_online
    for name in r.smembers(keys.agents):
        r.hset(keys.agent(name), "presence", "online" if name in ("alice", "bob") else "away")


@pytest.fixture
def hub(stack, settings):
    with httpx.Client(base_url=settings.hub_url, timeout=60) as client:
        yield client


@pytest.fixture
def customer_factory(hub):
    return lambda language="en", tier="standard": Customer(hub, language, tier)


@pytest.fixture
def editor(agent_factory):
    """A content editor signed in to the KB API."""
    return agent_factory("erin")


@pytest.fixture
def agent_factory(hub, agents):
    return lambda username="alice": AgentClient(hub, username)


@pytest.fixture(scope="session")
def supervisor_account(stack, agents, settings) -> str:
    proc = run_cli("-m", "handoff", "add", "sue", "--name", "Sue", "--role", "supervisor", "--password", PASSWORD)
    assert proc.returncode == 0, proc.stderr
    sign_off(settings, "sue")
    return "sue"


@pytest.fixture(scope="session")
def demo_history(stack, settings, supervisor_account) -> str:
    """Three simulated days (./cs demo), played through a hub of its own on the demo clock (the suite's hub does not run it)."""
    with everyone_away(settings):  # the demo's own agents take the simulated chats
        proc, url = start_hub(settings.rasa_port, settings.rasa_timeout_seconds, CS_DEMO_CLOCK="true")
        try:
            done = run_cli("-m", "demo", "--days", "3", "--per-day", "10", "--hub", url, "--parallel", "2")
            assert done.returncode == 0, done.stderr + done.stdout
            assert "SIMULATED" in done.stdout and "./cs demo --wipe" in done.stdout
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    return done.stdout
