"""Supervisor analytics: every figure of the service practice, derived from the event stream.

``facts``: one conversation's history folded from its events (pure).
``metrics``: the definitions (pure functions over facts; docs/metrics.md).
``periods``: periods and their previous period, in the shop's time zone.
``rollup``: the incremental per-day rollup of facts in Redis, recomputable from events.
``live``: what is happening now (queue, agents), read from the live store.
"""
