"""The operator's keyword and hash lists, compiled once and kept current on every node.

Screening runs on every write, so it must not read the lists from the database each time:
each node holds them compiled (an Aho-Corasick automaton, a hash matrix). A change made
through the API on this node invalidates them at once; other nodes hear of it on the bus
(`moderation.lists`); and a change made behind the server's back (`plaza moderation keywords
import` is another process, and the in-process bus does not cross processes) is noticed by
a fingerprint of the tables, read at most once per PLAZA_MODERATION_LISTS_CHECK_SECONDS.
A term added any of these ways acts on the next write.
"""

from __future__ import annotations

import asyncio
import time

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from plaza.bus import Bus
from plaza.moderation.detectors.images import HashEntry, HashList
from plaza.moderation.detectors.keywords import KeywordEntry, KeywordMatcher
from plaza.moderation.models import ModerationHash, ModerationTerm

TOPIC = "moderation.lists"
Executor = AsyncSession | AsyncConnection
Fingerprint = tuple[int, int, int, int]


class ListCache:
    """The compiled lists of one node."""

    def __init__(self, *, check_seconds: float) -> None:
        self._check_seconds = check_seconds
        self._matcher: KeywordMatcher | None = None
        self._hashes: HashList | None = None
        self._fingerprint: Fingerprint | None = None
        self._checked_at = float("-inf")
        self._lock = asyncio.Lock()

    def invalidate(self) -> None:
        """Recompile before the next screening (a list changed)."""
        self._fingerprint = None
        self._checked_at = float("-inf")

    async def subscribe(self, bus: Bus) -> None:
        await bus.subscribe(TOPIC, lambda _topic, _payload: self.invalidate())

    @staticmethod
    async def announce(bus: Bus) -> None:
        """Tell every node a list changed; call after the change committed."""
        await bus.publish(TOPIC, b"changed")

    async def matcher(self, executor: Executor) -> KeywordMatcher:
        await self._refresh(executor)
        assert self._matcher is not None
        return self._matcher

    async def hash_list(self, executor: Executor) -> HashList:
        await self._refresh(executor)
        assert self._hashes is not None
        return self._hashes

    async def _refresh(self, executor: Executor) -> None:
        if time.monotonic() - self._checked_at < self._check_seconds:
            return
        async with self._lock:
            if time.monotonic() - self._checked_at < self._check_seconds:
                return
            fingerprint = await _fingerprint(executor)
            if fingerprint != self._fingerprint:
                await self._load(executor)
                self._fingerprint = fingerprint
            self._checked_at = time.monotonic()

    async def _load(self, executor: Executor) -> None:
        terms = await executor.execute(
            select(
                ModerationTerm.policy_id,
                ModerationTerm.clause,
                ModerationTerm.term,
                ModerationTerm.exception,
            )
        )
        hashes = await executor.execute(
            select(ModerationHash.policy_id, ModerationHash.clause, ModerationHash.hash)
        )
        self._matcher = KeywordMatcher.build(
            KeywordEntry(policy_id=p, clause=c, term=t, exception=e) for p, c, t, e in terms
        )
        self._hashes = HashList.build(
            HashEntry(policy_id=p, clause=c, hash_hex=h) for p, c, h in hashes
        )


async def _fingerprint(executor: Executor) -> Fingerprint:
    """Changes whenever a row is added or removed: ids only grow, so a removal lowers the sum
    and an addition raises it (and the count)."""
    terms = (
        await executor.execute(select(func.count(), func.coalesce(func.sum(ModerationTerm.id), 0)))
    ).one()
    hashes = (
        await executor.execute(select(func.count(), func.coalesce(func.sum(ModerationHash.id), 0)))
    ).one()
    return (int(terms[0]), int(terms[1]), int(hashes[0]), int(hashes[1]))
