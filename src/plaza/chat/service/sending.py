"""Sending messages, one or many per transaction.

`send_many` is the one write path: it checks every draft, numbers the drafts of each
conversation with a single UPDATE (seq and rev move by the batch size under the row lock),
inserts messages and log rows with one statement each, commits once, and only then announces
each message. `send` is the one-draft case. `SendBatcher` (below) feeds `send_many` with the
sends that arrive while a transaction is being prepared: group commit, which divides the cost
of the commit and of the socket writes (events of one loop turn share a write per socket) by
the number of messages in flight.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from plaza.accounts.models import User
from plaza.accounts.service.friends import is_blocked
from plaza.accounts.service.sessions import require_active
from plaza.bus import Bus
from plaza.chat.models import Message
from plaza.chat.service import events, statements
from plaza.clock import Clock
from plaza.errors import Invalid, NotFound, PlazaError, Unavailable, database_unavailable

CLIENT_ID_MAX = 64


@dataclass(frozen=True)
class Author:
    """What a message shows of its sender; detached from any database session."""

    id: int
    username: str
    display_name: str
    status: str


@dataclass
class Draft:
    author_id: int
    conversation_id: int
    client_id: str
    text: str
    reply_to: int | None = None
    # Filled in by the checks, from the database:
    author: Author | None = None
    withheld: bool = False


@dataclass
class Outcome:
    """The stored message and whether this send created it, or why it was refused."""

    message: dict[str, Any] | None = None
    created: bool = False
    error: PlazaError | None = None


def check_message(text: str, client_id: str, *, max_chars: int) -> None:
    if not client_id or len(client_id) > CLIENT_ID_MAX:
        raise Invalid(f"client_id must be 1 to {CLIENT_ID_MAX} characters", field="client_id")
    if not text.strip():
        raise Invalid("text must not be empty", field="text")
    if len(text) > max_chars:
        raise Invalid(f"text must be at most {max_chars} characters", field="text")


async def _check(session: AsyncSession, draft: Draft, *, max_chars: int) -> None:
    """Validate one draft and find out whether it must be withheld (sender blocked)."""
    check_message(draft.text, draft.client_id, max_chars=max_chars)
    connection = await session.connection()
    found = (
        await connection.execute(
            statements.MEMBERSHIP, {"cid": draft.conversation_id, "uid": draft.author_id}
        )
    ).first()
    if found is None:
        raise NotFound("no such conversation")
    draft.author = Author(draft.author_id, found.username, found.display_name, found.status)
    require_active(draft.author)  # type: ignore[arg-type]
    if draft.reply_to is not None:
        target = await session.scalar(
            select(Message.conversation_id).where(Message.id == draft.reply_to)
        )
        if target != draft.conversation_id:
            raise Invalid("reply_to must be a message of this conversation", field="reply_to")
    if found.direct_key is not None:
        other = next(int(i) for i in found.direct_key.split(":") if int(i) != draft.author_id)
        draft.withheld = await is_blocked(session, blocker_id=other, blocked_id=draft.author_id)


async def send_many(
    session: AsyncSession, *, clock: Clock, bus: Bus, drafts: Sequence[Draft], max_chars: int
) -> list[Outcome]:
    """Store the drafts that pass their checks in one transaction; one outcome per draft."""
    outcomes = [Outcome() for _ in drafts]
    accepted: dict[int, list[int]] = defaultdict(list)  # conversation -> draft indexes
    for index, draft in enumerate(drafts):
        try:
            await _check(session, draft, max_chars=max_chars)
        except PlazaError as exc:
            outcomes[index].error = exc
        else:
            accepted[draft.conversation_id].append(index)
    if not accepted:
        await session.rollback()
        return outcomes
    now = clock.now()
    stored: list[tuple[int, Message, int]] = []  # (draft index, message, rev)
    try:
        for conversation_id, indexes in accepted.items():
            stored += await _store(
                session, conversation_id, [drafts[i] for i in indexes], indexes, now
            )
    except IntegrityError:
        # A client_id was used before (a retry) or twice in this batch: one at a time, each
        # retry answered with its first message.
        await session.rollback()
        if len(drafts) == 1:
            outcomes[0] = await _first_of(session, drafts[0])
            return outcomes
        for index in (i for indexes in accepted.values() for i in indexes):
            [outcomes[index]] = await send_many(
                session, clock=clock, bus=bus, drafts=[drafts[index]], max_chars=max_chars
            )
        return outcomes
    await session.commit()
    for index, message, rev in stored:
        outcomes[index] = Outcome(
            message=await _announce(bus, message, drafts[index], rev), created=True
        )
    return outcomes


async def _store(
    session: AsyncSession,
    conversation_id: int,
    drafts: list[Draft],
    indexes: list[int],
    now: datetime,
) -> list[tuple[int, Message, int]]:
    connection = await session.connection()
    last_seq, last_rev = (
        await connection.execute(
            statements.BUMP_MESSAGES, {"cid": conversation_id, "now": now, "k": len(drafts)}
        )
    ).one()
    first_seq, first_rev = last_seq - len(drafts) + 1, last_rev - len(drafts) + 1
    messages = [
        Message(
            conversation_id=conversation_id,
            seq=first_seq + n,
            sender_id=draft.author_id,
            client_id=draft.client_id,
            text=draft.text,
            reply_to_id=draft.reply_to,
            created_at=now,
            recalled_at=None,
            withheld=draft.withheld,
        )
        for n, draft in enumerate(drafts)
    ]
    ids = (
        (
            await connection.execute(
                statements.INSERT_MESSAGES,
                [
                    {column: getattr(m, column) for column in statements.MESSAGE_COLUMNS}
                    for m in messages
                ],
            )
        )
        .scalars()
        .all()
    )
    for message, message_id in zip(messages, ids, strict=True):
        message.id = message_id
    await connection.execute(
        statements.INSERT_EVENT,
        [
            {
                "conversation_id": conversation_id,
                "rev": first_rev + n,
                "type": "message.new",
                "message_id": m.id,
                "payload": None,
                "created_at": now,
            }
            for n, m in enumerate(messages)
        ],
    )
    read_to = {m.sender_id: m.seq for m in messages}  # the last one of each sender
    await connection.execute(
        statements.MARK_SENDER_READ,
        [{"cid": conversation_id, "uid": uid, "seq": seq} for uid, seq in read_to.items()],
    )
    return [
        (index, m, first_rev + n)
        for n, (index, m) in enumerate(zip(indexes, messages, strict=True))
    ]


async def _first_of(session: AsyncSession, draft: Draft) -> Outcome:
    first = await session.scalar(
        select(Message).where(
            Message.conversation_id == draft.conversation_id,
            Message.sender_id == draft.author_id,
            Message.client_id == draft.client_id,
        )
    )
    if first is None:
        return Outcome(error=PlazaError("the message could not be stored; send it again"))
    return Outcome(message=events.message_json(first, draft.author), created=False)


async def _announce(bus: Bus, message: Message, draft: Draft, rev: int) -> dict[str, Any]:
    event = events.message_event(message, draft.author, rev)
    if draft.withheld:
        placeholder = events.withheld_placeholder(message.conversation_id, message.seq, rev)
        await events.publish(bus, message.conversation_id, placeholder, rev=rev)
        await events.publish_to_user(bus, draft.author_id, event)
    else:
        await events.publish(bus, message.conversation_id, event, rev=rev)
    return event["message"]


async def send(
    session: AsyncSession,
    *,
    clock: Clock,
    bus: Bus,
    sender: User,
    conversation_id: int,
    client_id: str,
    text: str,
    reply_to: int | None,
    max_chars: int,
) -> tuple[dict[str, Any], bool]:
    """Store one message and announce it; returns (message JSON, created).

    Returns only after commit. A repeated `client_id` returns the first message unchanged, so a
    client may retry a send whose answer it never got.
    """
    draft = Draft(sender.id, conversation_id, client_id, text, reply_to)
    [outcome] = await send_many(session, clock=clock, bus=bus, drafts=[draft], max_chars=max_chars)
    if outcome.error is not None:
        raise outcome.error
    assert outcome.message is not None
    return outcome.message, outcome.created


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
        max_batch: int = 64,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._bus = bus
        self._max_chars = max_chars
        self._max_batch = max_batch
        self._waiting: list[_Waiting] = []
        self._worker: asyncio.Task | None = None

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
        # One loop turn's grace, so that sends read in the same turn join the first batch.
        await asyncio.sleep(0)
        while self._waiting:
            batch = self._waiting[: self._max_batch]
            del self._waiting[: self._max_batch]
            try:
                async with self._sessions() as session:
                    outcomes = await send_many(
                        session,
                        clock=self._clock,
                        bus=self._bus,
                        drafts=[w.draft for w in batch],
                        max_chars=self._max_chars,
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
