"""The hand-over packet shows the agent what the customer last wrote, never the payload of the button they pressed (real stack)."""

from __future__ import annotations

import httpx
import pytest

from handoff.models import HUMAN_PAYLOAD
from tests.clients import free_port, start_hub

pytestmark = pytest.mark.usefixtures("manual_assignment")  # the chat waits in the queue, where the agent reads its packet

QUESTION = "我买的iPhone 15屏幕有划痕，能换一台吗"


def queued_packet(agent, cid: str) -> dict:
    return next(i for i in agent.get("/queue").json() if i["conversation"]["id"] == cid)["packet"]


def test_the_person_button_hands_over_with_the_customers_question_not_the_payload(customer_factory, agent_factory):
    c = customer_factory("zh")
    c.say(QUESTION)
    asked = c.say("都不是，转人工", payload=HUMAN_PAYLOAD)
    assert asked["conversation"]["status"] == "queued"
    packet = queued_packet(agent_factory("alice"), c.id)
    assert packet["last_customer_message"] == QUESTION
    assert "/request_human" not in packet["summary"]


def test_with_the_bot_away_the_packet_still_holds_the_question_not_the_payload(customer_factory, agent_factory, settings):
    c = customer_factory("zh")
    c.say(QUESTION)
    proc, url = start_hub(free_port(), timeout=3)  # a hub whose Rasa is down
    try:
        resp = httpx.post(f"{url}/api/conversations/{c.id}/messages", json={"text": "都不是，转人工", "payload": HUMAN_PAYLOAD},
                          headers=c.headers, timeout=30)
    finally:
        proc.terminate()
        proc.wait(10)
    assert resp.status_code == 200 and resp.json()["conversation"]["status"] == "queued", resp.text
    packet = queued_packet(agent_factory("alice"), c.id)
    assert packet["reason"] == "bot_unavailable"
    assert packet["last_customer_message"] == QUESTION and packet["summary"] == QUESTION
