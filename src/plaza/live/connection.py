"""One live WebSocket connection as an explicit state machine.

    AWAITING_RESUME --resume frame or timeout--> LIVE --close/slow/error--> CLOSED

Every event of a sequenced topic carries a revision. The connection remembers the last revision
it sent per topic, so a duplicate (rev <= last) is dropped and a gap (rev > last + 1, e.g. a
bus message lost while Redis restarted) triggers a replay of the missing range from the
database; live events of that topic are held meanwhile and released in order afterwards.
Outgoing text waits in a bounded queue; a consumer that lets it fill up is disconnected and
will resume on reconnect.
"""

from __future__ import annotations

import asyncio
import enum
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

SLOW_CONSUMER_CLOSE = 4008
Replayer = Callable[["Connection", str, int], Awaitable[None]]


class State(enum.Enum):
    AWAITING_RESUME = "awaiting_resume"
    LIVE = "live"
    CLOSED = "closed"


class Connection:
    def __init__(
        self,
        *,
        user_id: int,
        send: Callable[[dict[str, Any]], Awaitable[None]],
        buffer_limit: int,
        replayer: Replayer,
    ) -> None:
        self.user_id = user_id
        self.state = State.AWAITING_RESUME
        self.positions: dict[str, int] = {}
        self.close_code: int | None = None
        self._send = send
        self._limit = buffer_limit
        self._replayer = replayer
        self._queue: deque[str] = deque()
        self._wakeup = asyncio.Event()
        self._room = asyncio.Event()
        self._held: dict[str, list[tuple[int, str]]] = {}
        self._pending: list[tuple[str, int | None, str]] = []
        self._tasks: set[asyncio.Task] = set()
        # Topics to check against the database once the connection goes live.
        self._stale: set[str] = set()
        self._writer: asyncio.Task | None = None

    # -- incoming events ------------------------------------------------------------------------

    def deliver(self, topic: str, rev: int | None, text: str) -> None:
        """Take one event from the hub; never blocks."""
        if self.state is State.CLOSED:
            return
        if self.state is State.AWAITING_RESUME:
            self._pending.append((topic, rev, text))
            self._check_bound(len(self._pending))
            return
        if rev is None:
            self._enqueue(text)
            return
        held = self._held.get(topic)
        if held is not None:
            held.append((rev, text))
            self._check_bound(len(held))
            return
        last = self.positions.get(topic)
        if last is None or rev == last + 1:
            self.positions[topic] = rev
            self._enqueue(text)
        elif rev > last + 1:
            self._held[topic] = [(rev, text)]
            self._spawn(self._replay(topic, last))
        # rev <= last: already sent (replay and live overlapped); drop it.

    def follow(self, topic: str, rev: int) -> None:
        """Start following `topic` from revision `rev` (events after it will be sent)."""
        self.positions.setdefault(topic, rev)

    def unfollow(self, topic: str) -> None:
        self.positions.pop(topic, None)
        self._held.pop(topic, None)

    def catch_up(self, topic: str) -> None:
        """Check the database for events of `topic` that the bus may have lost."""
        if topic not in self.positions or topic in self._held:
            return
        if self.state is State.AWAITING_RESUME:
            self._stale.add(topic)
        elif self.state is State.LIVE:
            self._held[topic] = []
            self._spawn(self._replay(topic, self.positions[topic]))

    # -- resume ---------------------------------------------------------------------------------

    def resume(self, client_positions: dict[str, int]) -> None:
        """Go live, first replaying what the client missed since the revisions it names."""
        if self.state is not State.AWAITING_RESUME:
            return
        self.state = State.LIVE
        for topic, seen in client_positions.items():
            current = self.positions.get(topic)
            if current is not None and seen < current:
                self.positions[topic] = seen
                self._held[topic] = []
                self._spawn(self._replay(topic, seen))
        pending, self._pending = self._pending, []
        for topic, rev, text in pending:
            self.deliver(topic, rev, text)
        stale, self._stale = self._stale, set()
        for topic in stale:
            self.catch_up(topic)

    async def _replay(self, topic: str, after: int) -> None:
        try:
            await self._replayer(self, topic, after)
        finally:
            held = self._held.pop(topic, [])
        if self.state is State.CLOSED or topic not in self.positions:
            return
        for rev, text in sorted(held, key=lambda item: item[0]):
            self.deliver(topic, rev, text)

    def replayed(self, topic: str, rev: int, text: str) -> None:
        """Send one event fetched from the database during a replay."""
        if rev > self.positions.get(topic, -1):
            self.positions[topic] = rev
            self._enqueue(text)

    async def wait_for_room(self) -> None:
        """Pace a long replay to the client's speed instead of overflowing the queue: wait
        while the queue is more than half full."""
        while len(self._queue) > self._limit // 2 and self.state is not State.CLOSED:
            self._room.clear()
            await self._room.wait()

    def reset(self, topic: str, head: int, text: str) -> None:
        """Too much was missed: tell the client to reload, then continue from `head`."""
        self.positions[topic] = head
        self._enqueue(text)

    # -- outgoing -------------------------------------------------------------------------------

    def send_now(self, text: str) -> None:
        """Queue an event regardless of state (e.g. `ready`, `pong`)."""
        self._enqueue(text)

    def _enqueue(self, text: str) -> None:
        self._queue.append(text)
        self._wakeup.set()
        self._check_bound(len(self._queue))

    def _check_bound(self, size: int) -> None:
        if size > self._limit and self.state is not State.CLOSED:
            self.close(SLOW_CONSUMER_CLOSE)

    def close(self, code: int = 1000) -> None:
        if self.state is State.CLOSED:
            return
        self.state = State.CLOSED
        self.close_code = code
        self._queue.clear()
        self._wakeup.set()
        self._room.set()
        # A writer stuck in a send to a client that stopped reading would never notice.
        if self._writer is not None and self._writer is not asyncio.current_task():
            self._writer.cancel()

    async def run_writer(self) -> None:
        """Drain the queue to the socket until the connection closes."""
        self._writer = asyncio.current_task()
        while self.state is not State.CLOSED:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._queue and self.state is not State.CLOSED:
                await self._send({"type": "websocket.send", "text": self._queue.popleft()})
                if len(self._queue) <= self._limit // 2:
                    self._room.set()

    def _spawn(self, coro: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def cancel_tasks(self) -> None:
        for task in list(self._tasks):
            task.cancel()
