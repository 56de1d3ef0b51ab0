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

from plaza.moderation.detectors.spam import DuplicateIndex


class WindowCounter:
    """A sum per author over a sliding window (sends, strangers written to), for at most
    `max_authors` recent authors."""

    def __init__(self, *, window_seconds: float, max_authors: int = 50_000) -> None:
        self.window_seconds = window_seconds
        self._max_authors = max_authors
        self._counts: OrderedDict[int, deque[tuple[float, int]]] = OrderedDict()

    def add(self, author_id: int, at: float, amount: int = 1) -> int:
        """Add `amount` at `at` (seconds); the author's sum over the window, this included."""
        counts = self._counts.pop(author_id, None) or deque()
        if amount:
            counts.append((at, amount))
        while counts and counts[0][0] <= at - self.window_seconds:
            counts.popleft()
        self._counts[author_id] = counts
        if len(self._counts) > self._max_authors:
            self._counts.popitem(last=False)
        return sum(n for _, n in counts)


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
