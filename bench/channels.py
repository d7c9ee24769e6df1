"""Messaging-channel benchmark: inbound webhook to outbound send, per channel, and outbox throughput, through the real stack.

Run from the repo root::

    .venv/bin/python bench/channels.py               # about 3 minutes with a cached Rasa model
    .venv/bin/python bench/channels.py --help

It starts local stand-ins of the Telegram Bot API and the WeChat API (``tests/standins.py``;
there is no internet here) and its own supervised stack configured to use them (hub 18300,
Rasa 15305, actions 15355, embedded Valkey 16680, data in var/bench-channels; the trained
Rasa model is shared through var/models), flushes that Redis, measures, and stops the
stack. Loopback only, bounded counts. It asserts nothing: percentiles and ratios go to the console.

- **Telegram, webhook -> sendMessage**: a customer's question posted to the webhook (as
  Telegram does, with the secret token) until the bot's answer reaches the stand-in's
  ``sendMessage`` (hub, Rasa, actions, KB search, transcript, outbox, Bot API call).
- **WeChat, push -> passive reply**: a signed safe-mode push until its encrypted answer comes
  back in the HTTP response (the bot answered within the passive window).
- **Agent reply -> channel**: ``POST /api/agent/conversations/{id}/messages`` until the
  stand-in receives it (the outbox's dispatch delay), per channel.
- **Outbox throughput**: agent replies to many claimed Telegram chats at once, until every
  one was received (one hub worker).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._env import fresh_stack, isolate  # noqa: E402
from bench._stats import percentile  # noqa: E402

BENCH_ENV = isolate("bench-channels", hub=18300, rasa=15305, actions=15355, redis=16680,
                    CS_AUTO_ASSIGN="false",  # the bench agent claims its chats from the queue
                    CS_RATE_LIMITS='{"requests_per_address": "1000000/60", "messages_per_conversation": "1000000/60", "messages_per_address": "1000000/60"}')

import argparse  # noqa: E402
import concurrent.futures  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402

import httpx  # noqa: E402

from core.redis import Keys, sync_client  # noqa: E402
from core.settings import Settings  # noqa: E402
from tests.channel_clients import TelegramUser, WeChatFollower  # noqa: E402
from tests.channel_fixtures import TELEGRAM_TOKEN, WECHAT_AES_KEY, WECHAT_APP_ID, WECHAT_APP_SECRET, WECHAT_TOKEN, channel_env  # noqa: E402
from tests.standins import TelegramApi, WeChatApi  # noqa: E402

PASSWORD = "bench-password-1234"




def line(name: str, seconds: list[float]) -> str:
    ms = [s * 1000 for s in seconds]
    return f"{name:<44} n={len(ms):>4}  p50 {percentile(ms, 50):8.1f} ms  p95 {percentile(ms, 95):8.1f} ms  max {max(ms):8.1f} ms"


def questions(limit: int) -> list[tuple[str, str]]:
    data = json.loads((ROOT / "tests" / "data" / "retrieval_queries.json").read_text())
    items = data if isinstance(data, list) else data.get("queries", [])
    picked = [(q["language"], q["query"] if "query" in q else q["question"]) for q in items if q.get("expected_id")]
    zh = [q for q in picked if q[0] == "zh"][: limit // 2]
    en = [q for q in picked if q[0] == "en"][: limit - len(zh)]
    return [q for pair in zip(zh, en) for q in pair]


def wait_new(api, before: int, key, timeout: float = 60.0) -> dict:
    """The first record the stand-in received after ``before`` records that ``key`` selects."""
    def found():
        with api.lock:
            return next((m for m in api.sent[before:] if key(m)), None)
    return api.wait_for(found, timeout)


def telegram_bot_latency(hub: str, secret: str, api: TelegramApi, asks: list[tuple[str, str]]) -> list[float]:
    out = []
    for language, text in asks:
        user = TelegramUser(hub, secret, language_code="zh-hans" if language == "zh" else "en")
        before = len(api.sent)
        started = time.time()
        user.say(text)
        got = wait_new(api, before, lambda m, uid=user.user_id: str(m["chat_id"]) == str(uid))
        out.append(got["at"] - started)
    return out


def wechat_passive_latency(hub: str, asks: list[tuple[str, str]]) -> tuple[list[float], int]:
    out, passive = [], 0
    for _language, text in asks:
        follower = WeChatFollower(hub, WECHAT_TOKEN, app_id=WECHAT_APP_ID, aes_key=WECHAT_AES_KEY)
        started = time.time()
        resp = follower.push(follower.text_xml(text)[0], encrypted=True)
        out.append(time.time() - started)
        passive += bool(follower.reply_text(resp))
    return out, passive


def agent_login(hub: httpx.Client) -> dict:
    token = hub.post("/api/agent/login", json={"username": "bench", "password": PASSWORD}).json()["token"]
    return {"Authorization": f"Bearer {token}"}


def claimed_chats(hub: httpx.Client, auth: dict, settings: Settings, channel: str, make, count: int) -> list[tuple[str, object]]:
    """``count`` customers of ``channel`` who asked for a person, claimed by the bench agent."""
    keys, r = Keys(settings.key_prefix), sync_client(settings)
    chats = []
    for _ in range(count):
        who, address = make()
        cid = None
        deadline = time.monotonic() + 30
        while cid is None and time.monotonic() < deadline:
            cid = r.get(keys.channel_conversation(channel, str(address)))
            time.sleep(0.05)
        for _ in range(100):
            if hub.post(f"/api/agent/conversations/{cid}/claim", headers=auth).status_code == 200:
                break
            time.sleep(0.1)
        chats.append((cid, who))
    return chats


def agent_reply_latency(hub: httpx.Client, auth: dict, api, chats: list, match) -> list[float]:
    out = []
    for i, (cid, who) in enumerate(chats):
        text = f"agent reply {i} {time.time()}"
        before = len(api.sent)
        started = time.time()
        assert hub.post(f"/api/agent/conversations/{cid}/messages", json={"text": text}, headers=auth).status_code == 200
        got = wait_new(api, before, lambda m, t=text: match(m) == t)
        out.append(got["at"] - started)
    return out


def outbox_throughput(hub: httpx.Client, auth: dict, api: TelegramApi, chats: list, per_chat: int) -> tuple[int, float]:
    before = len(api.sent)
    texts = [(cid, f"bulk {cid[:6]} {i}") for cid, _ in chats for i in range(per_chat)]
    started = time.time()
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda item: hub.post(f"/api/agent/conversations/{item[0]}/messages", json={"text": item[1]}, headers=auth), texts))
    posted = time.time() - started
    api.wait_for(lambda: len([m for m in api.sent[before:] if m["text"].startswith("bulk ")]) >= len(texts), timeout=300)
    last = max(m["at"] for m in api.sent[before:])
    return len(texts), last - started if last > started else posted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", type=int, default=30, help="customer questions per channel (half Chinese, half English)")
    parser.add_argument("--chats", type=int, default=20, help="claimed chats per channel for the agent-reply and throughput figures")
    parser.add_argument("--per-chat", type=int, default=10, help="agent replies per chat in the throughput run")
    args = parser.parse_args()
    with TelegramApi(TELEGRAM_TOKEN) as telegram, WeChatApi(WECHAT_APP_ID, WECHAT_APP_SECRET) as wechat:
        env = {**BENCH_ENV, **channel_env(telegram, wechat, CS_OUTBOX_BACKOFF_SECONDS="1", CS_OUTBOX_BACKOFF_MAX_SECONDS="30")}
        os.environ.update(env)
        with fresh_stack(env) as (settings, _, _):
            subprocess.run([sys.executable, "-m", "handoff", "add", "bench", "--name", "Bench", "--password", PASSWORD, "--capacity", "100"],
                           cwd=ROOT, env={**os.environ}, check=True, capture_output=True)
            secret = telegram.wait_for(lambda: telegram.webhooks[-1]["secret_token"] if telegram.webhooks else None)
            hub_url = settings.hub_url
            asks = questions(args.questions)
            telegram_bot_latency(hub_url, secret, telegram, asks[:2])  # warm up both languages
            tg = telegram_bot_latency(hub_url, secret, telegram, asks)
            wechat_passive_latency(hub_url, asks[:2])
            wx, passive = wechat_passive_latency(hub_url, asks)
            with httpx.Client(base_url=hub_url, timeout=60) as hub:
                auth = agent_login(hub)

                def new_telegram():
                    user = TelegramUser(hub_url, secret, language_code="en")
                    user.say("I want to talk to a person")
                    return user, user.user_id

                def new_wechat():
                    follower = WeChatFollower(hub_url, WECHAT_TOKEN, app_id=WECHAT_APP_ID, aes_key=WECHAT_AES_KEY)
                    follower.push(follower.text_xml("我要转人工")[0], encrypted=True)
                    return follower, follower.openid

                tg_chats = claimed_chats(hub, auth, settings, "telegram", new_telegram, args.chats)
                wx_chats = claimed_chats(hub, auth, settings, "wechat", new_wechat, args.chats)
                time.sleep(2)
                tg_agent = agent_reply_latency(hub, auth, telegram, tg_chats, lambda m: m["text"])
                wx_agent = agent_reply_latency(hub, auth, wechat, wx_chats, lambda m: (m.get("text") or {}).get("content"))
                sent, seconds = outbox_throughput(hub, auth, telegram, tg_chats, args.per_chat)
    one, five, _ = os.getloadavg()
    print()
    print(f"Messaging channels through the real stack (stand-in APIs on loopback); load {one:.2f}/{five:.2f}, {os.cpu_count()} cores")
    print(line("Telegram: webhook -> bot answer sent", tg))
    print(line("WeChat: push -> passive reply (safe mode)", wx) + f"  ({passive}/{len(wx)} answered passively)")
    print(line("Telegram: agent reply -> sendMessage", tg_agent))
    print(line("WeChat: agent reply -> custom/send", wx_agent))
    print(f"{'Outbox throughput (1 hub worker, Telegram)':<44} {sent} messages to {len(tg_chats)} chats in {seconds:.2f} s = {sent / seconds:.0f} messages/s")
    print(f"ratios: agent reply delivery is {percentile(tg_agent, 50) / percentile(tg, 50):.2f}x the bot's webhook->answer p50 on Telegram; "
          f"WeChat passive p95 uses {percentile(wx, 95) / 5.0:.0%} of WeChat's 5 s")


if __name__ == "__main__":
    main()
