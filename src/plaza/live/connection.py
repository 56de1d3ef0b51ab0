"""One live WebSocket connection as an explicit state machine.

    AWAITING_RESUME --resume frame or timeout--> LIVE --close/slow/error--> CLOSED

Every event of a sequenced topic carries a revision. The connection remembers the last revision
it sent per topic (or skipped: an event this person may not see, see `skip`), so a duplicate
(rev <= last) is dropped and a gap (rev > last + 1, e.g. a bus message lost while Redis
restarted) triggers a replay of the missing range from the database; live events of that topic
are held meanwhile and released in order afterwards.
Outgoing frames wait in a bounded queue; a consumer that lets it fill up is disconnected and
will resume on reconnect. When the socket offers the direct path (plaza.live.direct) and
nothing is queued, a frame is written at once, without waking the writer task.
"""

from __future__ import annotations

import asyncio
import enum
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from plaza.live.direct import DirectWebSocketProtocol
from plaza.live.frames import Flusher, Frame

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
        session_id: int = 0,
        expires_at: datetime | None = None,
        buffer_limit: int,
        replayer: Replayer,
        direct: DirectWebSocketProtocol | None = None,
        flusher: Flusher | None = None,
    ) -> None:
        self.user_id = user_id
        # The log-in session the socket was opened with; it closes when that session ends.
        self.session_id = session_id
        self.expires_at = expires_at
        self.state = State.AWAITING_RESUME
        self.positions: dict[str, int] = {}
        self.close_code: int | None = None
        self.close_reason = ""
        self._send = send
        self._limit = buffer_limit
        self._replayer = replayer
        self._direct = direct
        self._flusher = flusher or Flusher()
        self._queue: deque[Frame] = deque()
        self._outbox: list[Frame] = []
        self._wakeup = asyncio.Event()
        self._room = asyncio.Event()
        # A None frame stands for a skipped revision (see `skip`).
        self._held: dict[str, list[tuple[int, Frame | None]]] = {}
        self._pending: list[tuple[str, int | None, Frame | None]] = []
        self._tasks: set[asyncio.Task] = set()
        # Topics to check against the database once the connection goes live.
        self._stale: set[str] = set()
        self._writer: asyncio.Task | None = None

    # -- incoming events ------------------------------------------------------------------------

    def deliver(self, topic: str, rev: int | None, frame: Frame | None) -> None:
        """Take one event from the hub; never blocks. A None frame (revisioned events only)
        moves the position past `rev` without sending anything."""
        if self.state is State.CLOSED:
            return
        if self.state is State.AWAITING_RESUME:
            self._pending.append((topic, rev, frame))
            self._check_bound(len(self._pending))
            return
        if rev is None:
            if frame is not None:
                self._enqueue(frame)
            return
        held = self._held.get(topic)
        if held is not None:
            held.append((rev, frame))
            self._check_bound(len(held))
            return
        last = self.positions.get(topic)
        if last is None or rev == last + 1:
            self.positions[topic] = rev
            if frame is not None:
                self._enqueue(frame)
        elif rev > last + 1:
            self._held[topic] = [(rev, frame)]
            self._spawn(self._replay(topic, last))
        # rev <= last: already sent (replay and live overlapped); drop it.

    def skip(self, topic: str, rev: int) -> None:
        """An event at `rev` that this person may not see: keep the order and gap repair as for
        any event, but send nothing."""
        self.deliver(topic, rev, None)

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
        for topic, rev, frame in pending:
            self.deliver(topic, rev, frame)
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
        for rev, frame in sorted(held, key=lambda item: item[0]):
            self.deliver(topic, rev, frame)

    def replayed(self, topic: str, rev: int, text: str) -> None:
        """Send one event fetched from the database during a replay."""
        if rev > self.positions.get(topic, -1):
            self.positions[topic] = rev
            self._enqueue(Frame(text.encode()))

    def skip_replayed(self, topic: str, rev: int) -> None:
        """A replayed event this person may not see: move past it, send nothing."""
        if rev > self.positions.get(topic, -1):
            self.positions[topic] = rev

    async def wait_for_room(self) -> None:
        """Pace a long replay to the client's speed instead of overflowing the queue: wait
        while the queue is more than half full."""
        while len(self._queue) > self._limit // 2 and self.state is not State.CLOSED:
            self._room.clear()
            await self._room.wait()

    def reset(self, topic: str, head: int, text: str) -> None:
        """Too much was missed: tell the client to reload, then continue from `head`."""
        self.positions[topic] = head
        self._enqueue(Frame(text.encode()))

    # -- outgoing -------------------------------------------------------------------------------

    def send_now(self, frame: Frame) -> None:
        """Send an event regardless of state (e.g. `ready`, `pong`)."""
        self._enqueue(frame)

    def _enqueue(self, frame: Frame) -> None:
        if not self._queue and self._direct is not None and self._direct.can_write():
            # Written at the end of this loop iteration, together with whatever else this
            # iteration produces for the socket: one system call for several events.
            self._outbox.append(frame)
            if len(self._outbox) == 1:
                self._flusher.mark(self)
            return
        self._queue.append(frame)
        self._wakeup.set()
        self._check_bound(len(self._queue))

    def flush(self) -> None:
        """Write what this loop turn queued for the socket (called by the Flusher)."""
        outbox, self._outbox = self._outbox, []
        if not outbox or self.state is State.CLOSED:
            return
        direct = self._direct
        if direct is not None and direct.can_write():
            direct.write_frame(b"".join(frame.wire for frame in outbox))
            return
        # The socket stopped taking data meanwhile: these go first, through the writer.
        self._queue.extendleft(reversed(outbox))
        self._wakeup.set()
        self._check_bound(len(self._queue))

    def _check_bound(self, size: int) -> None:
        if size > self._limit and self.state is not State.CLOSED:
            self.close(SLOW_CONSUMER_CLOSE)

    def close(self, code: int = 1000, reason: str = "") -> None:
        if self.state is State.CLOSED:
            return
        self.state = State.CLOSED
        self.close_code = code
        self.close_reason = reason
        self._queue.clear()
        self._wakeup.set()
        self._room.set()
        # A writer stuck in a send to a client that stopped reading would never notice.
        if self._writer is not None and self._writer is not asyncio.current_task():
            self._writer.cancel()

    async def run_writer(self) -> None:
        """Drain the queue to the socket until the connection closes."""
        self._writer = asyncio.current_task()
        direct = self._direct
        while self.state is not State.CLOSED:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._queue and self.state is not State.CLOSED:
                if direct is None:
                    await self._send({"type": "websocket.send", "text": self._queue[0].text})
                elif direct.can_write():
                    direct.write_frame(self._queue[0].wire)
                elif direct.disconnected or direct.close_sent:
                    self.close()
                    return
                else:
                    await direct.wait_writable()
                    continue
                self._queue.popleft()
                if len(self._queue) <= self._limit // 2:
                    self._room.set()

    def _spawn(self, coro: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def cancel_tasks(self) -> None:
        for task in list(self._tasks):
            task.cancel()
