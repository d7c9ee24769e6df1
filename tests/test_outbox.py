"""The outbox: a channel that rate-limits or is down is retried with backoff; nothing is lost, nothing is sent twice, order is kept.

The state lives in Redis, so it survives a hub worker's death and is shared by
several workers: two channel hubs deliver the same backlog without a duplicate.
"""

from __future__ import annotations

import time

import pytest

from tests.channel_clients import TelegramUser
from tests.channel_fixtures import channel_hub
from tests.clients import AgentClient
from tests.test_channel_telegram import _wait_delivered, conversation_of

# The agent claims each chat from the queue.
pytestmark = pytest.mark.usefixtures("manual_assignment")


def _claimed_telegram_chat(settings, hub, channels_hub, telegram_api, telegram_secret) -> tuple[TelegramUser, AgentClient, str]:
    user = TelegramUser(channels_hub, telegram_secret, language_code="en", name="Bo")
    user.say("I want to talk to a person")
    telegram_api.wait_for(lambda: [m for m in telegram_api.messages_to(user.user_id) if "queue" in m["text"]])
    cid = conversation_of(settings, "telegram", user.user_id)
    agent = AgentClient(hub, "bob")
    assert agent.post(f"/conversations/{cid}/claim").status_code == 200
    telegram_api.wait_for(lambda: [m for m in telegram_api.messages_to(user.user_id) if "has joined" in m["text"]])
    return user, agent, cid


def _texts(telegram_api, user) -> list[str]:
    return [m["text"] for m in telegram_api.messages_to(user.user_id)]


def test_a_429_is_retried_after_retry_after_and_the_agent_sees_it(settings, hub, agents, channels_hub, telegram_api, telegram_secret):
    user, agent, cid = _claimed_telegram_chat(settings, hub, channels_hub, telegram_api, telegram_secret)
    telegram_api.rate_limit_next(times=2, retry_after=1)
    first = agent.post(f"/conversations/{cid}/messages", {"text": "One moment please."}).json()
    second = agent.post(f"/conversations/{cid}/messages", {"text": "I found your order."}).json()
    retrying = _wait_delivered(agent, cid, first["id"], "retrying")[first["id"]]
    assert "too many requests" in retrying["error"].lower() and retrying["attempts"] >= 1
    _wait_delivered(agent, cid, second["id"])
    texts = _texts(telegram_api, user)
    assert texts[-2:] == ["One moment please.", "I found your order."]  # in order, once each
    assert texts.count("One moment please.") == 1


def test_an_outage_loses_nothing_and_two_workers_send_nothing_twice(settings, stack, hub, agents, channels_hub, telegram_api, wechat_api, telegram_secret):
    user, agent, cid = _claimed_telegram_chat(settings, hub, channels_hub, telegram_api, telegram_secret)
    telegram_api.down = True
    lines = [f"Update {i} on your refund." for i in range(8)]
    sent = [agent.post(f"/conversations/{cid}/messages", {"text": line}).json() for line in lines]
    _wait_delivered(agent, cid, sent[0]["id"], "retrying")
    with channel_hub(settings, telegram_api, wechat_api, name="second-channel-hub"):  # a second worker shares the backlog
        time.sleep(1)
        telegram_api.down = False
        for message in sent:
            _wait_delivered(agent, cid, message["id"])
        time.sleep(1.5)
    texts = _texts(telegram_api, user)
    assert [t for t in texts if t.startswith("Update ")] == lines  # every line, once, in order
