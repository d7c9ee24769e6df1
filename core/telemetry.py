"""Prometheus metrics of this process (``GET /metrics``): requests, errors, live connections, the bot's decisions.

These are operational gauges and counters for alerting, reset when a process
restarts. The supervisor's figures never come from here: they are derived
from the event stream (``analytics/``), which cannot drift.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

REQUEST_SECONDS = Histogram("cs_http_request_duration_seconds", "HTTP request latency by route template", ["method", "route", "status"],
                            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30), registry=REGISTRY)
ERRORS = Counter("cs_http_errors_total", "Requests answered with a server error (5xx)", ["route", "status"], registry=REGISTRY)
WEBSOCKETS = Gauge("cs_websocket_connections", "WebSocket connections open in this process (customers and agents)", registry=REGISTRY)
BOT_DECISIONS = Counter("cs_bot_decisions_total", "Customer turns the bot handled, by decision", ["decision"], registry=REGISTRY)
ESCALATIONS = Counter("cs_escalations_total", "Conversations queued for a human, by reason", ["reason"], registry=REGISTRY)
QUEUE_WAIT = Histogram("cs_queue_wait_seconds", "Time from escalation to an agent taking the chat",
                       buckets=(5, 15, 30, 60, 120, 300, 600, 1800, 3600), registry=REGISTRY)
# Read from the live store when /metrics is scraped.
QUEUE_LENGTH = Gauge("cs_queue_length", "Conversations waiting for an agent", registry=REGISTRY)
QUEUE_OLDEST_WAIT = Gauge("cs_queue_oldest_wait_seconds", "How long the longest-waiting customer has waited", registry=REGISTRY)
AGENTS_ONLINE = Gauge("cs_agents_online", "Agents available for chats: online and at a console (what routing offers chats to)", registry=REGISTRY)
AGENT_CHATS = Gauge("cs_agent_chats", "Chats agents hold right now", registry=REGISTRY)
DESK_SWEEPS = Counter("cs_desk_sweeps", "Sweeps of the desk this process ran (one hub worker of all sweeps each interval: summed over workers, one per interval)",
                      registry=REGISTRY)
DESK_SWEEP_MENDS = Counter("cs_desk_sweep_mends", "What this process's desk sweeps mended, by kind: a hand-over a dead hub worker cut short "
                           "(chats of an agent gone, a ticket behind its chat, SLA jobs never scheduled, a removed account's chats)", ["kind"], registry=REGISTRY)
ROLLUP_LAG = Gauge("cs_analytics_rollup_lag_events", "Events not yet folded into the analytics rollup", registry=REGISTRY)
