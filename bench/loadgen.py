"""The workload harness shared by the three systems: live members, senders, measurement.

Members (receivers) live in a few worker processes so that receiving is spread over both
cores; senders run in the parent process, one request (or frame) in flight each. Every message
text carries the phase tag, the send timestamp (CLOCK_MONOTONIC, shared by all processes),
the sender's member index and a per-sender number:

    <tag>:<send_ns>:<sender>:<n>:<padding>

so a receiver can compute latency, ignore its own echo and detect duplicates without any
coordination. A phase ends when every member has received every message it should or when
the drain deadline passes; throughput is deliveries divided by the time from the first send to
the last delivery, so a server that queues work pays for it in the number.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import multiprocessing as mp
from array import array
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any, Protocol

from common import (
    TreeMonitor,
    latency_summary_ms,
    machine_busy_seconds,
    now_ns,
    raise_nofile,
    self_cpu_seconds,
    tree_cpu_seconds,
)

#: Module that provides `run_member(spec, record, ready, stop)` for each system's members.
RECEIVER_MODULES = {"ceiling": "ceiling", "plaza": "plaza_driver", "synapse": "synapse_peer"}
PADDING = "x" * 40  # makes the text ~80 bytes, a short chat line
MAX_SENDS_PER_SENDER = 2_000_000  # a bound on every send loop, whatever the duration


@dataclass(frozen=True)
class MemberSpec:
    """Everything a worker process needs to connect one member (picklable)."""

    index: int
    system: str
    url: str
    token: str = ""
    room: str = ""
    user: str = ""


class Sender(Protocol):
    """A member's sending channel, owned by the parent process."""

    index: int

    async def send(self, text: str) -> None: ...

    async def aclose(self) -> None: ...


Record = Callable[[int, str, int], None]
"""record(member_index, message_text, arrival_ns), called by a member for every message."""

RunMember = Callable[[MemberSpec, Record, Callable[[], None], asyncio.Event], Awaitable[None]]


def format_text(tag: str, stamp_ns: int, sender: int, n: int) -> str:
    return f"{tag}:{stamp_ns}:{sender}:{n}:{PADDING}"


class PhaseSink:
    """What one worker saw during one phase."""

    def __init__(self, tag: str, members: list[int]) -> None:
        self.tag = tag
        self.per_member = dict.fromkeys(members, 0)
        self.latencies = array("q")
        self.seen: set[int] = set()
        self.echoes = self.duplicates = self.stale = 0
        self.first_arrival = self.last_arrival = 0

    def record(self, member: int, text: str, arrival: int) -> None:
        parts = text.split(":", 4)
        if len(parts) < 5 or parts[0] != self.tag:
            self.stale += 1  # an earlier phase's message, or not ours
            return
        sender = int(parts[2])
        if sender == member:
            self.echoes += 1  # the sender's own copy: not counted as a delivery
            return
        key = (member << 48) | (sender << 32) | int(parts[3])
        if key in self.seen:
            self.duplicates += 1
            return
        self.seen.add(key)
        self.latencies.append(arrival - int(parts[1]))
        self.per_member[member] += 1
        if not self.first_arrival:
            self.first_arrival = arrival
        self.last_arrival = arrival

    def complete(self, sent: dict[int, int]) -> bool:
        total = sum(sent.values())
        return all(n >= total - sent.get(m, 0) for m, n in self.per_member.items())


class _WorkerState:
    def __init__(self, members: list[int]) -> None:
        self.members = members
        self.sink = PhaseSink("", members)

    def record(self, member: int, text: str, arrival: int) -> None:
        self.sink.record(member, text, arrival)


def receiver_worker(specs: list[MemberSpec], conn: Connection, connect_timeout: float) -> None:
    """Entry point of a receiver process (spawned): connect members, then obey the parent."""
    raise_nofile()
    asyncio.run(_worker_main(specs, conn, connect_timeout))


async def _worker_main(specs: list[MemberSpec], conn: Connection, connect_timeout: float) -> None:
    state = _WorkerState([s.index for s in specs])
    stop = asyncio.Event()
    ready_count = 0
    all_ready = asyncio.Event()

    def ready() -> None:
        nonlocal ready_count
        ready_count += 1
        if ready_count == len(specs):
            all_ready.set()

    tasks = []
    for spec in specs:
        run_member: RunMember = importlib.import_module(RECEIVER_MODULES[spec.system]).run_member
        tasks.append(asyncio.create_task(run_member(spec, state.record, ready, stop)))
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(all_ready.wait(), connect_timeout)
    failed = [repr(t.exception()) for t in tasks if t.done() and t.exception()]
    conn.send(("ready", ready_count, failed[:5]))
    cpu_start = self_cpu_seconds()
    try:
        while True:
            command = await asyncio.to_thread(conn.recv)
            if command[0] == "begin":
                state.sink = PhaseSink(command[1], state.members)
                cpu_start = self_cpu_seconds()
                conn.send(("ok",))
            elif command[0] == "expect":
                sent, deadline_s = command[1], command[2]
                # Poll rather than check on every record(): the hot path stays a few lines.
                for _ in range(int(deadline_s / 0.02) + 1):
                    if state.sink.complete(sent):
                        break
                    await asyncio.sleep(0.02)
                sink = state.sink
                broken = sum(1 for t in tasks if t.done())
                conn.send(
                    (
                        "result",
                        {
                            "delivered": sum(sink.per_member.values()),
                            "latencies": sink.latencies.tobytes(),
                            "echoes": sink.echoes,
                            "duplicates": sink.duplicates,
                            "stale": sink.stale,
                            "first_arrival": sink.first_arrival,
                            "last_arrival": sink.last_arrival,
                            "cpu_s": self_cpu_seconds() - cpu_start,
                            "members_gone": broken,
                        },
                    )
                )
                state.sink = PhaseSink("", state.members)
            else:
                break
    finally:
        stop.set()
        await asyncio.wait(tasks, timeout=5)
        for task in tasks:
            task.cancel()


@dataclass
class PhaseResult:
    """One measured phase of one system, ready for the report."""

    tag: str
    duration_s: float
    target_rate: float | None
    sent: int
    send_errors: list[str]
    expected: int
    delivered: int
    duplicates: int
    echoes: int
    deliveries_per_s: float
    sent_per_s: float
    span_s: float
    latency: dict[str, float]
    send_ack_latency: dict[str, float]
    server_cpu_s: float
    server_peak_rss_mib: float
    client_cpu_s: dict[str, float]
    other_cpu_s: float = 0.0
    behind_schedule: int = 0
    members_gone: int = 0
    notes: list[str] = field(default_factory=list)
    #: Every delivery's latency (ns), for pooling several phases (not in the report).
    latencies_ns: array = field(default_factory=lambda: array("q"), repr=False)

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "latencies_ns"}


class LoadRun:
    """Members connected in worker processes plus senders in this process, phase by phase."""

    def __init__(
        self,
        specs: list[MemberSpec],
        senders: list[Sender],
        server_pid: int,
        monitor: TreeMonitor,
        procs: int = 2,
    ) -> None:
        self.specs, self.senders = specs, senders
        self.server_pid, self.monitor = server_pid, monitor
        self.procs = max(1, min(procs, len(specs)))
        self._workers: list[tuple[mp.process.BaseProcess, Connection]] = []

    async def open(self, connect_timeout: float = 60.0) -> None:
        """Spawn the receiver processes and wait until every member is connected and ready."""
        ctx = mp.get_context("spawn")
        for i in range(self.procs):
            parent, child = ctx.Pipe()
            share = self.specs[i :: self.procs]
            proc = ctx.Process(
                target=receiver_worker, args=(share, child, connect_timeout), daemon=True
            )
            proc.start()
            child.close()
            self._workers.append((proc, parent))
        replies = await asyncio.gather(
            *(self._recv(conn, connect_timeout + 30) for _, conn in self._workers)
        )
        ready = sum(r[1] for r in replies)
        if ready != len(self.specs):
            errors = [e for r in replies for e in r[2]]
            raise RuntimeError(f"only {ready}/{len(self.specs)} members connected: {errors}")

    @staticmethod
    async def _recv(conn: Connection, wait_s: float) -> Any:
        ok = await asyncio.to_thread(conn.poll, wait_s)
        if not ok:
            raise TimeoutError("a receiver process did not answer")
        try:
            return conn.recv()
        except EOFError:
            raise RuntimeError("a receiver process exited (see its traceback above)") from None

    async def _ask(self, command: tuple, wait_s: float) -> list[Any]:
        for _, conn in self._workers:
            conn.send(command)
        return await asyncio.gather(*(self._recv(conn, wait_s) for _, conn in self._workers))

    async def phase(
        self,
        tag: str,
        duration: float,
        rate: float | None = None,
        drain_timeout: float = 10.0,
    ) -> PhaseResult:
        """Send for `duration` seconds (at full speed, or `rate` messages/s in total), drain,
        and measure."""
        await self._ask(("begin", tag), 30)
        self.monitor.reset_peak()
        server_cpu0 = tree_cpu_seconds(self.server_pid)
        busy0 = machine_busy_seconds()
        main_cpu0 = self_cpu_seconds()
        sent: dict[int, int] = {s.index: 0 for s in self.senders}
        errors: list[str] = []
        acks = array("q")
        behind = [0]
        start = now_ns() + 20_000_000
        deadline = start + int(duration * 1e9)
        interval = int(len(self.senders) / rate * 1e9) if rate else 0

        async def loop(pos: int, sender: Sender) -> None:
            offset = interval * pos // max(1, len(self.senders))
            await asyncio.sleep(max(0.0, (start - now_ns()) / 1e9))
            for n in range(MAX_SENDS_PER_SENDER):
                if interval:
                    # Paced: the timestamp is the intended send time, so a sender that falls
                    # behind shows up as latency instead of silently sending less.
                    stamp = start + offset + n * interval
                    if stamp >= deadline:
                        break
                    delay = stamp - now_ns()
                    if delay > 0:
                        await asyncio.sleep(delay / 1e9)
                    elif delay < -5_000_000:
                        behind[0] += 1
                else:
                    stamp = now_ns()
                    if stamp >= deadline:
                        break
                began = now_ns()
                try:
                    await sender.send(format_text(tag, stamp, sender.index, n))
                except Exception as exc:
                    errors.append(f"{type(exc).__name__}: {exc}"[:300])
                    if len(errors) >= 100:
                        break
                    await asyncio.sleep(0.05)
                    continue
                acks.append(now_ns() - began)
                sent[sender.index] += 1

        await asyncio.gather(*(loop(i, s) for i, s in enumerate(self.senders)))
        send_end = now_ns()
        main_cpu = self_cpu_seconds() - main_cpu0
        answers = await self._ask(("expect", sent, drain_timeout), drain_timeout + 60)
        results = [r[1] for r in answers]
        server_cpu = tree_cpu_seconds(self.server_pid) - server_cpu0
        busy = machine_busy_seconds() - busy0
        latencies = array("q")
        for r in results:
            latencies.frombytes(r["latencies"])
        delivered = sum(r["delivered"] for r in results)
        total = sum(sent.values())
        expected = sum(total - sent.get(s.index, 0) for s in self.specs)
        last = max((r["last_arrival"] for r in results), default=0) or send_end
        span_s = max(1e-9, (max(last, send_end) - start) / 1e9)
        send_span = max(1e-9, (send_end - start) / 1e9)
        client_cpu = main_cpu + sum(r["cpu_s"] for r in results)
        other_cpu = max(0.0, busy - server_cpu - client_cpu)
        notes = []
        if other_cpu / span_s > 0.15:
            notes.append(
                f"other processes used {other_cpu / span_s:.2f} cores during this phase: "
                "the numbers are disturbed by outside load"
            )
        if expected and delivered < expected:
            notes.append(f"{expected - delivered} deliveries missing after the drain")
        return PhaseResult(
            tag=tag,
            duration_s=duration,
            target_rate=rate,
            sent=total,
            send_errors=errors[:5] + ([f"... {len(errors)} errors"] if len(errors) > 5 else []),
            expected=expected,
            delivered=delivered,
            duplicates=sum(r["duplicates"] for r in results),
            echoes=sum(r["echoes"] for r in results),
            deliveries_per_s=round(delivered / span_s, 1),
            sent_per_s=round(total / send_span, 1),
            span_s=round(span_s, 3),
            latency=latency_summary_ms(latencies),
            send_ack_latency=latency_summary_ms(acks),
            server_cpu_s=round(server_cpu, 2),
            server_peak_rss_mib=round(self.monitor.peak_rss / 2**20, 1),
            client_cpu_s={
                "senders_process": round(main_cpu, 2),
                "receiver_processes": round(sum(r["cpu_s"] for r in results), 2),
            },
            other_cpu_s=round(other_cpu, 2),
            behind_schedule=behind[0],
            members_gone=sum(r["members_gone"] for r in results),
            notes=notes,
            latencies_ns=latencies,
        )

    async def close(self) -> None:
        """Stop the receiver processes (politely, then by force) and close the senders."""
        for sender in self.senders:
            with contextlib.suppress(Exception):
                await sender.aclose()
        for _, conn in self._workers:
            with contextlib.suppress(OSError):
                conn.send(("stop",))
        for proc, conn in self._workers:
            await asyncio.to_thread(proc.join, 10)
            if proc.is_alive():
                proc.kill()
                await asyncio.to_thread(proc.join, 5)
            conn.close()
        self._workers.clear()
