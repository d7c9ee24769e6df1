"""Percentiles for every benchmark: one definition (numpy's linear interpolation), in milliseconds."""

from __future__ import annotations

import numpy as np


def percentile(values: list[float], p: float) -> float:
    """The ``p``-th percentile of ``values`` (NaN for none)."""
    return float(np.percentile(np.asarray(values, dtype="float64"), p)) if len(values) else float("nan")


def ms_percentiles(seconds: list[float], points: tuple[int, ...] = (50, 95, 99)) -> dict[str, float]:
    """``{"p50": ms, "p95": ms, ...}`` of durations given in seconds."""
    return {f"p{p}": round(percentile([s * 1000 for s in seconds], p), 2) for p in points}
