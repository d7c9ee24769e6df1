"""The hub's long-lived collaborators, built once per worker process and handed to routes by dependency injection.

This is the composition root: the only place that knows how the packages fit
together. Feature packages (``kb``, ``handoff``, ``bot``) never import it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import time
from dataclasses import dataclass, field
from functools import cached_property

from zoneinfo import ZoneInfo

import redis
import redis.asyncio as aioredis

from analytics import reports
from analytics.board import Dashboard
from analytics.metrics import Targets
from analytics.rollup import Rollup, run_forever

from bot.channels.base import Channel
from bot.channels.gateway import ChannelGateway
from bot.channels.media import Attachments
from bot.channels.registry import configured_channels, telegram_webhook_url
from bot.channels.telegram import TelegramChannel, TelegramPoller
from bot.feedback import AnswerFeedback
from bot.intake import Intake
from bot.orchestrator import Orchestrator
from bot.outbox import Outbox, OutboxSender, SendPolicy
from bot.query_prefetch import QueryPrefetch
from bot.rasa_client import RasaClient
from bot.uploads import Uploads
from core.audit import AuditLog
from core.loops import every
from core.ratelimit import RateLimiter
from core.redis import Keys, async_client, redis_url, sync_client
from core.relay import Relay
from core.settings import Settings
from core.sockets import OpenSockets
from core.vault import PersonalData, Vault
from customers.store import CustomerStore
from handoff.agents import AgentDirectory
from handoff.consoles import Consoles
from handoff.conversations import ConversationStore
from handoff.history import AgentHistory
from handoff.lockout import LockoutPolicy, LoginGuard
from handoff.queue import HandoffQueue
from handoff.sessions import Sessions
from handoff.votes import AnswerVotes
from kb.embeddings import EmbedderSet
from kb.gaps import GapLog
from kb.relearning import Relearner
from kb.search import Searcher
from kb.store import KbStore
from privacy.erase import Eraser
from tickets.canned import CannedReplies
from tickets.desk import TicketDesk
from tickets.scheduler import Scheduler
from privacy.retention import RetentionPolicy, sweep

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    redis: aioredis.Redis
    sync_redis: redis.Redis  # for the knowledge base, whose CPU-bound work runs in threads
    keys: Keys
    relay: Relay
    conversations: ConversationStore
    agents: AgentDirectory
    sessions: Sessions
    login_guard: LoginGuard
    limiter: RateLimiter
    audit: AuditLog
    queue: HandoffQueue
    rasa: RasaClient
    gaps: GapLog
    orchestrator: Orchestrator
    votes: AnswerVotes
    feedback: AnswerFeedback
    history: AgentHistory
    customers: CustomerStore
    intake: Intake
    desk: TicketDesk
    canned: CannedReplies
    sockets: OpenSockets  # how many WebSockets are open, per chat, address and agent, across workers (core/sockets.py)
    _tasks: list[asyncio.Task] = field(default_factory=list)

    # Supervisor analytics (analytics/): the rollup of the event stream, and the figures read from it.
    @cached_property
    def rollup(self) -> Rollup:
        return Rollup(self.redis, self.keys, ZoneInfo(self.settings.business_hours.timezone), self.desk.hours)

    @cached_property
    def dashboard(self) -> Dashboard:
        t = self.settings.report_targets
        return Dashboard(self.rollup, Targets(t.fcr, t.csat, t.first_response_seconds, t.complaint_hours), self.rollup.zone, self.agents)

    # Knowledge base: built on first use (loading the embedding models takes seconds and memory).
    @cached_property
    def kb_store(self) -> KbStore:
        return KbStore(self.sync_redis, keys=self.keys)

    @cached_property
    def embedders(self) -> EmbedderSet:
        return EmbedderSet.from_settings(self.settings)

    @cached_property
    def searcher(self) -> Searcher:
        return Searcher(self.kb_store, self.embedders, self.settings)

    @cached_property
    def kb_relearner(self) -> Relearner:
        """Rebuilds a version published as an overlay in the background (kb/relearning.py)."""
        return Relearner(self.kb_store, self.embedders, self.settings)

    # Messaging channels (bot/channels/): those with credentials in the settings; the outbox every worker shares.
    @cached_property
    def channels(self) -> dict[str, Channel]:
        return configured_channels(self.settings, self.redis, self.keys)

    @cached_property
    def attachments(self) -> Attachments:
        """What customers sent on the channels (photos, files), fetched for the console."""
        return Attachments(self.channels, max_bytes=self.settings.attachment_max_bytes)

    @cached_property
    def uploads(self) -> Uploads:
        """Pictures web-chat customers attach, kept as long as the transcript."""
        s = self.settings
        return Uploads(self.redis, self.keys, max_bytes=s.web_image_max_bytes, keep_seconds=int(s.retention_days * 86400),
                       agent_max_bytes=s.agent_attachment_max_bytes)

    @cached_property
    def outbox(self) -> Outbox:
        return Outbox(self.redis, self.keys)

    @cached_property
    def gateway(self) -> ChannelGateway:
        s = self.settings
        return ChannelGateway(self.redis, self.keys, self.intake, self.customers, self.conversations, self.orchestrator, self.queue, self.feedback,
                              new_conversation_after_seconds=s.channel_new_conversation_after_hours * 3600, turn_wait_seconds=s.rasa_timeout_seconds * 2 + 5,
                              limiter=self.limiter, limits=s.rate_limits, max_message_chars=s.max_message_chars)

    def _channel_workers(self) -> list[asyncio.Task]:
        """The outbox sender, deferred channel messages (over the message limits), and Telegram's long polling (or its webhook registration)."""
        s = self.settings
        sender = OutboxSender(self.outbox, self.conversations, self.channels, SendPolicy.from_settings(s), uploads=self.uploads)
        tasks = [asyncio.create_task(sender.run(), name="outbox"), asyncio.create_task(self._wake_on_messages(sender), name="outbox-wake"),
                 asyncio.create_task(self.gateway.run_deferred(self.channels), name="channel-deferred")]
        telegram = self.channels.get("telegram")
        if isinstance(telegram, TelegramChannel):
            if s.telegram_mode == "polling":
                tasks.append(asyncio.create_task(TelegramPoller(telegram, self.gateway, self.redis, self.keys).run(), name="telegram-polling"))
            else:
                tasks.append(asyncio.create_task(self._register_telegram_webhook(telegram), name="telegram-webhook"))
        return tasks

    async def _wake_on_messages(self, sender: OutboxSender) -> None:
        """Every transcript line is published (core/relay.py): the sender looks at once instead of at its next poll."""
        with self.relay.subscribe(prefixes=(self.keys.conv_channel(""),)) as sub:
            while True:
                await sub.get()
                sender.wake()

    async def _register_telegram_webhook(self, telegram: TelegramChannel) -> None:
        url = telegram_webhook_url(self.settings)
        if not url:
            log.error("telegram: webhook mode needs CS_TELEGRAM_WEBHOOK_URL or CS_PUBLIC_URL; no updates will arrive")
            return
        delay = 1.0
        while True:
            try:
                await telegram.set_webhook(url)
                log.info("telegram: webhook set to %s", url)
                return
            except Exception as exc:  # Telegram unreachable: keep trying, updates wait on Telegram's side meanwhile
                log.warning("telegram: setWebhook failed (%s); retrying in %.0f s", type(exc).__name__, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 60.0)

    @classmethod
    def build(cls, settings: Settings) -> "Services":
        client = async_client(settings)
        sync = sync_client(settings)
        keys = Keys(settings.key_prefix)
        url = redis_url(settings)
        relay = Relay(lambda: aioredis.Redis.from_url(url, decode_responses=True, socket_connect_timeout=2, health_check_interval=10), keys.pub_prefix)
        personal_data = PersonalData(Vault(settings.secret("pii-key")), enabled=settings.pii_masking)
        conversations = ConversationStore(client, keys, personal_data)
        customers = CustomerStore(client, keys)
        # Who is at a console: only they are offered chats (handoff/consoles.py).
        consoles = Consoles(client, keys, lease_seconds=settings.console_lease_seconds, grace_seconds=settings.presence_grace_seconds)
        agents = AgentDirectory(client, keys, hash_concurrency=settings.password_hash_concurrency, consoles=consoles)
        sessions = Sessions(client, keys, idle_seconds=int(settings.session_idle_minutes * 60), absolute_seconds=int(settings.agent_session_hours * 3600))
        guard = LoginGuard(client, keys, LockoutPolicy(
            window_seconds=int(settings.login_window_minutes * 60), free_attempts=settings.login_free_attempts,
            lock_after=settings.login_lock_after, lock_seconds=int(settings.login_lock_minutes * 60), address_lock_after=settings.login_address_lock_after,
        ))
        votes = AnswerVotes(client, keys)
        queue = HandoffQueue(conversations, agents, votes=votes, default_capacity=settings.default_agent_capacity, default_handle_seconds=settings.default_handle_seconds)
        rasa = RasaClient(settings.rasa_url, settings.rasa_timeout_seconds, token=settings.secret("rasa-token"))
        gaps = GapLog(sync, keys)
        desk = TicketDesk.from_settings(settings, conversations, agents, queue, customers, Scheduler(url, keys.scheduler_queue, keys.demo_due if settings.demo_clock else None))
        orchestrator = Orchestrator(
            client, keys, conversations, desk, rasa, gaps,
            turn_lock_seconds=settings.turn_lock_seconds, turn_wait_seconds=settings.rasa_timeout_seconds * 2 + 5,
            tracker_ttl_seconds=settings.rasa_tracker_ttl_seconds,
            # Several action-server workers: the prefetch would reach the one that searches only by chance.
            prefetch=QueryPrefetch(settings.action_url) if settings.kb_prefetch and settings.action_workers == 1 else None,
        )
        return cls(settings, client, sync, keys, relay, conversations, agents, sessions, guard, RateLimiter(client, keys),
                   AuditLog(keys, client, sync), queue, rasa, gaps, orchestrator,
                   votes, AnswerFeedback(conversations, votes, gaps), AgentHistory(conversations), customers, Intake(conversations, customers),
                   desk, CannedReplies(client, keys), OpenSockets(client, keys, lease_seconds=settings.socket_lease_seconds))

    async def start(self) -> None:
        """Live updates, the loop that finishes turns a dead worker left behind (at once: this may be the restart), retention,
        the desk's sweep (the queue offered to agents with room, tickets left behind by a cut hand-over mended)."""
        await self.relay.start()
        s = self.settings
        self._tasks.append(asyncio.create_task(
            self.orchestrator.turns.run_recovery(s.turn_recovery_interval_seconds, s.turn_recovery_grace_seconds), name="turn-recovery",
        ))
        self._tasks.append(asyncio.create_task(self._retention_loop(), name="retention"))
        # This worker's open sockets stay counted while they are open (a killed worker's lapse: core/sockets.py).
        self._tasks.append(asyncio.create_task(every(self.sockets.renew_every, self.sockets.renew_all, "socket leases"), name="socket-leases"))
        # Every worker runs the loop, one of them sweeps each round (the lock is held most of an interval).
        self._tasks.append(asyncio.create_task(
            every(s.desk_sweep_seconds, lambda: self.desk.sweep(s.desk_sweep_seconds * 0.8), "desk sweep"), name="desk-sweep",
        ))
        self._stop_rollup = asyncio.Event()
        self._tasks.append(asyncio.create_task(run_forever(self.rollup, s.analytics_rollup_seconds, self._stop_rollup), name="analytics-rollup"))
        if self.channels:
            self._tasks += self._channel_workers()
        if s.report_schedule:
            self._tasks.append(asyncio.create_task(self._report_loop(), name="scheduled-reports"))

    async def _report_loop(self) -> None:
        """A minute after start, then once an hour, one worker writes the weekly/monthly briefings that are due and
        missing (./cs report --scheduled, at background priority). Not an hour after start: a hub restarted more often
        would never write one. Nothing missing (most hours): no process is started."""
        pause = 60.0
        s = self.settings
        while True:
            await asyncio.sleep(pause)
            pause = 3600.0
            try:
                if not reports.missing(s.report_schedule, s.report_languages, s.reports_dir, time.time(), ZoneInfo(s.business_hours.timezone)):
                    continue
                if not await self.redis.set(self.keys.reports_lock, "1", nx=True, ex=3000):
                    continue
                proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "analytics", "--scheduled",
                                                            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
                _, err = await proc.communicate()
                if proc.returncode:
                    log.error("scheduled briefings failed: %s", err.decode(errors="replace")[-500:])
            except Exception:
                log.exception("scheduled briefings failed")

    async def _retention_loop(self) -> None:
        s = self.settings
        policy = RetentionPolicy(s.retention_days * 86400, s.abandoned_conversation_hours * 3600)
        eraser = Eraser(self.sync_redis, self.keys, [self.gaps.key])
        while True:
            await asyncio.sleep(s.retention_sweep_minutes * 60)
            try:
                erased = await asyncio.to_thread(sweep, self.sync_redis, self.keys, eraser, policy)
                if erased and erased.conversations:
                    log.info("retention: erased %d conversation(s)", erased.conversations)
                    await self.desk.drain()  # an erased chat that was assigned freed its agent's seat
                    await self.audit.record("system", "retention_purge", "", conversations=erased.conversations)
            except Exception:
                log.exception("retention sweep failed")

    async def aclose(self) -> None:
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self.relay.stop()
        self.desk.scheduler.close()
        if "kb_relearner" in self.__dict__:
            self.kb_relearner.close()
        if "channels" in self.__dict__:  # built (cached_property): close what they opened
            await self.gateway.aclose()
            for channel in self.channels.values():
                await channel.aclose()
        if "attachments" in self.__dict__:
            await self.attachments.aclose()
        await self.rasa.aclose()
        if self.orchestrator.prefetch is not None:
            await self.orchestrator.prefetch.aclose()
        await self.redis.aclose()
        self.sync_redis.close()
