"""The operators' lists: keywords (with exceptions) and PDQ picture hashes, per policy and
clause.

Moderators add and remove entries one at a time through the API; operators import whole
files from the command line (`plaza moderation keywords|hashes import`). An import is one
transaction: a bad line refuses the file (the parser names the line) and nothing of it is
written; entries already listed, and repeats within the file, are skipped and counted.
Every change is audited in its own transaction; after the commit this node's compiled lists
are dropped and every other node is told on the bus (`plaza.moderation.list_cache`), so the
change acts on the next write anywhere.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from plaza.clock import Clock
from plaza.errors import Conflict, Invalid, NotFound
from plaza.moderation.detectors.images import hash_problem, parse_hash_file
from plaza.moderation.detectors.keywords import parse_term_file, term_problem
from plaza.moderation.detectors.listfiles import list_lines
from plaza.moderation.list_cache import ListCache
from plaza.moderation.models import ModerationHash, ModerationTerm
from plaza.moderation.service import audit, citing
from plaza.moderation.setup import Moderation
from plaza.pagination import newest_first

# Rows looked up or inserted per statement (under every driver's parameter limit).
CHUNK = 1000

E = TypeVar("E", ModerationTerm, ModerationHash)


@dataclass(frozen=True)
class ListKind(Generic[E]):
    """What tells the two lists apart; everything else is shared."""

    name: str  # "terms" | "hashes": audit verbs, messages
    noun: str  # "term" | "hash": the field, the audit target
    model: type[E]
    detector: str  # whose clause an import files its entries under by default
    problem: Callable[[str], str | None]
    parse: Callable[[str | bytes], list[str]]
    canonical: Callable[[str], str]

    @property
    def column(self) -> ColumnElement[str]:
        column: ColumnElement[str] = getattr(self.model, self.noun)
        return column


TERMS: ListKind[ModerationTerm] = ListKind(
    "terms", "term", ModerationTerm, "keywords", term_problem, parse_term_file, str.strip
)
HASHES: ListKind[ModerationHash] = ListKind(
    "hashes",
    "hash",
    ModerationHash,
    "image.hash",
    hash_problem,
    parse_hash_file,
    lambda value: value.strip().lower(),
)


@dataclass(frozen=True)
class Imported:
    clause: int  # what the entries were filed under
    added: int
    skipped: int  # already listed, or repeated in the file


async def page(
    session: AsyncSession,
    kind: ListKind[E],
    *,
    moderation: Moderation,
    policy_id: str | None,
    cursor: str | None,
    limit: int,
) -> tuple[Sequence[E], str | None]:
    """The newest entries first, of one policy or all."""
    statement = select(kind.model)
    if policy_id is not None:
        statement = statement.where(kind.model.policy_id == citing.policy(moderation, policy_id).id)
    return await newest_first(session, statement, kind.model.id, cursor=cursor, limit=limit)


def _value(kind: ListKind[E], raw: str) -> str:
    value = kind.canonical(raw)
    bad = next((ch for ch in value if unicodedata.category(ch) in ("Cc", "Cs")), None)
    problem = kind.problem(value) or (
        f"control character U+{ord(bad):04X}" if bad is not None else None
    )
    if problem:
        raise Invalid(f"{kind.noun}: {problem}", field=kind.noun)
    return value


def _fields(kind: ListKind[E], value: str, exception: bool) -> dict[str, Any]:
    fields: dict[str, Any] = {kind.noun: value}
    if kind is TERMS:
        fields["exception"] = exception
    return fields


async def add(
    session: AsyncSession,
    kind: ListKind[E],
    *,
    moderation: Moderation,
    clock: Clock,
    actor_id: int | None,
    policy_id: str,
    clause: int,
    value: str,
    exception: bool = False,
) -> E:
    """List one entry (409 `already_listed` when the policy lists it already); `actor_id`
    None: the operator's."""
    cited = citing.policy(moderation, policy_id)
    number = citing.clause(cited, clause)
    value = _value(kind, value)
    fields = _fields(kind, value, exception)
    row = kind.model(
        policy_id=cited.id, clause=number, added_by=actor_id, created_at=clock.now(), **fields
    )
    try:
        async with session.begin_nested():
            session.add(row)
            await session.flush()
    except IntegrityError:
        raise Conflict(
            f"policy {cited.id!r} lists this {kind.noun} already", code="already_listed"
        ) from None
    audit.record(
        session,
        clock=clock,
        actor_id=actor_id,
        verb=f"{kind.name}.add",
        target=f"{kind.noun}:{row.id}",
        details={"policy_id": cited.id, "clause": number, **fields},
    )
    await session.commit()
    await _changed(moderation)
    return row


async def remove(
    session: AsyncSession,
    kind: ListKind[E],
    *,
    moderation: Moderation,
    clock: Clock,
    actor_id: int,
    entry_id: int,
) -> None:
    row = await session.get(kind.model, entry_id)
    if row is None:
        raise NotFound(f"no such {kind.noun}")
    details = {"policy_id": row.policy_id, "clause": row.clause, kind.noun: getattr(row, kind.noun)}
    if isinstance(row, ModerationTerm):
        details["exception"] = row.exception
    await session.delete(row)
    audit.record(
        session,
        clock=clock,
        actor_id=actor_id,
        verb=f"{kind.name}.remove",
        target=f"{kind.noun}:{entry_id}",
        details=details,
    )
    await session.commit()
    await _changed(moderation)


async def import_file(
    session: AsyncSession,
    kind: ListKind[E],
    *,
    moderation: Moderation,
    clock: Clock,
    data: str | bytes,
    policy_id: str,
    clause: int | None = None,
    exception: bool = False,
    source: str = "",
    total: Callable[[int], None] | None = None,
    progress: Callable[[int], None] | None = None,
) -> Imported:
    """Import a list file, all of it or nothing (the parser's `ListFileError` names a bad
    line before anything is written). `clause` defaults to the one the policy files this
    detector's signals under. `total(n)` is told how many entries the file holds once it is
    parsed, and `progress(n)` as each chunk of n of them is written.
    Audited as the operator's (no actor)."""
    cited = citing.policy(moderation, policy_id)
    number = citing.clause(cited, clause if clause is not None else cited.clause_for(kind.detector))
    values = kind.parse(data)
    repeats = sum(1 for _ in list_lines(data)) - len(values)
    if total is not None:
        total(len(values))
    filed = {"policy_id": cited.id, "clause": number, "created_at": clock.now()}
    added = 0
    for start in range(0, len(values), CHUNK):
        chunk = values[start : start + CHUNK]
        listed = await session.scalars(
            select(kind.column).where(
                kind.model.policy_id == cited.id,
                kind.column.in_(chunk),
                *([ModerationTerm.exception == exception] if kind is TERMS else []),
            )
        )
        known = set(listed)
        fresh = [{**filed, **_fields(kind, v, exception)} for v in chunk if v not in known]
        if fresh:
            await session.execute(insert(kind.model), fresh)
        added += len(fresh)
        if progress is not None:
            progress(len(chunk))
    skipped = len(values) - added + repeats
    audit.record(
        session,
        clock=clock,
        actor_id=None,
        verb=f"{kind.name}.import",
        target=f"policy:{cited.id}",
        details={
            "clause": number,
            "added": added,
            "skipped": skipped,
            "source": source,
            **({"exception": exception} if kind is TERMS else {}),
        },
    )
    await session.commit()
    await _changed(moderation)
    return Imported(clause=number, added=added, skipped=skipped)


async def _changed(moderation: Moderation) -> None:
    """After the commit: recompile here before the next screening, and tell the others."""
    moderation.lists.invalidate()
    await ListCache.announce(moderation.runtime.bus)
