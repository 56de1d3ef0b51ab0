"""Shared helpers for the chat benchmark: statistics, process measurement, ports, limits.

Everything here is independent of the system under test so the three systems (Plaza, Synapse,
the bare websockets ceiling) are measured by exactly the same code.
"""

from __future__ import annotations

import contextlib
import os
import platform
import resource
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import psutil

BENCH_DIR = Path(__file__).resolve().parent
ROOT_DIR = BENCH_DIR.parent


def now_ns() -> int:
    """Timestamp shared by every process of the benchmark.

    CLOCK_MONOTONIC is one system-wide clock on Linux, so a send timestamp taken in the sender
    process can be subtracted from an arrival timestamp taken in a receiver process.
    """
    return time.monotonic_ns()


def percentile(sorted_values: Sequence[int], q: float) -> float:
    """Nearest-rank percentile of an already sorted sequence (q in 0..100); nan when empty."""
    if not sorted_values:
        return float("nan")
    rank = max(0, min(len(sorted_values) - 1, round(q / 100 * len(sorted_values) + 0.5) - 1))
    return float(sorted_values[rank])


def latency_summary_ms(latencies_ns: Sequence[int]) -> dict[str, float]:
    """p50/p99/p99.9/max in milliseconds, the numbers the report prints."""
    values = sorted(latencies_ns)
    return {
        "samples": len(values),
        "p50_ms": round(percentile(values, 50) / 1e6, 3),
        "p99_ms": round(percentile(values, 99) / 1e6, 3),
        "p999_ms": round(percentile(values, 99.9) / 1e6, 3),
        "max_ms": round((values[-1] if values else float("nan")) / 1e6, 3),
    }


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def raise_nofile() -> int:
    """Lift this process's open-file soft limit to the hard limit; returns the new soft limit.

    Thousands of sockets are opened by the idle-connection test; the default soft limit (often
    1024) would make it fail on the client side rather than measure the server.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def self_cpu_seconds() -> float:
    """User + system CPU of the calling process (all its threads)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def wait_tcp(host: str, port: int, timeout: float, proc: subprocess.Popen | None = None) -> None:
    """Block until something accepts TCP connections on host:port, or raise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited early with code {proc.returncode}")
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
            return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listened on {host}:{port} within {timeout:.0f}s")


def start_server(
    argv: list[str], log_path: Path, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.Popen:
    """Start a server subprocess in its own session with the open-file limit raised.

    Its own session lets `stop_process` end the whole tree (workers, helpers) by process group
    without touching anything else; output goes to a log file so a chatty server does not pay
    for a terminal. The open-file limit is raised here and inherited by the child (rather than
    in a preexec_fn, which is unsafe while other threads run).
    """
    raise_nofile()
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = log_path.open("wb")
    try:
        return subprocess.Popen(
            argv,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **(env or {})},
            cwd=cwd,
            start_new_session=True,
        )
    finally:
        log.close()


def stop_process(proc: subprocess.Popen | None, timeout: float = 10.0) -> None:
    """Terminate a process started by `start_server` and its process group; kill if it lingers."""
    if proc is None or proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


def _tree(pid: int) -> list[psutil.Process]:
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def machine_busy_seconds() -> float:
    """CPU seconds spent by every process on the machine (all cores, not idle, not iowait).

    Subtracting the server's and the load generator's own CPU from this shows how much other
    work (a test suite, a build) shared the machine during a phase; it also includes kernel
    network work (softirq) that no process was charged for.
    """
    times = psutil.cpu_times()
    # guest time is already inside user; steal is the hypervisor's, not this machine's work.
    busy = ("user", "nice", "system", "irq", "softirq")
    return sum(getattr(times, name, 0.0) for name in busy)


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and all its live descendants."""
    total = 0.0
    for proc in _tree(pid):
        with contextlib.suppress(psutil.NoSuchProcess):
            times = proc.cpu_times()
            total += times.user + times.system
    return total


def tree_rss_bytes(pid: int) -> int:
    """Resident memory of a process and all its live descendants."""
    total = 0
    for proc in _tree(pid):
        with contextlib.suppress(psutil.NoSuchProcess):
            total += proc.memory_info().rss
    return total


@dataclass
class TreeMonitor:
    """Samples a server's process-tree RSS in a background thread to catch the peak.

    CPU needs no sampling (counters are cumulative); RSS does, because the peak may happen
    between the start and the end of a phase.
    """

    pid: int
    interval: float = 0.1
    peak_rss: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> TreeMonitor:
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)
        self._thread.start()
        return self

    def reset_peak(self) -> None:
        self.peak_rss = tree_rss_bytes(self.pid)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.peak_rss = max(self.peak_rss, tree_rss_bytes(self.pid))

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)


def machine_info() -> dict[str, object]:
    """CPU model, core count and memory: what the reader needs to compare runs."""
    model = platform.processor() or "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "cpu_model": model,
        "cores": os.cpu_count(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "kernel": platform.release(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def dist_version(name: str) -> str | None:
    """Installed version of a distribution in this interpreter, None when absent."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def report_header(benchmark: str, packages: Sequence[str]) -> dict[str, object]:
    """The opening of a results JSON: what ran, when, on what machine, with which versions of
    Python, Plaza and `packages`."""
    versions: dict[str, str | None] = {"python": platform.python_version()}
    versions |= {name: dist_version(name) for name in ("plaza", *packages)}
    return {
        "benchmark": benchmark,
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine_info(),
        "versions": versions,
    }


# --- The production stack: PostgreSQL databases and a private Redis, created and removed by the
# run, and the CPU they use (which is server work, not outside load).

PG_ADMIN_DSN = os.environ.get("BENCH_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")


def _psql(sql: str, dsn: str = PG_ADMIN_DSN) -> None:
    subprocess.run(
        ["psql", dsn, "-v", "ON_ERROR_STOP=1", "-q", "-c", sql],
        check=True,
        capture_output=True,
        text=True,
    )


@dataclass
class PgDatabase:
    """A fresh PostgreSQL database for one server, dropped by `drop()`.

    `c_locale` creates it as Synapse requires (`LC_COLLATE` and `LC_CTYPE` C, from template0).
    """

    prefix: str
    c_locale: bool = False
    dsn: str = PG_ADMIN_DSN
    name: str = ""

    def create(self) -> PgDatabase:
        self.name = f"{self.prefix}_{os.getpid()}_{int(time.time() * 1000) % 10**9}"
        options = " ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0"
        _psql(f"CREATE DATABASE {self.name}" + (options if self.c_locale else ""), self.dsn)
        return self

    def drop(self) -> None:
        if self.name:
            with contextlib.suppress(subprocess.CalledProcessError):
                _psql(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)", self.dsn)

    @property
    def host_port_user(self) -> tuple[str, int, str]:
        from urllib.parse import urlsplit

        parts = urlsplit(self.dsn)
        return parts.hostname or "127.0.0.1", parts.port or 5432, parts.username or "postgres"

    def asyncpg_url(self) -> str:
        host, port, user = self.host_port_user
        return f"postgresql+asyncpg://{user}@{host}:{port}/{self.name}"

    def backend_pids(self) -> list[int]:
        """The PostgreSQL backends serving this database, found by their process titles
        (`postgres: USER DBNAME HOST(PORT) ...`); /proc is readable for other users' processes."""
        pids = []
        for proc in psutil.process_iter(["cmdline"]):
            cmdline = proc.info.get("cmdline") or []
            title = " ".join(cmdline)
            if title.startswith("postgres: ") and f" {self.name} " in f"{title} ":
                pids.append(proc.pid)
        return pids


class RedisProcess:
    """A private redis-server (no persistence) on a free loopback port."""

    def __init__(self, log_path: Path) -> None:
        self.port = free_port()
        argv = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        self.proc = start_server([*argv, "--save", "", "--appendonly", "no"], log_path)
        wait_tcp("127.0.0.1", self.port, 15, self.proc)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        stop_process(self.proc)


@dataclass
class Services:
    """The database and bus processes behind one server under test: their CPU is part of what
    serving the workload costs, so it is reported beside the server's (`db CPU s`) instead of
    being counted as outside load."""

    databases: list[PgDatabase] = field(default_factory=list)
    redis: RedisProcess | None = None

    def pids(self) -> list[int]:
        pids = [pid for db in self.databases for pid in db.backend_pids()]
        if self.redis is not None:
            pids.append(self.redis.proc.pid)
        return pids

    def cpu_seconds(self) -> dict[int, float]:
        """CPU seconds per process now (a backend may come or go between two samples)."""
        out = {}
        for pid in self.pids():
            with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
                times = psutil.Process(pid).cpu_times()
                out[pid] = times.user + times.system
        return out

    def close(self) -> None:
        if self.redis is not None:
            self.redis.stop()
        for db in self.databases:
            db.drop()


def cpu_between(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU used between two `Services.cpu_seconds()` samples (new processes count in full)."""
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())
