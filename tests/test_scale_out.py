"""Past one process per service: two hub workers, two Rasa workers, two action-server workers, one Redis.

A conversation runs across all of them: the customer's requests alternate
between two hub workers (two at the same instant, one on each), Rasa and the
action server each run two worker processes behind one address, and the agent
works on a third hub. Nothing is lost or doubled, the chat has one owner, and
every WebSocket frame of a message arrives once.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from core.redis import Keys, sync_client
from core.stack import Stack, ensure_model
from core.supervisor import Supervisor
from tests.clients import AgentClient, Customer, free_port, start_hub

SHIPPING = "How much does shipping cost? Is there free delivery?"  # answered with "¥99" by the starter FAQ
RETURNS = "How do I return an item?"


@pytest.fixture(scope="module")
def replicas(stack, settings, tmp_path_factory):
    """Rasa and the action server with two workers each, on the session's Redis, plus two hub workers using them."""
    scaled = settings.model_copy(update={"rasa_port": free_port(), "action_port": free_port(), "rasa_workers": 2, "action_workers": 2})
    base = tmp_path_factory.mktemp("scale-out")
    engines = Stack(scaled, env=dict(stack.env))
    engines.supervisor = Supervisor(base / "run", base / "logs", engines.child_env())  # its own records: the session stack's stay untouched
    model = ensure_model(scaled.models_dir, scaled.models_dir / "rasa-cache")
    hubs = []
    try:
        engines.supervisor.start(engines.actions_service(), wait=False)
        engines.supervisor.start(engines.rasa_service(model), wait=False)
        engines.supervisor.wait_ready("actions")
        engines.supervisor.wait_ready("rasa")
        for _ in range(2):
            hubs.append(start_hub(scaled.rasa_port, timeout=60, CS_ACTION_PORT=str(scaled.action_port)))
        yield scaled, [url for _, url in hubs]
    finally:
        for proc, _ in hubs:
            proc.terminate()
            proc.wait(20)
        engines.supervisor.stop_all()


@pytest.mark.usefixtures("manual_assignment")  # the agents claim the chat from the queue
def test_a_conversation_across_hub_rasa_and_action_workers_loses_nothing_and_has_one_owner(replicas, settings, hub, agents, request):
    scaled, (url_a, url_b) = replicas
    with httpx.Client(base_url=url_a, timeout=60) as hub_a, httpx.Client(base_url=url_b, timeout=60) as hub_b:
        via = [hub_a, hub_b]
        c = Customer(hub_a, "en")
        ws_base_b = url_b.replace("http", "ws")
        with connect(f"{ws_base_b}/api/conversations/{c.id}/ws?token={c.token}") as customer_ws:
            customer_frames = Listener(customer_ws)
            # The bot's part, each request on the other hub worker.
            said: list[str] = []
            replies_per_turn: list[list[str]] = []
            for i, text in enumerate(["hello", SHIPPING, RETURNS]):
                c.hub = via[i % 2]
                result = c.say(text)
                said.append(text)
                replies_per_turn.append([m["id"] for m in result["replies"] if m["sender"] == "bot"])
            # Two messages at the same instant, one on each hub worker: each is answered once, in some order.
            both = [SHIPPING, "Do you ship to Canada?"]
            with ThreadPoolExecutor(2) as pool:
                results = list(pool.map(lambda pair: _say(pair[0], c, pair[1]), zip(via, both)))
            said += both
            replies_per_turn += [[m["id"] for m in r["replies"] if m["sender"] == "bot"] for r in results]
            assert all(replies_per_turn), replies_per_turn  # every bot turn answered
            flat = [mid for turn in replies_per_turn for mid in turn]
            assert len(flat) == len(set(flat))  # no reply belongs to two turns

            # A human takes over on a third hub: two agents online, routing may push the chat to one of
            # them, and both try to claim it at the same instant.
            staff = {name: AgentClient(hub, name) for name in ("alice", "bob")}
            request.addfinalizer(lambda: [agent.post("/logout") for agent in staff.values()])  # offline again: routing leaves later tests alone
            c.hub = hub_b
            c.say("agent please")
            said.append("agent please")
            with ThreadPoolExecutor(2) as pool:
                codes = dict(zip(staff, pool.map(lambda a: a.post(f"/conversations/{c.id}/claim").status_code, staff.values())))
            conversation = c.status()["conversation"]
            owner_name = conversation["agent"]
            assert conversation["status"] == "assigned" and owner_name in staff, (conversation, codes)
            assert list(codes.values()).count(200) <= 1 and all(code in (200, 409) for code in codes.values()), codes
            holders = [name for name in staff if c.id in sync_client(settings).smembers(Keys(settings.key_prefix).agent_chats(name))]
            assert holders == [owner_name]  # one owner, in every record
            owner = staff[owner_name]
            ws_base = settings.hub_url.replace("http", "ws")
            with connect(f"{ws_base}/api/agent/ws?token={owner.token}") as agent_ws:
                agent_frames = Listener(agent_ws)
                time.sleep(0.5)  # the subscription is live
                human_part = [f"customer line {i}" for i in range(4)]
                for i, text in enumerate(human_part):
                    c.hub = via[i % 2]
                    assert c.say(text)["replies"] == []  # the bot stays silent in a human's chat
                    said.append(text)
                answer = owner.post(f"/conversations/{c.id}/messages", {"text": "Hello, Alice here."})
                assert answer.status_code == 200, answer.text
                transcript = c.transcript()
                customer_ids = {m["id"]: m["text"] for m in transcript if m["sender"] == "customer"}
                live_customer_ids = [mid for mid, text in customer_ids.items() if text in human_part]
                assert agent_frames.wait_for(set(live_customer_ids), 20), agent_frames.frames
                assert customer_frames.wait_for({m["id"] for m in transcript}, 20)

    # Nothing lost, nothing doubled: every line once, in the order sent.
    assert [m["text"] for m in transcript if m["sender"] == "customer"][:3] == said[:3]
    assert sorted(m["text"] for m in transcript if m["sender"] == "customer") == sorted(said)
    assert Counter(m["text"] for m in transcript if m["sender"] == "customer")[SHIPPING] == 2
    assert any("¥99" in m["text"] for m in transcript if m["sender"] == "bot")
    first_human_line = [m["text"] for m in transcript].index("customer line 0")
    assert [m for m in transcript[first_human_line:] if m["sender"] == "bot"] == []  # the bot is silent in a human's chat
    # Each WebSocket got each message once.
    assert all(n == 1 for n in agent_frames.message_counts().values()), agent_frames.message_counts()
    assert all(n == 1 for n in customer_frames.message_counts().values()), customer_frames.message_counts()
    # One owner, recorded once; Rasa's tracker (written by both Rasa workers) has every bot-era message.
    c.hub = hub  # the third hub: the two extra workers' clients are closed
    status = c.status()
    assert status["conversation"]["status"] == "assigned" and status["conversation"]["agent"] == owner_name
    tracker = json.loads(sync_client(settings).get(Keys.rasa_tracker(c.id)))
    user_texts = [e["text"] for e in tracker["events"] if e["event"] == "user"]
    assert sorted(user_texts) == sorted(said[: said.index("agent please") + 1])  # the request for a human went to the bot too


def _say(client: httpx.Client, customer: Customer, text: str) -> dict:
    resp = client.post(f"/api/conversations/{customer.id}/messages", json={"text": text}, headers=customer.headers)
    assert resp.status_code == 200, resp.text
    return resp.json()


class Listener:
    """Reads one WebSocket in a thread and keeps every frame."""

    def __init__(self, ws) -> None:
        self.ws = ws
        self.frames: list[dict] = []
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            for raw in self.ws:
                self.frames.append(json.loads(raw))
        except ConnectionClosed:
            pass

    def message_counts(self) -> Counter:
        return Counter(f["message"]["id"] for f in list(self.frames) if f.get("type") == "message")

    def wait_for(self, ids: set[str], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if ids <= set(self.message_counts()):
                time.sleep(0.5)  # a late duplicate would show now
                return True
            time.sleep(0.05)
        return False
