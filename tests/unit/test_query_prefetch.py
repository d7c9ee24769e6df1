"""The hub starts a message's embedding beside Rasa's turn only while no other message waits on Rasa."""

from __future__ import annotations

import asyncio
import json

import httpx

from bot.query_prefetch import QueryPrefetch


def recording() -> tuple[QueryPrefetch, list[dict]]:
    sent: list[dict] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(json.loads(request.content))
        return httpx.Response(200, json={"events": [], "responses": []})

    return QueryPrefetch("http://actions.test/webhook", transport=httpx.MockTransport(handler)), sent


def test_a_lone_message_is_prefetched_and_a_crowd_is_not():
    async def scenario() -> list[dict]:
        prefetch, sent = recording()
        release = asyncio.Event()

        async def turn(text: str) -> None:
            async with prefetch.beside("c1", text, "zh"):
                await release.wait()  # Rasa thinking

        first = asyncio.create_task(turn("运费怎么算"))
        await asyncio.sleep(0)
        others = [asyncio.create_task(turn(f"question {i}")) for i in range(3)]  # arrive while the first waits
        await asyncio.sleep(0.05)
        release.set()
        await asyncio.gather(first, *others)
        async with prefetch.beside("c1", "那寄到新疆呢", "zh"):  # alone again
            pass
        await asyncio.sleep(0.05)
        await prefetch.aclose()
        return sent

    sent = asyncio.run(scenario())
    assert [b["tracker"]["latest_message"]["text"] for b in sent] == ["运费怎么算", "那寄到新疆呢"]
    assert sent[0]["next_action"] == "action_prefetch_query"
    assert sent[0]["tracker"]["latest_message"]["metadata"] == {"language": "zh"}


def test_a_button_payload_or_an_empty_text_is_not_prefetched_and_a_failure_is_harmless():
    async def scenario() -> list[dict]:
        prefetch, sent = recording()
        for text in ('/faq{"faq_id":"x"}', "  "):
            async with prefetch.beside("c1", text, "en"):
                pass
        down = QueryPrefetch("http://127.0.0.1:9/webhook")  # nothing listens: the turn goes on regardless
        async with down.beside("c1", "hello", "en"):
            pass
        await asyncio.sleep(0.3)
        await down.aclose()
        await prefetch.aclose()
        return sent

    assert asyncio.run(scenario()) == []
