"""Settings, read from `PLAZA_*` environment variables.

Every limit the server enforces lives here with its default, so an operator can see and change
it in one place; README.md's configuration table lists the same fields.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Server settings. Build with `Settings()` to read the environment."""

    model_config = SettingsConfigDict(env_prefix="PLAZA_", extra="ignore")

    data_dir: Path = Field(Path("plaza-data"), description="Where SQLite and uploads live.")
    database_url: str | None = Field(
        None,
        description="sqlite+aiosqlite:///path or postgresql+asyncpg://...; "
        "default: SQLite in the data dir.",
    )
    redis_url: str | None = Field(
        None, description="Redis for the cross-node event bus and rate limits; unset = in-process."
    )
    sqlite_synchronous: str = Field(
        "NORMAL",
        description="SQLite `synchronous` pragma. NORMAL (WAL) survives a process crash; "
        "FULL also survives power loss at some cost per commit.",
    )
    # SQLite write-ahead log
    sqlite_checkpoint_seconds: float = Field(
        1.0, gt=0, description="Seconds between WAL checkpoints (PASSIVE, off the event loop)."
    )
    sqlite_wal_truncate_seconds: float = Field(
        30.0,
        ge=0,
        description="Seconds between truncations of the SQLite WAL file to zero bytes; also "
        "about how long erased text (a recalled message) can stay readable in plaza.db-wal. "
        "0: truncate only when the file outgrows PLAZA_SQLITE_WAL_SIZE_LIMIT_BYTES.",
    )
    sqlite_wal_size_limit_bytes: int = Field(
        4_194_304,
        ge=0,
        description="A WAL file larger than this is truncated at the next checkpoint, and cut "
        "back to this size whenever SQLite starts it over (journal_size_limit).",
    )
    db_pool_size: int = Field(10, description="PostgreSQL connection pool size.")

    session_ttl_days: int = Field(30, description="How long a login session lasts.")
    # OWASP's first recommendation for argon2id (Password Storage Cheat Sheet): 19 MiB, 2
    # passes, parallelism 1. Never lower; raising either rehashes each password at its owner's
    # next sign-in.
    argon2_time_cost: int = Field(2, ge=1, description="argon2id passes.")
    argon2_memory_kib: int = Field(19456, ge=8, description="argon2id memory per hash, KiB.")

    rate_limit_enabled: bool = Field(True, description="Turn rate limits on or off.")
    login_per_address: str = Field(
        "30/60", description="Log-in attempts per client address: N/seconds."
    )
    login_failures_per_address_username: str = Field(
        "10/300", description="Failed log-ins for one username from one address."
    )
    login_failures_per_username: str = Field(
        "100/3600",
        description="Failed log-ins for one username from all addresses together: the ceiling "
        "that stops a distributed guessing attack (the owner is then refused too).",
    )
    register_per_address: str = Field("10/3600", description="Registrations per address.")
    friend_requests_per_person: str = Field(
        "30/3600", description="Friend requests one person may send: N/seconds."
    )
    friend_request_cooldown_seconds: int = Field(
        86400, description="After a declined request, how long before asking the same person again."
    )
    trusted_proxies: str = Field(
        "",
        description="Proxies whose X-Forwarded-For is believed (addresses or networks, "
        "comma-separated); default none.",
    )
    allowed_origins: str = Field(
        "",
        description="Extra origins (comma-separated, e.g. https://app.example.org) whose pages "
        "may open the stream with the session cookie; the server's own origin always may.",
    )

    max_body_bytes: int = Field(1_048_576, description="Largest JSON or form request body.")
    page_size_default: int = Field(50, description="Items per page when a list is not told.")
    page_size_max: int = Field(200, description="Most items one page may hold.")

    group_max_members: int = Field(500, description="Most members a group conversation may have.")
    message_max_chars: int = Field(4000, description="Longest chat message, in characters.")
    recall_window_seconds: int = Field(120, description="How long a sender may recall a message.")
    # Chat limits
    chat_messages_per_person: str = Field(
        "30/10", description="Messages one person may send, over HTTP and the stream: N/seconds."
    )
    chat_messages_per_conversation: str = Field(
        "300/10", description="Messages one conversation takes from all its members: N/seconds."
    )
    chat_groups_per_person: str = Field(
        "20/3600", description="Group conversations one person may create: N/seconds."
    )
    chat_member_adds_per_person: str = Field(
        "200/3600", description="Members one person may add to existing groups: N/seconds."
    )
    # Friend labels and moments
    labels_per_person: int = Field(100, ge=1, description="Most friend labels one person may keep.")
    label_members_max: int = Field(1000, ge=1, description="Most friends one label may hold.")
    moments_text_max_chars: int = Field(
        2000, ge=1, description="Longest moment text, in characters."
    )
    moments_comment_max_chars: int = Field(
        1000, ge=1, description="Longest comment on a moment, in characters."
    )
    moments_per_person: str = Field(
        "30/3600", description="Moments one person may post: N/seconds."
    )
    moments_comments_per_person: str = Field(
        "60/60", description="Comments one person may write on moments: N/seconds."
    )
    moments_likes_per_person: str = Field(
        "120/60", description="Likes (and unlikes) one person may give moments: N/seconds."
    )
    moments_stranger_preview: int = Field(
        0,
        ge=0,
        description="How many of a person's latest moments shared with all friends a stranger "
        "may see on their page; 0 (the default): strangers see nothing.",
    )
    stream_buffer_events: int = Field(
        1000, description="Events queued for one slow socket before it is disconnected."
    )
    stream_replay_max: int = Field(
        2000, description="Most missed events replayed per conversation on resume."
    )
    ws_ping_interval: float = Field(20.0, description="Seconds between WebSocket pings.")
    ws_ping_timeout: float = Field(20.0, description="Seconds to wait for a pong.")

    secure_cookies: bool = Field(False, description="Mark cookies Secure (serve over HTTPS).")

    # Media
    media_url: str = Field(
        "",
        description="Where uploaded pictures are stored: empty = the data dir (media/); "
        "s3://bucket/prefix?endpoint=https://... = S3-compatible object storage.",
    )
    media_max_bytes: int = Field(
        10_485_760, gt=0, description="Largest picture one may upload, in bytes (413 beyond)."
    )
    media_max_pixels: int = Field(
        50_000_000,
        gt=0,
        description="Most pixels (width x height) an uploaded picture may claim; more is "
        "refused as a decompression bomb (422).",
    )
    media_thumbnail_px: int = Field(
        320, gt=0, description="Longest side of the thumbnail made of each picture, in pixels."
    )
    media_max_per_item: int = Field(
        9, ge=1, description="Most pictures one message or moment may carry."
    )
    media_uploads_per_person: str = Field(
        "60/600", description="Pictures one person may upload: N/seconds."
    )
    # Trust and safety
    policies: Path | None = Field(
        None,
        description="A policy catalogue (TOML) replacing the shipped one "
        "(src/plaza/moderation/policies.toml); an invalid one stops start-up naming the line.",
    )
    moderation_scan_processes: int = Field(
        1,
        ge=0,
        description="Processes this node (plaza serve) gives to scanning pictures (PDQ hashes, "
        "NudeNet); 0 = none here, for web nodes whose scans run in `plaza worker` processes.",
    )
    moderation_scan_queue: bool = Field(
        False,
        description="Dispatch picture scans through a job queue in PostgreSQL (procrastinate), "
        "so that several nodes and `plaza worker` processes share them; needs PostgreSQL. "
        "Off: each scanning node takes pending scans from the database itself.",
    )
    moderation_scan_sweep_seconds: float = Field(
        5.0,
        gt=0,
        description="Seconds between looks for pending picture scans that no wake-up announced "
        "(left by a crash, or recorded by another process).",
    )
    moderation_scan_requeue_seconds: float = Field(
        60.0,
        gt=0,
        description="With the queue: a pending scan older than this that no job has finished "
        "is queued again (a job lost with a stopped worker).",
    )
    moderation_scan_stalled_seconds: float = Field(
        60.0,
        ge=30,
        description="With the queue: a scan job still being done by a worker that has sent no "
        "heartbeat for this long (killed; workers beat every 10 s) is handed back to the queue.",
    )
    moderation_scan_max_attempts: int = Field(
        3,
        ge=1,
        description="Tries at a picture scan that keeps failing before it is recorded as a "
        "failed scan and given up.",
    )
    moderation_private_checks: str = Field(
        "spam,image.hash",
        description="What screening runs on private messages, comma-separated from keywords, "
        "spam, image.hash, image.nudity; public surfaces (moments, comments, articles, "
        "profiles, public accounts) get all of them.",
    )
    moderation_lists_check_seconds: float = Field(
        1.0,
        ge=0,
        description="How often at most a node looks whether the keyword and hash lists changed "
        "behind its back (an import by the CLI); changes through the API act at once.",
    )
    spam_window_seconds: int = Field(
        60, ge=1, description="The window the spam checks count one sender's sends over."
    )
    spam_sends_per_window: int = Field(
        60, ge=0, description="Sends in the window (across chats and posts) that look automated."
    )
    spam_duplicate_authors: int = Field(
        5, ge=0, description="Other accounts that recently wrote nearly the same text: spam."
    )
    spam_links: int = Field(5, ge=0, description="Links in one text from which it looks spammy.")
    spam_new_account_seconds: int = Field(
        86_400, ge=0, description="An account younger than this is new (for spam.strangers)."
    )
    spam_new_account_strangers: int = Field(
        10,
        ge=0,
        description="Direct chats with people who are not friends that a new account may start "
        "in the window before it looks like spam.",
    )
    spam_texts_remembered: int = Field(
        10_000, ge=1, description="Recent texts each node compares new ones with (duplicates)."
    )

    # Public accounts
    public_accounts_per_person: int = Field(
        5, ge=1, description="Most public accounts one person may own."
    )
    public_account_editors_max: int = Field(
        20, ge=1, description="Most editors (besides its owner) one public account may have."
    )
    public_account_description_max_chars: int = Field(
        500, ge=1, description="Longest public account description, in characters."
    )
    public_account_moved_changes: int = Field(
        2,
        ge=0,
        description='Times a closed public account\'s "moved to" notice may be changed '
        "after it is first set (0 = never); beyond, 409 moved_notice_final.",
    )
    articles_per_account_per_day: int = Field(
        8,
        ge=1,
        description="Articles one public account may publish in any 24 hours; past it, 429 "
        "saying when publishing is possible again.",
    )
    article_title_max_chars: int = Field(
        120, ge=1, description="Longest article title, in characters."
    )
    article_body_max_chars: int = Field(
        50_000, ge=1, description="Longest article body (Markdown), in characters."
    )
    article_max_pictures: int = Field(
        30, ge=1, description="Most pictures one article may show (cover included)."
    )
    public_account_writes_per_person: str = Field(
        "120/3600",
        description="Changes one person may make to public accounts and articles (create, "
        "edit, publish, editors): N/seconds.",
    )
    article_previews_per_person: str = Field(
        "60/60", description="Article previews one person may render: N/seconds."
    )
    article_likes_per_person: str = Field(
        "120/60", description="Likes (and unlikes) one person may give articles: N/seconds."
    )
    subscriptions_per_person: str = Field(
        "120/3600",
        description="Subscriptions and unsubscriptions one person may make: N/seconds.",
    )

    # Trust and safety: reports and moderators' decisions
    reports_per_hour: int = Field(
        20,
        ge=1,
        description="Reports one person may file in an hour (429 beyond); a repeat report of "
        "the same thing is not counted.",
    )
    policy_checks_per_person: str = Field(
        "30/3600",
        description="Pre-publication checks (POST /policy-check) one person may run: "
        "N/seconds (429 beyond), so the lists cannot be probed at scale.",
    )
    moderation_explanation_max_chars: int = Field(
        2000,
        ge=1,
        description="Longest explanation a moderator may write with a decision (the author "
        "reads it in their notice).",
    )

    # Accountability: notices, appeals, strikes, exports, the transparency report
    appeal_window_days: int = Field(
        180, ge=1, description="Days after a notice during which its person may appeal it."
    )
    appeal_max_chars: int = Field(
        5000, ge=1, description="Longest appeal text a person may write, in characters."
    )
    strike_expiry_days: int = Field(
        90,
        ge=1,
        description="Days a strike stays active on a person's standing (and counts towards "
        "an escalation).",
    )
    strikes_to_suspend: int = Field(
        3,
        ge=0,
        description="Active strikes that suspend an account (the suspension cites them); "
        "0 = strikes never escalate.",
    )
    strike_suspension_days: int = Field(
        7, ge=1, description="Days an escalation for too many strikes suspends the account."
    )
    exports_per_day: str = Field(
        "3/86400", description="Data exports one person may start: N/seconds."
    )
    export_keep_days: int = Field(
        7, ge=1, description="Days a finished export's zip is kept for download."
    )
    transparency_max_days: int = Field(
        3660,
        ge=1,
        description="Longest date range one transparency report may cover; longer is 422.",
    )
    evidence_retention_days: int = Field(
        365,
        ge=0,
        description="Days the frozen copy of enforced content (text, pictures) is kept once "
        "its appeal window has closed and any appeal is decided; then it is purged.",
    )

    # Database outages
    db_connect_timeout: float = Field(
        5.0,
        description="Seconds to wait for a new PostgreSQL connection; past it the request "
        "is answered 503 (retry shortly).",
    )
    db_pool_timeout: float = Field(
        10.0,
        description="Seconds a request waits for a free pooled PostgreSQL connection before "
        "it is answered 503.",
    )
    healthz_timeout: float = Field(
        2.0, description="Seconds `/healthz` waits for the database before reporting it down."
    )

    def resolved_database_url(self) -> str:
        """The URL to connect to: the explicit one, or SQLite inside the data dir."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'plaza.db').resolve()}"

    def sqlite_path(self) -> Path:
        """The database file of a SQLite URL."""
        return Path(self.resolved_database_url().split("///", 1)[1])

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url().startswith("sqlite")
