"""The outbox: a channel that rate-limits or is down is retried with backoff; nothing is lost, nothing is sent twice, order is kept.

The state lives in Redis, so it survives a hub worker's death and is shared by
several workers: two channel hubs deliver the same backlog without a duplicate.
The sender's own rules (a long answer sent in pieces, a slow send, an error
nobody planned for) are tested on a Valkey of their own against the stand-ins.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid

import pytest

from bot.channels.base import Channel
from bot.channels.telegram import TelegramChannel
from bot.channels.wechat import WeChatChannel, split_bytes
from bot.outbox import Delivery, Outbox, OutboxSender, SendPolicy
from core.redis import Keys, async_client
from core.settings import Settings
from handoff.conversations import ConversationStore
from tests.channel_clients import TelegramUser
from tests.channel_fixtures import TELEGRAM_TOKEN, WECHAT_APP_ID, WECHAT_APP_SECRET, WECHAT_TOKEN, channel_hub
from tests.clients import AgentClient
from tests.test_channel_telegram import _wait_delivered, claimed_chat


def _claimed_telegram_chat(settings, hub, channels_hub, telegram_api, telegram_secret) -> tuple[TelegramUser, AgentClient, str]:
    return claimed_chat(settings, hub, channels_hub, telegram_api, telegram_secret, "Bo", "bob")


def _texts(telegram_api, user) -> list[str]:
    return [m["text"] for m in telegram_api.messages_to(user.user_id)]


@pytest.mark.usefixtures("manual_assignment")  # the agent claims the chat from the queue
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


@pytest.mark.usefixtures("manual_assignment")
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


# --- the sender on its own: a Valkey of the test's, the platforms' stand-ins, one or two senders -----------------

REFUND = "".join(f"第{i}条：您的退款已受理，款项将在三个工作日内原路退回，请留意银行通知。" for i in range(50))  # ~5,200 bytes: three WeChat messages


class Desk:
    """One conversation whose customer is on a messaging channel, and the senders that work on its outbox."""

    def __init__(self, client, keys: Keys, channels: dict[str, Channel]) -> None:
        self.client, self.keys, self.channels = client, keys, channels
        self.conversations = ConversationStore(client, keys)
        self.outbox = Outbox(client, keys)
        self.cid = ""
        self.tasks: list[asyncio.Task] = []

    async def open(self, channel: str, address: str) -> None:
        conv, _ = await self.conversations.create(channel, "zh")
        self.cid = conv.id
        await self.route(channel, address)

    async def route(self, channel: str, address: str) -> None:
        await self.conversations.set_fields(self.cid, reply_channel=channel, reply_to=address, last_inbound_at=str(time.time()))

    async def agent_says(self, text: str) -> str:
        return (await self.conversations.append(self.cid, "agent", text, author="Alice")).id

    def senders(self, count: int, **policy: float) -> None:
        """``count`` hub workers' senders, each with its own connection to the channels."""
        for _ in range(count):
            sender = OutboxSender(self.outbox, self.conversations, self.channels, SendPolicy(**{"backoff_seconds": 0.2, "backoff_max_seconds": 0.5,
                                                                                                "poll_seconds": 0.05, **policy}))
            self.tasks.append(asyncio.create_task(sender.run()))

    async def delivery(self, mid: str, *states: str, timeout: float = 20.0) -> Delivery:
        deadline = time.monotonic() + timeout
        while True:
            found = await self.outbox.delivery(self.cid, mid)
            if found and found.state in states:
                return found
            assert time.monotonic() < deadline, found
            await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def desk(valkey_url: str, **channels: Channel):
    client = async_client(Settings(redis_url=valkey_url))
    world = Desk(client, Keys(f"outbox-{uuid.uuid4().hex[:8]}"), channels)
    try:
        yield world
    finally:
        for task in world.tasks:
            task.cancel()
        await asyncio.gather(*world.tasks, return_exceptions=True)
        for channel in channels.values():
            await channel.aclose()
        await client.aclose()


def _wechat(client, keys: Keys, api) -> WeChatChannel:
    return WeChatChannel(WECHAT_APP_ID, WECHAT_APP_SECRET, WECHAT_TOKEN, None, api.url, client, keys, reply_window_seconds=48 * 3600, refresh_margin_seconds=300)


def _openid() -> str:
    return "o" + uuid.uuid4().hex[:27]


async def test_a_long_answer_that_fails_midway_resumes_at_the_first_piece_not_sent(valkey_url, wechat_api):
    """WeChat takes 2,000 bytes a message: the answer goes out in pieces. The second one meets a busy WeChat; the
    retry sends the rest, not the first piece again (the customer already has it)."""
    async with desk(valkey_url) as world:
        world.channels["wechat"] = _wechat(world.client, world.keys, wechat_api)
        openid = _openid()
        await world.open("wechat", openid)
        wechat_api.refuse_next(-1, "system error", after=1)
        mid = await world.agent_says(REFUND)
        world.senders(1)
        done = await world.delivery(mid, "delivered")
        got = [m["text"]["content"] for m in wechat_api.messages_to(openid)]
        assert got == split_bytes(REFUND, 2000) and len(got) == 3  # each piece once, in order
        assert done.attempts == 2


async def test_a_slow_send_keeps_its_lease_so_a_second_sender_sends_nothing_twice(valkey_url, wechat_api):
    """Each piece takes 0.6 s and the lease is 1 s: the sender renews it before every piece, so the other worker
    never takes the conversation over while the first is still sending, and the customer gets every piece once."""
    async with desk(valkey_url) as world:
        world.channels["wechat"] = _wechat(world.client, world.keys, wechat_api)
        openid = _openid()
        await world.open("wechat", openid)
        wechat_api.slow_next(0.6, times=3)
        mid = await world.agent_says(REFUND)
        world.senders(2, lease_seconds=1.0)
        await world.delivery(mid, "delivered")
        await asyncio.sleep(1.5)  # a second sender that took over would be sending again now
        assert [m["text"]["content"] for m in wechat_api.messages_to(openid)] == split_bytes(REFUND, 2000)


async def test_an_unexpected_error_fails_that_line_once_and_the_next_lines_still_go(valkey_url, telegram_api):
    """A send that fails in a way no channel planned for (here a chat id Telegram could never have sent) is marked
    failed once, saying why, for the agent; the sender lives on, and the next line reaches the customer."""
    async with desk(valkey_url) as world:
        world.channels["telegram"] = TelegramChannel(TELEGRAM_TOKEN, telegram_api.url, secret="s")
        await world.open("telegram", "not-a-chat-id")
        broken = await world.agent_says("Your parcel left the warehouse.")
        world.senders(1)
        failed = await world.delivery(broken, "failed")
        assert failed.attempts == 1 and "ValueError" in failed.error
        chat = str(uuid.uuid4().int % 10**9)
        await world.route("telegram", chat)
        fine = await world.agent_says("It arrives tomorrow.")
        await world.delivery(fine, "delivered")
        assert [m["text"] for m in telegram_api.messages_to(chat)] == ["It arrives tomorrow."]
        assert (await world.outbox.delivery(world.cid, broken)).attempts == 1  # failed once, not retried
