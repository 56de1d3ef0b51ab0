"""The node-local hub between the bus and the live connections of this process.

It keeps topic -> connections and person -> connections maps, subscribes the bus to a topic
while at least one local connection follows it, decodes each bus message once, and hands the
same event text to every local follower. Replays (after a gap, a resume or a bus reconnect)
go to the `TopicSource` that owns the topic's prefix.

While the database cannot be reached, a replay does not fail the connection: the socket is
told `{"type": "hold", ...}` once, keeps its positions, and the replay runs again when the
database answers (one probe per node, with backoff, however many replays wait); the socket is
then told `{"type": "resumed"}`. A new connection cannot start (`attach` raises Unavailable).
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from plaza.bus import Bus
from plaza.clock import Clock
from plaza.errors import Unavailable, database_unavailable
from plaza.live import session_end
from plaza.live.connection import Connection, State
from plaza.live.envelope import unpack, user_topic
from plaza.live.frames import Flusher, Frame
from plaza.live.sources import TopicSource

log = logging.getLogger(__name__)
Command = Callable[[int, dict[str, Any]], Awaitable[dict[str, Any]]]
"""A client frame handler: (user id, frame) -> the reply event; may raise PlazaError."""
SessionChecker = Callable[[AsyncSession, set[int]], Awaitable[set[int]]]
"""Which of these session ids are still open (accounts' `sessions.still_open`)."""
EXPIRY_CHECK_SECONDS = 1.0
# Sessions ended where no bus reaches this node (an operator's `plaza user status` on a
# single SQLite node, a bus message lost in a Redis outage) close their sockets within this.
SESSION_RECHECK_SECONDS = 30.0
HOLD = Frame(orjson.dumps({"type": "hold", "reason": "database unavailable"}))
RESUMED = Frame(orjson.dumps({"type": "resumed"}))
# Seconds between probes of an unreachable database: doubling from the first to the most.
PROBE_FIRST, PROBE_MAX = 0.1, 2.0
PROBE_TIMEOUT = 5.0  # a probe of a server that does not answer at all gives up after this


class Hub:
    def __init__(
        self,
        *,
        bus: Bus,
        sessions: async_sessionmaker[AsyncSession],
        replay_limit: int,
        clock: Clock,
        session_checker: SessionChecker,
    ) -> None:
        self._bus = bus
        self._sessions = sessions
        self._replay_limit = replay_limit
        self._clock = clock
        self._session_checker = session_checker
        self._expiry: asyncio.Task | None = None
        self._sources: dict[str, TopicSource] = {}
        self._commands: dict[str, Command] = {}
        self._topics: dict[str, set[Connection]] = defaultdict(set)
        self._users: dict[int, set[Connection]] = defaultdict(set)
        self._tasks: set[asyncio.Task] = set()
        # While the database is unreachable: how many replays of each connection wait for it,
        # and the one task probing it.
        self._holding: dict[Connection, int] = {}
        self._probe: asyncio.Task | None = None
        self.flusher = Flusher()
        bus.on_reconnect(self.catch_up_all)

    async def start(self) -> None:
        """Listen for ended sessions (from every node) and watch for expired ones."""
        await self._bus.subscribe(session_end.TOPIC, self._on_session_end)
        self._expiry = asyncio.create_task(self._close_expired(), name="live-session-expiry")

    def register(self, source: TopicSource) -> None:
        self._sources[source.prefix] = source

    def register_command(self, name: str, handler: Command) -> None:
        """Let clients do `name` over the stream (chat registers "send")."""
        self._commands[name] = handler

    def command(self, name: str) -> Command | None:
        return self._commands.get(name)

    @property
    def connection_count(self) -> int:
        return sum(len(c) for c in self._users.values())

    # -- connections ----------------------------------------------------------------------------

    async def attach(self, conn: Connection) -> dict[str, int]:
        """Register a new connection with every topic its person follows; returns the topics
        with their current revisions (the starting positions). Raises Unavailable, having
        registered nothing, when the database cannot be reached."""
        positions: dict[str, int] = {}
        try:
            async with self._sessions() as session:
                for source in self._sources.values():
                    positions.update(await source.followed(session, user_id=conn.user_id))
        except Exception as exc:
            if not database_unavailable(exc):
                raise
            raise Unavailable() from exc
        self._users[conn.user_id].add(conn)
        await self._follow(conn, user_topic(conn.user_id), None)
        for topic, rev in positions.items():
            await self._follow(conn, topic, rev)
        return positions

    async def detach(self, conn: Connection) -> None:
        conn.close()
        conn.cancel_tasks()
        users = self._users.get(conn.user_id)
        if users is not None:
            users.discard(conn)
            if not users:
                del self._users[conn.user_id]
        for topic in [user_topic(conn.user_id), *conn.positions]:
            await self._unfollow(conn, topic)

    async def _follow(self, conn: Connection, topic: str, rev: int | None) -> None:
        if rev is not None:
            conn.follow(topic, rev)
        followers = self._topics[topic]
        first = not followers
        followers.add(conn)
        if first:
            await self._bus.subscribe(topic, self._on_message)

    async def _unfollow(self, conn: Connection, topic: str) -> None:
        conn.unfollow(topic)
        followers = self._topics.get(topic)
        if followers is None:
            return
        followers.discard(conn)
        if not followers:
            del self._topics[topic]
            await self._bus.unsubscribe(topic, self._on_message)

    # -- bus messages ---------------------------------------------------------------------------

    def _on_message(self, topic: str, payload: bytes) -> None:
        envelope = unpack(payload)
        event = envelope.get("event")
        frame = Frame(orjson.dumps(event)) if event is not None else None
        if topic.startswith("user:"):
            self._on_user_message(int(topic[5:]), envelope, frame)
            return
        rev = envelope.get("rev")
        visible_to = envelope.get("visible_to")
        if frame is not None and visible_to is not None and rev is not None:
            # Only these people see it; the others move past its revision, seeing nothing.
            for conn in tuple(self._topics.get(topic, ())):
                if conn.user_id in visible_to:
                    conn.deliver(topic, rev, frame)
                else:
                    conn.skip(topic, rev)
        elif frame is not None:
            for conn in tuple(self._topics.get(topic, ())):
                conn.deliver(topic, rev, frame)
        for user_id in envelope.get("unfollow_users", ()):
            for conn in tuple(self._users.get(user_id, ())):
                self._spawn(self._unfollow(conn, topic))
        if envelope.get("end"):
            for conn in tuple(self._topics.get(topic, ())):
                self._spawn(self._unfollow(conn, topic))

    def _on_user_message(self, user_id: int, envelope: dict, frame: Frame | None) -> None:
        follow: dict[str, int] = envelope.get("follow") or {}
        for conn in tuple(self._users.get(user_id, ())):
            for topic, rev in follow.items():
                self._spawn(self._follow_and_catch_up(conn, topic, rev))
            if frame is not None:
                conn.deliver(user_topic(user_id), None, frame)

    async def _follow_and_catch_up(self, conn: Connection, topic: str, rev: int) -> None:
        """Follow a topic joined mid-connection, then fetch anything published before the bus
        subscription took effect."""
        await self._follow(conn, topic, rev)
        conn.catch_up(topic)

    # -- sessions -------------------------------------------------------------------------------

    def _on_session_end(self, _topic: str, payload: bytes) -> None:
        ended = session_end.SessionEnd.unpack(payload)
        for conn in tuple(self._users.get(ended.user_id, ())):
            if ended.covers(conn.session_id):
                conn.close(session_end.SESSION_ENDED_CLOSE, f"session ended: {ended.reason}")

    async def _close_expired(self) -> None:
        loop = asyncio.get_running_loop()
        next_recheck = loop.time() + SESSION_RECHECK_SECONDS
        while True:
            await asyncio.sleep(EXPIRY_CHECK_SECONDS)
            now = self._clock.now()
            for conns in list(self._users.values()):
                for conn in list(conns):
                    if conn.expires_at is not None and conn.expires_at <= now:
                        conn.close(session_end.SESSION_ENDED_CLOSE, "session ended: expired")
            if loop.time() >= next_recheck:
                next_recheck = loop.time() + SESSION_RECHECK_SECONDS
                try:
                    await self.revalidate_sessions()
                except Exception:  # the database may be away; the next round tries again
                    log.warning("could not re-check sessions", exc_info=True)

    async def revalidate_sessions(self) -> None:
        """Close every socket whose session ended while the bus could not say so."""
        conns = [c for cs in self._users.values() for c in cs if c.state is not State.CLOSED]
        if not conns:
            return
        ids = sorted({c.session_id for c in conns})
        still_open: set[int] = set()
        async with self._sessions() as session:
            for start in range(0, len(ids), 5000):
                still_open |= await self._session_checker(session, set(ids[start : start + 5000]))
        for conn in conns:
            if conn.session_id not in still_open:
                conn.close(session_end.SESSION_ENDED_CLOSE, "session ended")

    # -- replay ---------------------------------------------------------------------------------

    def client_positions(self, positions: dict[str, int]) -> dict[str, dict[str, int]]:
        """Topics as clients name them: {"conversations": {"12": 40}, ...}."""
        named: dict[str, dict[str, int]] = {s.resume_key: {} for s in self._sources.values()}
        for topic, rev in positions.items():
            source = self.source_for(topic)
            if source is not None:
                named[source.resume_key][topic[len(source.prefix) :]] = rev
        return named

    def topic_positions(self, frame: dict[str, Any]) -> dict[str, int]:
        """The reverse, for a client's `resume` frame; ValueError says what is wrong."""
        positions: dict[str, int] = {}
        for source in self._sources.values():
            named = frame.get(source.resume_key) or {}
            if not isinstance(named, dict):
                raise ValueError(f"{source.resume_key} must be an object of id -> rev")
            for key, rev in named.items():
                if not isinstance(rev, int) or isinstance(rev, bool) or rev < 0:
                    raise ValueError(f"rev for {source.resume_key} {key} must be a number >= 0")
                positions[f"{source.prefix}{int(key)}"] = rev
        return positions

    def source_for(self, topic: str) -> TopicSource | None:
        prefix = topic.split(":", 1)[0] + ":"
        return self._sources.get(prefix)

    async def replay(self, conn: Connection, topic: str, after: int) -> None:
        """Send `conn` the events of `topic` after revision `after`, from the database.

        While the database cannot be reached, `conn` is told to hold and the replay waits for
        it (live events of the topic stay held behind the replay, as usual)."""
        source = self.source_for(topic)
        if source is None:
            return
        holding = False
        try:
            while True:
                try:
                    async with self._sessions() as session:
                        result = await source.replay(
                            session,
                            user_id=conn.user_id,
                            topic=topic,
                            after=after,
                            limit=self._replay_limit,
                        )
                    break
                except Exception as exc:
                    if not database_unavailable(exc):
                        raise
                    if not holding:
                        holding = True
                        self._hold(conn, exc)
                await self._database_back()
                if conn.state is State.CLOSED or topic not in conn.positions:
                    return
            if not result.allowed:
                await self._unfollow(conn, topic)
                return
            if result.reset is not None and result.head is not None:
                conn.reset(topic, result.head, result.reset)
                return
            for rev, event_text in result.events:
                if event_text is None:  # an event this person may not see: only move past it
                    conn.skip_replayed(topic, rev)
                    continue
                conn.replayed(topic, rev, event_text)
                await conn.wait_for_room()
        finally:
            if holding:
                self._release(conn)

    def _hold(self, conn: Connection, exc: Exception) -> None:
        """A replay of `conn` waits for the database: the first one tells the client to hold
        (keep its state and wait) rather than reload."""
        waiting = self._holding.get(conn, 0)
        self._holding[conn] = waiting + 1
        if not waiting:
            log.warning("stream replay waits for the database: %r", exc)
            conn.send_now(HOLD)

    def _release(self, conn: Connection) -> None:
        """A replay of `conn` is done (or abandoned); after the last, the client may go on."""
        waiting = self._holding.pop(conn, 1) - 1
        if waiting:
            self._holding[conn] = waiting
        elif conn.state is not State.CLOSED:
            conn.send_now(RESUMED)

    async def _database_back(self) -> None:
        """Wait until the database answers again; one probe for the node, however many
        replays wait (a waiter that is cancelled leaves the probe running for the others)."""
        if self._probe is None or self._probe.done():
            self._probe = asyncio.ensure_future(self._probe_database())
            self._tasks.add(self._probe)
            self._probe.add_done_callback(self._tasks.discard)
        await asyncio.shield(self._probe)

    async def _probe_database(self) -> None:
        delay = PROBE_FIRST
        while True:
            await asyncio.sleep(delay)
            try:
                await asyncio.wait_for(self._select_one(), PROBE_TIMEOUT)
                return
            except Exception as exc:
                if not database_unavailable(exc) and not isinstance(exc, TimeoutError):
                    log.exception("probing the database for the stream's replays")
            delay = min(2 * delay, PROBE_MAX)

    async def _select_one(self) -> None:
        async with self._sessions() as session:
            await session.execute(text("SELECT 1"))

    async def catch_up_all(self) -> None:
        """After the bus reconnects: sessions that ended meanwhile close their sockets, and
        every live connection checks every topic it follows."""
        try:
            await self.revalidate_sessions()
        except Exception:  # the database may be away too; the periodic re-check follows up
            log.warning("could not re-check sessions after the bus reconnected", exc_info=True)
        for conns in list(self._users.values()):
            for conn in list(conns):
                if conn.state is not State.CLOSED:
                    for topic in list(conn.positions):
                        conn.catch_up(topic)

    async def close(self) -> None:
        if self._expiry is not None:
            self._expiry.cancel()
        await self._bus.unsubscribe(session_end.TOPIC, self._on_session_end)
        for conns in list(self._users.values()):
            for conn in list(conns):
                conn.close(1001)
        for task in list(self._tasks):
            task.cancel()

    def _spawn(self, coro) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
