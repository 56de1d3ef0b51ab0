"""`create_app(settings)`: wires settings, database, bus, live hub and every domain's routes.

Nothing happens at import time; the lifespan opens and closes what the app holds.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text

import plaza
from plaza.accounts import api as accounts_api
from plaza.accounts import moderation as accounts_moderation
from plaza.accounts import web as accounts_web
from plaza.accounts.passwords import Passwords
from plaza.accounts.service.sessions import still_open
from plaza.bus import create_bus
from plaza.chat import api as chat_api
from plaza.chat import moderation as chat_moderation
from plaza.chat import pictures as chat_pictures
from plaza.chat import web as chat_web
from plaza.chat.limits import ChatLimits
from plaza.chat.live import ConversationSource, send_command
from plaza.chat.service.batcher import SendBatcher
from plaza.clock import Clock
from plaza.config import Settings
from plaza.db import create_engine, create_sessionmaker
from plaza.exports import api as exports_api
from plaza.exports import runner as exports_runner
from plaza.exports import web as exports_web
from plaza.live import api as live_api
from plaza.live.hub import Hub
from plaza.media import api as media_api
from plaza.media import setup as media_setup
from plaza.moderation import appeals_web as moderation_appeals_web
from plaza.moderation import decision_log_web as moderation_decision_log_web
from plaza.moderation import notices_web as moderation_notices_web
from plaza.moderation import setup as moderation_setup
from plaza.moderation import standing_web as moderation_standing_web
from plaza.moderation import transparency_web as moderation_transparency_web
from plaza.moderation import web as moderation_web
from plaza.moderation.api import appeals as moderation_appeals_api
from plaza.moderation.api import audit as moderation_audit_api
from plaza.moderation.api import cases as moderation_cases_api
from plaza.moderation.api import decision_log as moderation_decision_log_api
from plaza.moderation.api import lists as moderation_lists_api
from plaza.moderation.api import notices as moderation_notices_api
from plaza.moderation.api import policies as moderation_policies_api
from plaza.moderation.api import policy_check as moderation_policy_check_api
from plaza.moderation.api import reports as moderation_reports_api
from plaza.moderation.api import standing as moderation_standing_api
from plaza.moderation.api import transparency as moderation_transparency_api
from plaza.moderation.evidence_sweep import EvidenceSweep
from plaza.moderation.scans import runner as moderation_scans
from plaza.moderation.service import evidence as moderation_evidence
from plaza.moments import api as moments_api
from plaza.moments import live as moments_live
from plaza.moments import moderation as moments_moderation
from plaza.moments import web as moments_web
from plaza.public_accounts import api as public_accounts_api
from plaza.public_accounts import atom as public_accounts_atom
from plaza.public_accounts import live as public_accounts_live
from plaza.public_accounts import moderation as public_accounts_moderation
from plaza.public_accounts import web as public_accounts_web
from plaza.ratelimit import MemoryRateLimiter, RateLimiter, RedisRateLimiter
from plaza.runtime import Runtime
from plaza.sqlite_checkpoint import Checkpointer
from plaza.web import pages
from plaza.web.csrf import CsrfCookieMiddleware
from plaza.web.docs import install_docs
from plaza.web.errors import install_error_handlers
from plaza.web.limits import BodyLimitMiddleware
from plaza.web.openapi import RETRY_AFTER, install_openapi

log = logging.getLogger(__name__)
# The stream is a WebSocket, which OpenAPI cannot describe: its protocol goes in the prose.
API_DESCRIPTION = (
    "Chat, moments, public accounts and accountable moderation.\n\n"
    "Authenticate with `Authorization: Bearer <token>` (from `POST /api/v1/sessions`).\n\n"
    "## Live events: `GET /api/v1/stream` (WebSocket)\n\n" + (live_api.__doc__ or "")
)
STATIC = Path(__file__).resolve().parent / "web" / "static"
HEALTHY = {"status": "ok", "database": "up"}
MULTIPART_ALLOWANCE = 64 * 1024
DEGRADED = {"status": "degraded", "database": "down"}


def _limiter(settings: Settings) -> RateLimiter:
    if settings.redis_url:
        import redis.asyncio as redis

        return RedisRateLimiter(
            redis.Redis.from_url(settings.redis_url), enabled=settings.rate_limit_enabled
        )
    return MemoryRateLimiter(enabled=settings.rate_limit_enabled)


def build_runtime(settings: Settings, clock: Clock | None = None) -> Runtime:
    engine = create_engine(settings)
    sessions = create_sessionmaker(engine)
    bus = create_bus(settings.redis_url)
    clock = clock or Clock()
    hub = Hub(
        bus=bus,
        sessions=sessions,
        replay_limit=settings.stream_replay_max,
        clock=clock,
        session_checker=partial(still_open, clock=clock),
    )
    hub.register(ConversationSource())
    limiter = _limiter(settings)
    runtime = Runtime(
        settings=settings,
        engine=engine,
        sessions=sessions,
        bus=bus,
        hub=hub,
        clock=clock,
        passwords=Passwords(
            time_cost=settings.argon2_time_cost, memory_kib=settings.argon2_memory_kib
        ),
        limiter=limiter,
        chat_sends=SendBatcher(
            sessions=sessions,
            clock=clock,
            bus=bus,
            max_chars=settings.message_max_chars,
            max_media=settings.media_max_per_item,
            limits=ChatLimits.of(settings, limiter),
        ),
    )
    hub.register_command("send", send_command(runtime))
    return runtime


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> FastAPI:
    settings = settings or Settings()
    runtime = build_runtime(settings, clock)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await runtime.bus.start()
        await runtime.hub.start()
        await moderation.start()
        checkpointer = None
        if settings.is_sqlite:
            # The serving connection puts the database in WAL mode when it opens; let it, so the
            # checkpointer's first look finds a WAL (see plaza.sqlite_checkpoint).
            async with runtime.engine.connect():
                pass
            checkpointer = Checkpointer(
                settings.sqlite_path(),
                settings.sqlite_checkpoint_seconds,
                truncate_interval=settings.sqlite_wal_truncate_seconds,
                size_limit=settings.sqlite_wal_size_limit_bytes,
            )
            app.state.sqlite_checkpointer = checkpointer
            checkpointer.start()
        # Picture scans: a process pool here, and/or the job queue (PLAZA_MODERATION_SCAN_*).
        scans = await moderation_scans.start(app)
        # Data exports: takes up the builds a crash left unfinished, then builds what is asked.
        await exports.start()
        # Evidence of enforcements past PLAZA_EVIDENCE_RETENTION_DAYS: purged now and hourly.
        evidence_sweep.start()
        try:
            yield
        finally:
            await evidence_sweep.stop()
            await exports.stop()
            await scans.stop()
            if checkpointer is not None:
                await checkpointer.stop()
            await moments_live.nudges_of(app).close()
            await runtime.hub.close()
            await app.state.media.close()
            await runtime.bus.close()
            await runtime.limiter.close()
            await runtime.engine.dispose()

    app = FastAPI(
        title="Plaza",
        version=plaza.__version__,
        description=API_DESCRIPTION,
        lifespan=lifespan,
        # Served from the package by install_docs, so they work without internet.
        docs_url=None,
        redoc_url=None,
    )
    app.state.runtime = runtime
    # Storage, the decoding pool, and the registry into which surfaces put who may see the
    # pictures they use (app.state.media_access).
    media = media_setup.install(app, settings, runtime.limiter)
    # The registry into which surfaces put how moderation may hide, restore and copy their
    # content (app.state.moderation); before the surfaces' hooks, which register there.
    moderation = moderation_setup.install(app, runtime)
    accounts_moderation.install(moderation)
    chat_moderation.install(moderation, runtime)
    moments_moderation.install(moderation, runtime)
    public_accounts_moderation.install(moderation, runtime)
    chat_pictures.install(media.access)
    # Evidence pictures: readable by moderators and the notice's person until purged.
    moderation_evidence.install(media.access)
    evidence_sweep = EvidenceSweep(runtime, media.storage)
    moments_live.install(app, runtime, media.access)
    public_accounts_live.install(runtime, media.access)
    exports = exports_runner.install(app, runtime, media)
    install_openapi(app)
    install_error_handlers(app)
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        # A picture upload: the picture plus room for the multipart framing around it.
        paths={media_api.UPLOAD_PATH: settings.media_max_bytes + MULTIPART_ALLOWANCE},
    )
    app.add_middleware(CsrfCookieMiddleware, secure=settings.secure_cookies)

    async def ping_database() -> None:
        async with runtime.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    @app.get(
        "/healthz",
        tags=["ops"],
        response_model=None,
        responses={
            200: {"content": {"application/json": {"example": HEALTHY}}},
            503: {
                "description": "The database cannot be reached",
                "content": {"application/json": {"example": DEGRADED}},
                "headers": RETRY_AFTER,
            },
        },
    )
    async def healthz() -> JSONResponse:
        """Liveness and database reachability, for load balancers and `plaza serve` checks:
        200 `{"status": "ok", "database": "up"}`, or 503 `{"status": "degraded", "database":
        "down"}` with `Retry-After` when `SELECT 1` fails or takes longer than
        PLAZA_HEALTHZ_TIMEOUT (a hung database does not hang the check)."""
        probe = asyncio.ensure_future(ping_database())
        # Not wait_for: a cancelled probe may take seconds to give its connection back
        # (SQLAlchemy closes it gracefully); the answer need not wait for that.
        done, _ = await asyncio.wait({probe}, timeout=settings.healthz_timeout)
        failure = probe.exception() if done else TimeoutError("no answer in time")
        if not done:
            probe.cancel()
            probe.add_done_callback(lambda task: task.cancelled() or task.exception())
        if failure is not None:
            log.warning("health check: the database is down: %r", failure)
            return JSONResponse(
                {**DEGRADED, "version": plaza.__version__},
                status_code=503,
                headers={"Retry-After": "1"},
            )
        return JSONResponse({**HEALTHY, "version": plaza.__version__})

    for router in (
        # First: a request is matched against the routes in this order, and a node that
        # restarts gets every live socket back at once (the stream's one route would
        # otherwise be tried after some 130 others, for each of them).
        live_api.router,
        accounts_api.router,
        chat_api.router,
        moments_api.router,
        public_accounts_api.router,
        moderation_policies_api.router,
        moderation_policy_check_api.router,
        moderation_reports_api.router,
        moderation_cases_api.router,
        moderation_audit_api.router,
        moderation_lists_api.router,
        moderation_notices_api.router,
        moderation_appeals_api.router,
        moderation_transparency_api.router,
        moderation_decision_log_api.router,
        moderation_standing_api.router,
        exports_api.router,
        # Before the web pages: /a/{handle}/feed.xml is not an article page.
        public_accounts_atom.router,
        media_api.router,
        pages.router,
        accounts_web.router,
        chat_web.router,
        moments_web.router,
        public_accounts_web.router,
        moderation_web.router,
        moderation_notices_web.router,
        moderation_appeals_web.router,
        moderation_transparency_web.router,
        moderation_decision_log_web.router,
        moderation_standing_web.router,
        exports_web.router,
    ):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    install_docs(app)
    return app


def create_app_from_env() -> FastAPI:
    """The app built from `PLAZA_*` environment variables alone: the factory each worker
    process of `plaza serve --workers N` imports (`plaza.app:create_app_from_env`)."""
    return create_app(Settings())
