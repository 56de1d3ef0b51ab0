"""The audit log's hash chain: each entry stores the previous entry's hash and its own SHA-256
over a canonical encoding of its fields, so an edited or deleted row breaks the chain at that
point (`plaza audit verify` walks it).

Sealing happens when the session that recorded the entries commits (a `before_commit`
listener; `seal` for a session joined to a connection that someone else commits), not when
`audit.record` is called: the entries are inserted there, under a lock,
so ids grow in commit order and two transactions never hash onto the same predecessor. On
PostgreSQL the lock is a transaction-scoped advisory lock, held only from the seal to the
commit; on SQLite the insert itself takes the database's single write lock before the
previous hash is read. An entry costs one INSERT and one UPDATE (its id is part of its hash).

Entries written before the chain existed (no hash) may open the log; they are reported as
unchained and skipped.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from hashlib import sha256
from typing import Any, Protocol

from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

from plaza.moderation.models import AuditEntry

# session.info key: the entries recorded in this session's transaction, not yet sealed.
_PENDING = "plaza.audit.pending"
# pg_advisory_xact_lock key serializing appends to the chain ("plaza aud").
CHAIN_LOCK = 0x706C617A61_617564
VERIFY_BATCH = 1000


class Hashed(Protocol):
    """What a hash covers: an entry, or a row of its columns."""

    @property
    def id(self) -> int: ...
    @property
    def prev_hash(self) -> str | None: ...
    @property
    def actor_id(self) -> int | None: ...
    @property
    def verb(self) -> str: ...
    @property
    def target(self) -> str: ...
    @property
    def details(self) -> dict[str, Any]: ...
    @property
    def created_at(self) -> datetime: ...


def digest(entry: Hashed) -> str:
    """SHA-256 of (prev_hash, id, actor_id, verb, target, details, created_at) as compact JSON
    with sorted keys. The details go through JSON once first, so what is hashed at the seal
    is exactly what the database gives back later (integer keys become strings, tuples
    lists)."""
    details = json.loads(json.dumps(entry.details))
    fields = [
        entry.prev_hash,
        entry.id,
        entry.actor_id,
        entry.verb,
        entry.target,
        details,
        entry.created_at.astimezone(UTC).isoformat(),
    ]
    encoded = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return sha256(encoded.encode("utf-8")).hexdigest()


def append(session: AsyncSession, entry: AuditEntry) -> None:
    """Queue `entry` to be chained and inserted when the session's transaction commits; a
    rollback drops it with everything else."""
    if not session.in_transaction():
        # So that a rollback before any statement still ends a transaction, and drops it.
        # Begins without I/O (the connection is taken at the first statement).
        session.sync_session.begin()
    session.info.setdefault(_PENDING, []).append(entry)


async def seal(session: AsyncSession) -> None:
    """Chain and insert the entries recorded so far, now: for a session that never commits
    itself (one joined to a connection whose owner commits). The chain stays locked until
    that transaction ends."""
    await session.run_sync(_seal)
    await session.flush()  # the hashes: a commit would flush them, this session never does


@event.listens_for(Session, "before_commit")
def _seal(session: Session) -> None:
    pending: list[AuditEntry] = session.info.pop(_PENDING, [])
    if not pending:
        return
    if session.connection().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(CHAIN_LOCK)))
    session.add_all(pending)
    session.flush()
    first = min(entry.id for entry in pending)
    previous = session.scalar(
        select(AuditEntry.hash).where(AuditEntry.id < first).order_by(AuditEntry.id.desc()).limit(1)
    )
    for entry in sorted(pending, key=lambda e: e.id):
        entry.prev_hash = previous
        entry.hash = previous = digest(entry)


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_PENDING, None)


@dataclass(frozen=True)
class Break:
    """Where the chain fails: the first entry that does not check out, and why."""

    entry_id: int
    verb: str
    created_at: datetime
    reason: str


@dataclass(frozen=True)
class Verdict:
    entries: int  # all entries read, unchained ones included
    unchained: int  # entries from before the chain, at its start
    broken: Break | None


async def verify(
    session: AsyncSession,
    *,
    total: Callable[[int], None] = lambda count: None,
    progress: Callable[[int], None] = lambda count: None,
) -> Verdict:
    """Walk the log in id order, a batch at a time (memory stays flat however long it is),
    stopping at the first entry whose hash does not match its fields or whose prev_hash is
    not its predecessor's hash."""
    total(await session.scalar(select(func.count()).select_from(AuditEntry)) or 0)
    columns = (
        AuditEntry.id,
        AuditEntry.prev_hash,
        AuditEntry.hash,
        AuditEntry.actor_id,
        AuditEntry.verb,
        AuditEntry.target,
        AuditEntry.details,
        AuditEntry.created_at,
    )
    seen = unchained = 0
    chained = False
    previous_id: int | None = None
    previous_hash: str | None = None
    after = 0
    while True:
        rows = (
            await session.execute(
                select(*columns)
                .where(AuditEntry.id > after)
                .order_by(AuditEntry.id)
                .limit(VERIFY_BATCH)
            )
        ).all()
        if not rows:
            return Verdict(seen, unchained, None)
        for row in rows:
            seen += 1
            reason = _fault(row, chained, previous_id, previous_hash)
            if reason is not None:
                return Verdict(seen, unchained, Break(row.id, row.verb, row.created_at, reason))
            if row.hash is None:
                unchained += 1
            chained = chained or row.hash is not None
            previous_id, previous_hash = row.id, row.hash
        progress(len(rows))
        after = rows[-1].id


def _fault(
    row: Any, chained: bool, previous_id: int | None, previous_hash: str | None
) -> str | None:
    """Why `row` breaks the chain, or None."""
    if row.hash is None:
        if not chained:
            return None  # written before the chain existed
        return "it has no hash although entries before it do (written outside the chain)"
    if row.prev_hash != previous_hash:
        before = f"entry {previous_id}" if previous_id is not None else "the start of the log"
        return (
            f"its prev_hash does not link to {before} (an entry between them was deleted, "
            "or that entry was changed)"
        )
    if digest(row) != row.hash:
        return "its hash does not match its contents (it was changed after it was written)"
    return None
