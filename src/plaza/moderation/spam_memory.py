"""What one node remembers for the spam checks: who sent how much lately, the recent texts
(for near-duplicates across accounts), and how old each author's account is.

The spam detectors are pure (`detectors/spam.py`): they judge a context. This is where the
context comes from, without a database round trip per message: counts and texts live in
memory, bounded, and the account ages are cached (they never change). With several nodes
each sees the part of the traffic it serves; a sender spread across nodes is counted per
node (chat's per-person send limit, in Redis, still bounds them overall).
"""

from __future__ import annotations

from collections import OrderedDict, deque
from datetime import datetime

from plaza.moderation.detectors.near_duplicates import DuplicateIndex


class _Window:
    """One author's amounts in the window, oldest first, and their running sum."""

    __slots__ = ("entries", "total")

    def __init__(self) -> None:
        self.entries: deque[tuple[float, int]] = deque()
        self.total = 0


class WindowCounter:
    """A sum per author over a sliding window (sends, strangers written to), for at most
    `max_authors` recent authors. The sum is kept as entries come and go, so an add costs
    the same however much the author sent (a flood must not make each send dearer)."""

    def __init__(self, *, window_seconds: float, max_authors: int = 50_000) -> None:
        self.window_seconds = window_seconds
        self._max_authors = max_authors
        self._counts: OrderedDict[int, _Window] = OrderedDict()

    def add(self, author_id: int, at: float, amount: int = 1) -> int:
        """Add `amount` at `at` (seconds); the author's sum over the window, this included."""
        window = self._counts.pop(author_id, None) or _Window()
        if amount:
            window.entries.append((at, amount))
            window.total += amount
        while window.entries and window.entries[0][0] <= at - self.window_seconds:
            _, gone = window.entries.popleft()
            window.total -= gone
        self._counts[author_id] = window
        if len(self._counts) > self._max_authors:
            self._counts.popitem(last=False)
        return window.total

    def peek(self, author_id: int, at: float) -> int:
        """The author's sum over the window ending at `at`, changing nothing (the
        pre-publication check asks what a send would meet without being one)."""
        window = self._counts.get(author_id)
        if window is None:
            return 0
        return sum(amount for when, amount in window.entries if when > at - self.window_seconds)


class AccountAges:
    """user id -> when the account was made, for the most recent `size` authors."""

    def __init__(self, size: int = 100_000) -> None:
        self._size = size
        self._known: OrderedDict[int, datetime] = OrderedDict()

    def get(self, user_id: int) -> datetime | None:
        created = self._known.get(user_id)
        if created is not None:
            self._known.move_to_end(user_id)
        return created

    def put(self, user_id: int, created: datetime) -> None:
        self._known[user_id] = created
        if len(self._known) > self._size:
            self._known.popitem(last=False)


class SpamMemory:
    def __init__(self, *, window_seconds: float, texts_remembered: int) -> None:
        self.sends = WindowCounter(window_seconds=window_seconds)
        self.strangers = WindowCounter(window_seconds=window_seconds)
        self.ages = AccountAges()
        self.duplicates = DuplicateIndex(capacity=texts_remembered)
