"""Group commit for chat sends: the drafts that arrive together share one transaction.

`SendBatcher` feeds `sending.send_many` with the sends that arrive while a transaction is being
prepared, which divides the cost of the commit and of the socket writes (events of one loop
turn share a write per socket) by the number of messages in flight. One per process: it is
chat's per-process state, built by `create_app`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from plaza.bus import Bus
from plaza.chat.limits import ChatLimits
from plaza.chat.service.sending import Draft, Outcome, send_many
from plaza.clock import Clock
from plaza.errors import Unavailable, database_unavailable
from plaza.moderation.setup import Moderation


@dataclass
class _Waiting:
    draft: Draft
    done: asyncio.Future[Outcome] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class SendBatcher:
    """Group commit for sends: the drafts that arrive before the next transaction starts go
    into it together. One batch is written at a time, so numbering stays in arrival order.

    A caller must not hold a database connection while it waits: the batch needs one, and
    SQLite's pool has only one.
    """

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        bus: Bus,
        max_chars: int,
        max_media: int,
        max_batch: int = 64,
        limits: ChatLimits | None = None,
    ) -> None:
        self._sessions = sessions
        # Chat's rate limits, also used by the routes that create groups and add members.
        self.limits = limits
        self._clock = clock
        self._bus = bus
        self._max_chars = max_chars
        self._max_media = max_media
        self._max_batch = max_batch
        # Screening (plaza.moderation), set by chat's moderation hook once the app has it.
        self.moderation: Moderation | None = None
        self._waiting: list[_Waiting] = []
        self._worker: asyncio.Task | None = None
        self._contended = True

    async def send(self, draft: Draft) -> tuple[dict[str, Any], bool]:
        waiting = _Waiting(draft)
        self._waiting.append(waiting)
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._drain())
        outcome = await waiting.done
        if outcome.error is not None:
            raise outcome.error
        assert outcome.message is not None
        return outcome.message, outcome.created

    async def _drain(self) -> None:
        # One loop turn's grace, so that sends read in the same turn join the first batch; only
        # when sends are arriving together (the last batch had company): a lone sender, one
        # message at a time, should not pay for a wait that gathers nobody.
        if self._contended:
            await asyncio.sleep(0)
        while self._waiting:
            batch = self._waiting[: self._max_batch]
            del self._waiting[: self._max_batch]
            self._contended = len(batch) > 1 or bool(self._waiting)
            try:
                async with self._sessions() as session:
                    outcomes = await send_many(
                        session,
                        clock=self._clock,
                        bus=self._bus,
                        drafts=[w.draft for w in batch],
                        max_chars=self._max_chars,
                        max_media=self._max_media,
                        limits=self.limits,
                        moderation=self.moderation,
                    )
            except Exception as exc:  # a database failure: every sender of the batch hears it
                # Unreachable (down, restarting, locked): each sender gets its own 503 to retry
                # with the same client_id; a commit that did land makes the retry a no-op.
                unavailable = database_unavailable(exc)
                for waiting in batch:
                    if not waiting.done.done():
                        error: Exception = exc
                        if unavailable:
                            error = Unavailable()
                            error.__cause__ = exc
                        waiting.done.set_exception(error)
                continue
            for waiting, outcome in zip(batch, outcomes, strict=True):
                if not waiting.done.done():
                    waiting.done.set_result(outcome)
