"""DEMO ONLY (``Settings.demo_clock``): move the simulated clock forward, running the due work (SLA breaches,
auto-close) a real scheduler would have run meanwhile. Not mounted unless the setting is on."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from core import clock
from hub.deps import Overseer, Svc

router = APIRouter(prefix="/api/demo", tags=["demo"])


class Advance(BaseModel):
    to: float = Field(gt=0, description="the simulated time (epoch seconds) the clock has reached")


@router.post("/advance", summary="Run the simulated due work up to a simulated time")
async def advance(body: Advance, me: Overseer, services: Svc) -> dict:
    due = await run_in_threadpool(services.desk.scheduler.simulated_due, body.to)
    for when, func, args in due:
        with clock.simulated(when):
            await services.desk.run_due(func, args)
    return {"ran": len(due)}
