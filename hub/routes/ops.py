"""Operations: ``/healthz`` says truthfully which part of the product is up; ``/metrics`` is for Prometheus.

200 when customers are fully served; 200 with ``"status": "degraded"`` when
the hub serves but the bot cannot (Rasa or the action server down: chats go to
humans); 503 when Redis is unreachable (nothing can be stored). Load balancers
can use the status code; people read the parts.
"""

from __future__ import annotations

import asyncio
import secrets
from typing import Annotated

import httpx
from fastapi import APIRouter, Header, HTTPException
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from core import clock, telemetry
from hub.deps import Svc, bearer
from hub.services import Services

router = APIRouter(tags=["ops"])


async def _redis(services: Services) -> dict:
    try:
        await asyncio.wait_for(services.redis.ping(), 2)
        return {"ok": True}
    except Exception as exc:
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:200]}


async def _http(url: str) -> dict:
    try:
        async with httpx.AsyncClient(timeout=2.0) as client:
            resp = await client.get(url)
        return {"ok": True} if resp.status_code == 200 else {"ok": False, "error": f"HTTP {resp.status_code}"}
    except httpx.HTTPError as exc:
        return {"ok": False, "error": type(exc).__name__}


async def _kb(services: Services) -> dict:
    try:
        version = await run_in_threadpool(services.kb_store.published_version)
    except Exception as exc:
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": version is not None, "published_version": version}


@router.get("/healthz", summary="Is each part of the product up? (hub, Redis, Rasa, action server, knowledge base)")
async def health(services: Svc) -> JSONResponse:
    s = services.settings
    redis_part, rasa_part, actions_part, kb_part = await asyncio.gather(
        _redis(services),
        services.rasa.ready_part(),
        _http(f"http://{s.internal_host}:{s.action_port}/health"),
        _kb(services),
    )
    parts = {"hub": {"ok": True, "live_listeners": services.relay.listeners, "relay_connected": services.relay.connected},
             "redis": redis_part, "rasa": rasa_part, "actions": actions_part, "kb": kb_part}
    if not redis_part["ok"]:
        status, code = "down", 503
    elif all(p["ok"] for p in parts.values()):
        status, code = "ok", 200
    else:
        status, code = "degraded", 200
    return JSONResponse({"status": status, **parts}, status_code=code)


@router.get("/metrics", summary="Prometheus metrics: request latency, errors, bot decisions, queue, waits, agents online, WebSockets",
            response_class=PlainTextResponse)
async def metrics(services: Svc, authorization: Annotated[str | None, Header()] = None) -> Response:
    token = services.settings.metrics_token
    # Compared as bytes: compare_digest refuses a str with non-ASCII characters with a TypeError (a 500 anyone could cause).
    if token is not None and not secrets.compare_digest((bearer(authorization) or "").encode(), token.get_secret_value().encode()):
        raise HTTPException(401, "send the metrics token as a bearer token (CS_METRICS_TOKEN)")
    queued = await services.queue.queued_at()
    starts = [ts for ts in queued.values() if ts]
    staff = await services.agents.with_loads()
    telemetry.QUEUE_LENGTH.set(len(queued))
    telemetry.QUEUE_OLDEST_WAIT.set(max(0.0, clock.now() - min(starts)) if starts else 0.0)
    telemetry.AGENTS_ONLINE.set(sum(await services.agents.available([a for a, _ in staff])))
    telemetry.AGENT_CHATS.set(sum(load for _, load in staff))
    telemetry.ROLLUP_LAG.set(await services.rollup.lag())
    return Response(generate_latest(telemetry.REGISTRY), media_type=CONTENT_TYPE_LATEST)
