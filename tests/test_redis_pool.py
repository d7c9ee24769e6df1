"""A crowd on one hub worker whose Redis pool is small: customers are answered or told "busy, retry" (503 with
Retry-After), never that the store is down, and nothing they were told was received is lost.

The hub here has a pool of 2 connections (``CS_REDIS_POOL_SIZE``) and gets hundreds of customers at once:
conversations started, live sockets opened, messages sent, statuses read. Redis is fine the whole time; only
the pool is busy.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter

import httpx
import pytest
import websockets

from hub.errors import STORE_DOWN
from tests.clients import start_hub

CUSTOMERS = 400


@pytest.fixture(scope="module")
def small_pool_hub(stack, settings, tmp_path_factory):
    log = tmp_path_factory.mktemp("small-pool") / "hub.log"
    proc, url = start_hub(settings.rasa_port, timeout=30, log=log, CS_REDIS_POOL_SIZE="2")
    yield url
    proc.terminate()
    proc.wait(10)
    print(f"\n[pool] hub log: {log}")


async def _busy_or_ok(resp: httpx.Response, tally: dict) -> bool:
    """Tally one answer; True if it was a 2xx."""
    if resp.status_code < 300:
        tally["ok"] += 1
        return True
    body = resp.json() if resp.headers.get("content-type", "").startswith("application/json") else {}
    if resp.status_code == 503 and body.get("detail") == STORE_DOWN:
        tally["store down"] += 1
    elif resp.status_code == 503 and "busy" in str(body.get("detail", "")) and int(resp.headers.get("retry-after", "0")) > 0:
        tally["busy"] += 1
    else:
        key = f"other {resp.status_code}: {str(body.get('detail', resp.text))[:80]}"
        tally[key] = tally.get(key, 0) + 1
    return False


async def test_a_busy_pool_is_busy_not_down_and_loses_nothing(small_pool_hub):
    ws_base = small_pool_hub.replace("http", "ws")
    tally = {"ok": 0, "busy": 0, "store down": 0}
    closes: dict[str, int] = {}
    connected: list[str] = []
    limits = httpx.Limits(max_connections=CUSTOMERS, max_keepalive_connections=CUSTOMERS)
    async with httpx.AsyncClient(base_url=small_pool_hub, timeout=httpx.Timeout(120, pool=None), limits=limits) as http:

        async def start() -> tuple[str, str] | None:
            for _ in range(20):  # a busy answer says retry: do, as a client would
                resp = await http.post("/api/conversations", json={"language": "en"})
                if await _busy_or_ok(resp, tally):
                    return resp.json()["conversation_id"], resp.json()["token"]
                if resp.status_code != 503:
                    return None
                await asyncio.sleep(0.2)
            return None

        convs = [c for c in await asyncio.gather(*[start() for _ in range(CUSTOMERS)]) if c]

        async def one_customer(cid: str, token: str) -> set[str]:
            """Open two live sockets (two tabs), send two messages and read the status twice, all at once; the ids the hub said it stored."""
            headers = {"Authorization": f"Bearer {token}"}
            stored: set[str] = set()

            async def socket() -> None:
                for _ in range(20):  # closed with "try again later" (1013): reconnect in a moment, as the chat page does
                    try:
                        async with websockets.connect(f"{ws_base}/api/conversations/{cid}/ws?token={token}", open_timeout=120) as ws:
                            first = json.loads(await asyncio.wait_for(ws.recv(), 60))  # a message replayed, or the status (or the close)
                            connected.append(first["type"])
                            return
                    except websockets.ConnectionClosed as closed:
                        key = f"{closed.rcvd.code} {closed.rcvd.reason}" if closed.rcvd else "no close frame"
                        closes[key] = closes.get(key, 0) + 1
                        if not key.startswith("1013"):
                            return
                    except (asyncio.TimeoutError, OSError) as exc:
                        closes[type(exc).__name__] = closes.get(type(exc).__name__, 0) + 1
                        return
                    await asyncio.sleep(0.5)

            async def send(n: int) -> None:
                resp = await http.post(f"/api/conversations/{cid}/messages", json={"text": f"where is my order {n}?", "client_message_id": f"{cid}-{n}"}, headers=headers)
                if await _busy_or_ok(resp, tally):
                    stored.add(resp.json()["message"]["id"])

            async def status() -> None:
                await _busy_or_ok(await http.get(f"/api/conversations/{cid}", headers=headers), tally)

            await asyncio.gather(socket(), send(1), status(), send(2), status(), socket())
            return stored

        stored = await asyncio.gather(*[one_customer(cid, token) for cid, token in convs])
        print(f"\n[pool] {len(convs)} of {CUSTOMERS} started; answers: {tally}; socket closes: {closes}")

        # Redis was never down: nobody was told so (503 STORE_DOWN, or a socket closed with 1011 "unavailable").
        # Busy is said as busy: 503 with Retry-After, or 1013 "try again later".
        assert tally["store down"] == 0 and not any(k.startswith("other") for k in tally), (tally, closes)
        assert all(k == "1013 busy, try again later" for k in closes), (tally, closes)
        assert len(convs) == CUSTOMERS and len(connected) == 2 * CUSTOMERS and set(connected) <= {"message", "status"}, (len(convs), Counter(connected), closes)
        # Every message the hub answered 2xx for is in that customer's transcript.
        for (cid, token), ids in zip(convs, stored):
            for _ in range(20):
                resp = await http.get(f"/api/conversations/{cid}/messages", headers={"Authorization": f"Bearer {token}"})
                if resp.status_code == 200:
                    break
                await asyncio.sleep(0.5)
            assert resp.status_code == 200, resp.text
            assert ids <= {m["id"] for m in resp.json()}, (cid, ids)
