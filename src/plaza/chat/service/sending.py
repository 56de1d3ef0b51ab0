"""Sending messages, one or many per transaction.

`send_many` is the one write path: it checks every draft, numbers the drafts of each
conversation with a single UPDATE (seq and rev move by the batch size under the row lock),
inserts messages and log rows with one statement each, commits once, and only then announces
each message. `send` is the one-draft case. `batcher.SendBatcher` feeds `send_many` with the
sends that arrive together (group commit).

One person's bad draft must never fail another person's send (design.md §9): everything that
can make a statement fail (ids out of the column's range, NUL characters, unpaired surrogates,
lengths) is checked before the shared transaction starts, and if the transaction fails all
the same, it is rolled back and the batch is split in halves and retried until the draft
that fails is alone; only its sender hears the error.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from plaza.accounts.models import User
from plaza.accounts.service.sessions import require_active
from plaza.bus import Bus
from plaza.chat.limits import ChatLimits
from plaza.chat.models import Message
from plaza.chat.service import events, statements
from plaza.chat.service.events import NewMessage
from plaza.chat.service.screening import screen_stored
from plaza.clock import Clock
from plaza.errors import (
    Forbidden,
    Invalid,
    NotFound,
    PlazaError,
    Unauthorized,
    database_unavailable,
)
from plaza.media import service as media
from plaza.media.service import MediaRef
from plaza.moderation.setup import Moderation
from plaza.moderation.verdicts import Verdict
from plaza.public_accounts.service import cards
from plaza.validation import check_id, check_text

CLIENT_ID_MAX = 64


@dataclass(frozen=True)
class Author:
    """What a message shows of its sender; detached from any database session."""

    id: int
    username: str
    display_name: str
    status: str
    suspended_until: datetime | None  # read with the status: require_active needs both


@dataclass
class Draft:
    # 0 while the sender is known only by `token_hash`, until the batch checks it.
    author_id: int
    conversation_id: int
    client_id: str
    text: str
    reply_to: int | None = None
    media_ids: tuple[int, ...] = ()
    # The hash of the bearer token of an HTTP send: the batch looks it up in its own
    # transaction (a 401 if unknown, revoked or expired), which saves the request a query of
    # its own and sees a revocation committed before the send.
    token_hash: str | None = None
    article_id: int | None = None  # a public account article shared as a card
    # Filled in by the checks, from the database:
    author: Author | None = None
    withheld: bool = False
    # Screening's verdict (plaza.moderation): None, or "held"/"removed" (only its sender sees it).
    moderation: str | None = None
    pictures: list[MediaRef] = field(default_factory=list)
    card: dict[str, Any] | None = None


@dataclass
class Outcome:
    """The stored message and whether this send created it, or why it was refused."""

    message: dict[str, Any] | None = None
    created: bool = False
    error: PlazaError | None = None


def check_message(text: str, client_id: str, *, max_chars: int, has_pictures: bool = False) -> None:
    check_text(client_id, "client_id", min_length=1, max_length=CLIENT_ID_MAX)
    check_text(text, "text", max_length=max_chars)
    if not text.strip() and not has_pictures:
        raise Invalid("text must not be empty", field="text")


def check_draft(draft: Draft, *, max_chars: int, max_media: int) -> None:
    """Everything about a draft that can be checked without the database, and that would
    otherwise fail a statement of the shared transaction (the edge's own checks, so a draft
    from the stream is held to exactly what the HTTP route holds its body to)."""
    check_id(draft.author_id, "author_id")
    check_id(draft.conversation_id, "conversation_id")
    if draft.reply_to is not None:
        check_id(draft.reply_to, "reply_to")
    if draft.article_id is not None:
        check_id(draft.article_id, "article_id")
    check_message(
        draft.text,
        draft.client_id,
        max_chars=max_chars,
        has_pictures=bool(draft.media_ids) or draft.article_id is not None,
    )
    media.check_list(draft.media_ids, limit=max_media)


async def _check(
    connection: AsyncConnection, draft: Draft, *, max_media: int, now: datetime
) -> None:
    """Check one draft against the database and find out whether it must be withheld (its
    sender is blocked by the other side of a direct chat). Its pictures must be the sender's
    own uploads: someone else's id answers like an unknown one, and fails this draft only."""
    found = (
        await connection.execute(
            statements.MEMBERSHIP, {"cid": draft.conversation_id, "uid": draft.author_id}
        )
    ).first()
    if found is None:
        raise NotFound("no such conversation")
    draft.author = Author(
        draft.author_id, found.username, found.display_name, found.status, found.suspended_until
    )
    require_active(draft.author, now=now)
    if draft.reply_to is not None:
        target = await connection.scalar(statements.REPLY_TARGET, {"id": draft.reply_to})
        if target != draft.conversation_id:
            raise Invalid("reply_to must be a message of this conversation", field="reply_to")
    if draft.media_ids:
        draft.pictures = await media.check_owned(
            connection, owner_id=draft.author_id, media_ids=draft.media_ids, limit=max_media
        )
    if draft.article_id is not None:
        card = await cards.check_shareable(connection, article_id=draft.article_id)
        draft.card = card.as_dict()
    if found.direct_key is not None:
        other = next(int(i) for i in found.direct_key.split(":") if int(i) != draft.author_id)
        ties = (
            await connection.execute(
                statements.DIRECT_TIES, {"uid": draft.author_id, "other": other}
            )
        ).one()
        draft.withheld = bool(ties.blocked)
        if not draft.withheld and not ties.friends:
            # WeChat's rule: a direct chat lasts as long as the friendship. (A block is not
            # said here: the blocked sender's messages look sent, see `withheld`.)
            raise Forbidden(
                "you are no longer friends; send a friend request to talk again",
                code="not_friends",
            )


async def _identify(
    session: AsyncSession, *, clock: Clock, drafts: Sequence[Draft], outcomes: list[Outcome]
) -> None:
    """Fill in the sender of each draft known by its session token, in one query for the
    batch; a draft whose token is unknown, revoked or expired gets a 401."""
    hashes = list({d.token_hash for d in drafts if d.token_hash is not None})
    connection = await session.connection()
    if len(hashes) == 1:
        rows = await connection.execute(statements.SESSION_OWNER, {"hash": hashes[0]})
    else:
        rows = await connection.execute(statements.SESSION_OWNERS, {"hashes": hashes})
    now = clock.now()
    owners = {row.token_hash: int(row.user_id) for row in rows if row.expires_at > now}
    for draft, outcome in zip(drafts, outcomes, strict=True):
        if draft.token_hash is None:
            continue
        owner = owners.get(draft.token_hash)
        if owner is None:
            outcome.error = Unauthorized("sign in first: send Authorization: Bearer <token>")
        else:
            draft.author_id = owner


def _is_outage(exc: BaseException) -> bool:
    """The database itself is failing (not one draft): retrying draft by draft won't help, and
    `SendBatcher._drain` tells every sender of the batch."""
    if database_unavailable(exc):
        return True
    return isinstance(exc, (OperationalError, InterfaceError, OSError, asyncio.TimeoutError))


async def send_many(
    session: AsyncSession,
    *,
    clock: Clock,
    bus: Bus,
    drafts: Sequence[Draft],
    max_chars: int,
    max_media: int,
    limits: ChatLimits | None = None,
    moderation: Moderation | None = None,
) -> list[Outcome]:
    """Store the drafts that pass their checks in one transaction; one outcome per draft.

    With `limits`, the batch's sends are counted against the rate limits in one limiter call
    (one Redis round trip), and those over a limit are refused with `RateLimited`. With
    `moderation`, each message is screened in the transaction that stores it
    (`screening.screen_stored`)."""
    outcomes = [Outcome() for _ in drafts]
    if any(draft.token_hash is not None for draft in drafts):
        await _identify(session, clock=clock, drafts=drafts, outcomes=outcomes)
    pending: list[int] = []
    for index, draft in enumerate(drafts):
        if outcomes[index].error is not None:
            continue
        try:
            check_draft(draft, max_chars=max_chars, max_media=max_media)
        except PlazaError as exc:
            outcomes[index].error = exc
        else:
            pending.append(index)
    if pending and limits is not None:
        refusals = await limits.check_sends(
            [(drafts[i].author_id, drafts[i].conversation_id) for i in pending]
        )
        for index, refusal in zip(pending, refusals, strict=True):
            outcomes[index].error = refusal
        pending = [i for i, refusal in zip(pending, refusals, strict=True) if refusal is None]
    if pending:
        await _send_checked(
            session,
            clock=clock,
            bus=bus,
            drafts=drafts,
            indexes=pending,
            outcomes=outcomes,
            max_media=max_media,
            moderation=moderation,
        )
    return outcomes


async def _send_checked(
    session: AsyncSession,
    *,
    clock: Clock,
    bus: Bus,
    drafts: Sequence[Draft],
    indexes: list[int],
    outcomes: list[Outcome],
    max_media: int,
    moderation: Moderation | None,
) -> None:
    """One transaction for the drafts at `indexes`; on a database error, roll back and split
    the batch until the failing draft is alone, so the others are stored regardless."""
    try:
        stored, verdicts = await _transaction(
            session,
            clock=clock,
            drafts=drafts,
            indexes=indexes,
            outcomes=outcomes,
            max_media=max_media,
            moderation=moderation,
        )
    except Exception as exc:
        await session.rollback()
        if _is_outage(exc):
            raise
        for index in indexes:
            outcomes[index] = Outcome()
        if len(indexes) > 1:
            middle = len(indexes) // 2
            for half in (indexes[:middle], indexes[middle:]):
                await _send_checked(
                    session,
                    clock=clock,
                    bus=bus,
                    drafts=drafts,
                    indexes=half,
                    outcomes=outcomes,
                    max_media=max_media,
                    moderation=moderation,
                )
            return
        [index] = indexes
        if isinstance(exc, IntegrityError):
            # The client_id was used before: a retry, answered with its first message.
            outcomes[index] = await _first_of(session, drafts[index])
        elif isinstance(exc, (DBAPIError, ValueError, OverflowError)):
            outcomes[index] = Outcome(error=Invalid("this message cannot be stored"))
        else:
            raise
        return
    for index, message, rev in stored:
        outcomes[index] = Outcome(
            message=await _announce(bus, message, drafts[index], rev), created=True
        )
    for verdict in verdicts:  # what screening's enforcement announces, after the messages
        await verdict.announce()


async def _transaction(
    session: AsyncSession,
    *,
    clock: Clock,
    drafts: Sequence[Draft],
    indexes: list[int],
    outcomes: list[Outcome],
    max_media: int,
    moderation: Moderation | None,
) -> tuple[list[tuple[int, NewMessage, int]], list[Verdict]]:
    """Check against the database, number and store the drafts at `indexes`, screen them,
    commit; a draft refused by its checks gets its error in `outcomes` and the others go on.
    Returns the stored messages and the verdicts that have work for after the commit."""
    connection = await session.connection()
    now = clock.now()
    accepted: dict[int, list[int]] = defaultdict(list)  # conversation -> draft indexes
    for index in indexes:
        draft = drafts[index]
        try:
            await _check(connection, draft, max_media=max_media, now=now)
        except PlazaError as exc:
            outcomes[index].error = exc
        else:
            accepted[draft.conversation_id].append(index)
    if not accepted:
        await session.rollback()
        return [], []
    stored: list[tuple[int, NewMessage, int]] = []  # (draft index, message, rev)
    for conversation_id, group in accepted.items():
        stored += await _store(connection, conversation_id, [drafts[i] for i in group], group, now)
    verdicts: list[Verdict] = []
    if moderation is not None:
        stored, verdicts = await screen_stored(connection, moderation, drafts, stored)
    await session.commit()
    return stored, verdicts


async def _store(
    connection: AsyncConnection,
    conversation_id: int,
    drafts: list[Draft],
    indexes: list[int],
    now: datetime,
) -> list[tuple[int, NewMessage, int]]:
    # Withheld messages alone do not move the conversation's activity time (see `Member`).
    bump = (
        statements.BUMP_MESSAGES_QUIET
        if all(d.withheld for d in drafts)
        else statements.BUMP_MESSAGES
    )
    last_seq, last_rev = (
        await connection.execute(bump, {"cid": conversation_id, "now": now, "k": len(drafts)})
    ).one()
    first_seq, first_rev = last_seq - len(drafts) + 1, last_rev - len(drafts) + 1
    rows = [
        {
            "conversation_id": conversation_id,
            "seq": first_seq + n,
            "sender_id": draft.author_id,
            "client_id": draft.client_id,
            "text": draft.text,
            "reply_to_id": draft.reply_to,
            "created_at": now,
            "recalled_at": None,
            "withheld": draft.withheld,
            "moderation": None,  # screened once stored (`screening.screen_stored`)
        }
        for n, draft in enumerate(drafts)
    ]
    ids = (await connection.execute(statements.INSERT_MESSAGES, rows)).scalars().all()
    messages = [NewMessage(id=i, **row) for i, row in zip(ids, rows, strict=True)]
    await connection.execute(
        statements.INSERT_EVENT,
        [
            {
                "conversation_id": conversation_id,
                "rev": first_rev + n,
                "type": "message.new",
                "message_id": m.id,
                "payload": None,
                "seq": m.seq,
                "created_at": now,
            }
            for n, m in enumerate(messages)
        ],
    )
    await media.record_uses(
        connection,
        surface="message",
        uses=[(m.id, d.media_ids) for m, d in zip(messages, drafts, strict=True) if d.media_ids],
    )
    await cards.record_shares(
        connection,
        surface="message",
        shares=[
            (m.id, d.article_id) for m, d in zip(messages, drafts, strict=True) if d.article_id
        ],
    )
    read_to = {m.sender_id: m.seq for m in messages}  # the last one of each sender
    await connection.execute(
        statements.MARK_SENDER_READ,
        [
            {"cid": conversation_id, "uid": uid, "seq": seq, "now": now}
            for uid, seq in read_to.items()
        ],
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
    assert draft.author is not None  # set by check_draft before anything is stored
    [message] = await events.messages_json(
        session, [(first, draft.author)], viewer_id=draft.author_id
    )
    return Outcome(message=message, created=False)


async def _announce(bus: Bus, message: NewMessage, draft: Draft, rev: int) -> dict[str, Any]:
    """Publish the message on its conversation's topic. A withheld one, and one screening
    held or removed, goes to the sender's devices only (marked); every other follower just
    moves past its revision, seeing nothing."""
    assert draft.author is not None  # set by check_draft before anything is stored
    event = events.message_event(message, draft.author, rev, draft.pictures, draft.card)
    private = draft.withheld or draft.moderation is not None
    visible_to = [draft.author_id] if private else None
    await events.publish(bus, message.conversation_id, event, rev=rev, visible_to=visible_to)
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
    media_ids: Sequence[int] = (),
    max_media: int = 0,
    limits: ChatLimits | None = None,
    moderation: Moderation | None = None,
) -> tuple[dict[str, Any], bool]:
    """Store one message and announce it; returns (message JSON, created).

    Returns only after commit. A repeated `client_id` returns the first message unchanged, so a
    client may retry a send whose answer it never got.
    """
    draft = Draft(sender.id, conversation_id, client_id, text, reply_to, tuple(media_ids))
    [outcome] = await send_many(
        session,
        clock=clock,
        bus=bus,
        drafts=[draft],
        max_chars=max_chars,
        max_media=max_media,
        limits=limits,
        moderation=moderation,
    )
    if outcome.error is not None:
        raise outcome.error
    assert outcome.message is not None
    return outcome.message, outcome.created
