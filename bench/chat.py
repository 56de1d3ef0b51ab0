"""Chat benchmark: Plaza against Synapse (the peer) and a bare websockets server (the ceiling).

Workload: one group of N members (default 50), every member connected live, S of them
(default 4) sending as fast as the system acknowledges (one message in flight per sender) for
a fixed time; every message must reach every other member. One message reaching one member is
one delivery. Plaza is then run again, paced at half its measured maximum, for latency under
normal load, and finally 10,000 idle authenticated sockets are opened against a fresh Plaza.

Run from the repository root:  .venv/bin/python bench/chat.py [--quick] [--skip-synapse] ...
Writes bench/results/chat.json and prints the tables. bench/README.md explains every number.

With `--database postgresql --bus redis` the same workload runs on the production stack: Plaza
and Synapse each on a fresh PostgreSQL database, Plaza with a private Redis, Plaza once with one
process and once with two worker processes sharing the port (`--workers 1,2`); the results go
to bench/results/chat-postgresql.json.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import functools
import json
import os
import shutil
import sys
import time
import traceback
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import psutil
from rich.console import Console
from rich.table import Table

from common import (
    BENCH_DIR,
    PgDatabase,
    RedisProcess,
    Services,
    TreeMonitor,
    cpu_between,
    dist_version,
    machine_info,
    raise_nofile,
    stop_process,
)
from loadgen import LoadRun, MemberSpec, PhaseResult, Sender

# Wide enough for the table when the output is a file or a pipe (rich assumes 80 columns).
console = Console(width=None if sys.stdout.isatty() else 150)
HALF_RATE_P99_TARGET_MS = 50.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=50, help="members of the group")
    parser.add_argument("--senders", type=int, default=4, help="members that send")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of sending")
    parser.add_argument("--client-procs", type=int, default=2, help="receiver processes")
    parser.add_argument("--idle-connections", type=int, default=10_000)
    parser.add_argument("--skip-synapse", action="store_true")
    parser.add_argument("--skip-ceiling", action="store_true")
    parser.add_argument("--skip-plaza", action="store_true")
    parser.add_argument("--skip-idle", action="store_true")
    parser.add_argument("--quick", action="store_true", help="small smoke run (~1 minute)")
    parser.add_argument("--keep-work", action="store_true", help="keep server data and logs")
    parser.add_argument(
        "--database",
        choices=("sqlite", "postgresql"),
        default="sqlite",
        help="storage of Plaza and Synapse (postgresql: a fresh database each, at BENCH_PG_DSN, "
        "default postgresql://postgres@127.0.0.1:5432/postgres)",
    )
    parser.add_argument(
        "--bus",
        choices=("inprocess", "redis"),
        default="inprocess",
        help="Plaza's event bus (redis: a private redis-server on a free port)",
    )
    parser.add_argument(
        "--workers",
        default=None,
        help="Plaza worker processes, comma-separated to measure several (default 1; "
        "1,2 with --database postgresql --bus redis); more than 1 needs both",
    )
    parser.add_argument(
        "--moderation-cost",
        nargs="?",
        const="stream",
        default=None,
        metavar="SENDS",
        help="also measure what moderation's screening costs: two Plaza servers, screening as "
        "shipped and off, phases alternated; SENDS is stream (the default), http or "
        "stream,http (see bench/moderation_cost.py)",
    )
    parser.add_argument(
        "--moderation-rounds",
        type=int,
        default=2,
        help="alternated rounds of the moderation-cost pair (default 2: A B, B A)",
    )
    parser.add_argument(
        "--moderation-phase-s",
        type=float,
        default=None,
        help="seconds of each moderation-cost phase (default half of --duration, so each "
        "server sends as long in all as in the main run)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        help="default bench/results/chat.json (chat-postgresql.json with --database postgresql)",
    )
    args = parser.parse_args(argv)
    production = args.database == "postgresql" and args.bus == "redis"
    try:
        args.workers = [int(w) for w in (args.workers or ("1,2" if production else "1")).split(",")]
    except ValueError:
        parser.error("--workers takes numbers, e.g. 2 or 1,2")
    if any(w < 1 for w in args.workers):
        parser.error("--workers must be at least 1")
    if max(args.workers) > 1 and not production:
        parser.error("--workers above 1 needs --database postgresql --bus redis")
    if args.output is None:
        name = "chat.json" if args.database == "sqlite" else f"chat-{args.database}.json"
        args.output = BENCH_DIR / "results" / name
    if args.database != "sqlite" and not args.skip_idle:
        args.skip_idle = True  # measured on the default (SQLite) run; see bench/README.md
        args.idle_skipped_note = True
    if args.quick:
        args.members = min(args.members, 20)
        args.senders = min(args.senders, 2)
        args.duration = min(args.duration, 3.0)
        args.idle_connections = min(args.idle_connections, 1000)
    if not 1 <= args.senders <= args.members:
        parser.error("--senders must be between 1 and --members")
    if args.moderation_cost is not None:
        args.moderation_cost = [k.strip() for k in args.moderation_cost.split(",") if k.strip()]
        if not args.moderation_cost or set(args.moderation_cost) - {"stream", "http"}:
            parser.error("--moderation-cost takes stream, http or stream,http")
    if args.moderation_rounds < 1:
        parser.error("--moderation-rounds must be at least 1")
    if args.moderation_phase_s is None:
        args.moderation_phase_s = args.duration / 2
    return args


def bound_note(
    result: PhaseResult, *, paced: bool, services_cpu_s: float = 0.0, processes: int = 1
) -> str:
    """Say what limited a phase, from CPU use over its span (2-core machine)."""
    span = result.span_s or 1.0
    server = result.server_cpu_s / span
    db = services_cpu_s / span
    client = sum(result.client_cpu_s.values()) / span
    other = result.other_cpu_s / span
    usage = f"server {server:.2f} cores, "
    if services_cpu_s:
        usage += f"database and bus {db:.2f} cores, "
    usage += f"client {client:.2f} cores, other {other:.2f} cores"
    if paced:
        return f"paced at {result.target_rate:.0f} msg/s; {usage}"
    if server + db + client + other > 1.75:
        return f"both cores busy ({usage}): machine-bound"
    if server > 0.8 * processes:  # a Python process: a little under one core is its ceiling
        return f"server CPU-bound ({usage})"
    return f"neither side saturated ({usage}): bounded by one send in flight per sender"


def sockets_per_worker(pid: int, port: int) -> list[int]:
    """How many established connections each worker process of a server holds (the kernel
    hands each new connection on the shared port to whichever worker accepts first)."""
    counts = []
    with contextlib.suppress(psutil.NoSuchProcess):
        for child in psutil.Process(pid).children():
            with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
                conns = child.net_connections(kind="tcp")
                if any(c.status == psutil.CONN_LISTEN and c.laddr.port == port for c in conns):
                    established = psutil.CONN_ESTABLISHED
                    counts.append(
                        sum(1 for c in conns if c.status == established and c.laddr.port == port)
                    )
    return sorted(counts, reverse=True)


def account_services(result: PhaseResult, services_cpu_s: float) -> None:
    """The database's and the bus's CPU is serving work, not outside load: take it out of
    `other` (loadgen counts everything that is neither server nor client there) and redo the
    outside-load note."""
    span = result.span_s or 1.0
    result.other_cpu_s = round(max(0.0, result.other_cpu_s - services_cpu_s), 2)
    result.notes = [n for n in result.notes if not n.startswith("other processes used")]
    if result.other_cpu_s / span > 0.15:
        result.notes.insert(
            0,
            f"other processes used {result.other_cpu_s / span:.2f} cores during this phase: "
            "the numbers are disturbed by outside load",
        )


async def run_system(
    name: str,
    start: Callable[[Services], Any],
    args: argparse.Namespace,
    *,
    drain: float,
    half_rate: bool = False,
    services: Callable[[], Services] = Services,
    processes: int = 1,
) -> dict[str, Any]:
    """Start a server (after its database and bus, if any), connect the members, run the
    warm-up and the measured phase(s); stop everything and drop the database afterwards."""
    console.print(f"[bold]{name}[/]: starting server")
    began = time.monotonic()
    stack = await asyncio.to_thread(services)
    server = None
    run: LoadRun | None = None
    monitor: TreeMonitor | None = None

    async def measured(tag: str, duration: float, rate: float | None = None) -> dict[str, Any]:
        assert run is not None
        cpu0 = await asyncio.to_thread(stack.cpu_seconds)
        result = await run.phase(tag, duration, rate=rate, drain_timeout=drain)
        services_cpu = cpu_between(cpu0, await asyncio.to_thread(stack.cpu_seconds))
        if stack.pids():
            account_services(result, services_cpu)
        note = bound_note(
            result, paced=rate is not None, services_cpu_s=services_cpu, processes=processes
        )
        out = {**result.as_dict(), "bound": note}
        if stack.pids():
            out["services_cpu_s"] = round(services_cpu, 2)
        return out

    try:
        server = await asyncio.to_thread(start, stack)
        monitor = TreeMonitor(server.proc.pid).start()
        console.print(f"[bold]{name}[/]: setting up {args.members} members and the group")
        specs: list[MemberSpec] = await server.setup(args.members)
        senders: list[Sender] = await server.open_senders(list(range(args.senders)))
        run = LoadRun(specs, senders, server.proc.pid, monitor, procs=args.client_procs)
        await run.open()
        setup_s = time.monotonic() - began
        spread = sockets_per_worker(server.proc.pid, getattr(server, "port", 0))
        if processes > 1:
            console.print(f"[bold]{name}[/]: member and sender sockets per worker: {spread}")
        console.print(f"[bold]{name}[/]: {len(specs)} members live; warming up")
        await run.phase("w", min(1.0, args.duration), drain_timeout=drain)
        console.print(f"[bold]{name}[/]: full rate for {args.duration:.0f}s")
        full = await measured("full", args.duration)
        out: dict[str, Any] = {
            "status": "ok",
            "setup_seconds": round(setup_s, 1),
            "processes": processes,
            **({"sockets_per_worker": spread} if processes > 1 else {}),
            "full_rate": full,
        }
        if half_rate and full["sent_per_s"] > 0:
            rate = full["sent_per_s"] / 2
            console.print(f"[bold]{name}[/]: half rate ({rate:.0f} msg/s) for {args.duration:.0f}s")
            out["half_rate"] = await measured("half", args.duration, rate)
        return out
    finally:
        if run is not None:
            await run.close()
        if monitor is not None:
            monitor.stop()
        if server is not None:
            stop_process(server.proc)
        await asyncio.to_thread(stack.close)


def plaza_services(args: argparse.Namespace, workdir: Path) -> Services:
    """A Plaza server's database and bus as the flags say: a fresh PostgreSQL database and a
    private redis-server, or nothing (SQLite in its data dir, the in-process bus)."""
    stack = Services()
    try:
        if args.database == "postgresql":
            stack.databases.append(PgDatabase("bench_plaza").create())
        if args.bus == "redis":
            workdir.mkdir(parents=True, exist_ok=True)
            stack.redis = RedisProcess(workdir / "redis.log")
    except BaseException:
        stack.close()
        raise
    return stack


def start_plaza(
    stack: Services,
    *,
    workdir: Path,
    send_over: str,
    workers: int = 1,
    env: dict[str, str] | None = None,
) -> Any:
    """`plaza serve` on `stack`, with `env` on top of the bench's settings."""
    from plaza_driver import PlazaServer

    extra = dict(env or {})
    if stack.databases:
        extra["PLAZA_DATABASE_URL"] = stack.databases[0].asyncpg_url()
    if stack.redis is not None:
        extra["PLAZA_REDIS_URL"] = stack.redis.url
    return PlazaServer(workdir, extra_env=extra, send_over=send_over, workers=workers)


def pair_services(args: argparse.Namespace, pair_dir: Path, variant: str) -> Services:
    """The database and bus of one server of the moderation-cost pair."""
    return plaza_services(args, pair_dir / variant)


def pair_start(
    pair_dir: Path, stack: Services, variant: str, send_over: str, env: dict[str, str]
) -> Any:
    """One server of the moderation-cost pair, `env` saying how it screens."""
    return start_plaza(stack, workdir=pair_dir / variant, send_over=send_over, env=env)


async def guarded(name: str, work: Awaitable[dict[str, Any]]) -> dict[str, Any]:
    """Run one system; a failure is reported in the results instead of ending the run."""
    try:
        return await work
    except Exception as exc:
        console.print(f"[red]{name} failed:[/] {type(exc).__name__}: {exc}")
        traceback.print_exc()
        return {"status": "error", "error": f"{type(exc).__name__}: {exc}"[:2000]}


def ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a and b else None


def full_dps(results: dict[str, Any], name: str) -> float | None:
    system = results.get(name) or {}
    return (system.get("full_rate") or {}).get("deliveries_per_s")


def plaza_keys(workers: list[int]) -> list[str]:
    """Result keys of the Plaza runs: `plaza` / `plaza_stream` for one process (the names the
    SQLite results always had), `plaza_w2` / `plaza_stream_w2` for two workers, ..."""
    keys = []
    for w in workers:
        suffix = "" if w == 1 else f"_w{w}"
        keys += [f"plaza{suffix}", f"plaza_stream{suffix}"]
    return keys


def system_label(key: str) -> str:
    if key == "ceiling":
        return "ceiling (websockets)"
    if key == "synapse":
        return "Synapse"
    base, _, workers = key.partition("_w")
    label = "Plaza (stream send" if base == "plaza_stream" else "Plaza (HTTP send"
    return label + (f", {workers} workers)" if workers else ")")


def render(report: dict[str, Any]) -> None:
    """Print the results as rich tables."""
    params = report["parameters"]
    stack = (
        f" on {params['database']}, {params['bus']} bus"
        if params.get("database", "sqlite") != "sqlite" or params.get("bus") == "redis"
        else ""
    )
    table = Table(
        title=f"Chat fan-out{stack}: 1 group x {params['members']} members, "
        f"{params['senders']} senders, {params['duration_s']:.0f}s of sending",
        title_justify="left",
    )
    with_services = any(
        "services_cpu_s" in ((s or {}).get("full_rate") or {}) for s in report["systems"].values()
    )
    for column in (
        "system",
        "deliveries/s",
        "msgs/s",
        "p50 ms",
        "p99 ms",
        "p99.9 ms",
        "delivered",
        "server CPU s",
        *(["db CPU s"] if with_services else []),
        "peak RSS MiB",
        "client CPU s",
    ):
        table.add_column(column, justify="left" if column in ("system", "delivered") else "right")
    for name in report["systems"]:
        label = system_label(name)
        system = report["systems"].get(name)
        if not system:
            continue
        if system.get("status") != "ok":
            table.add_row(label, "[red]error[/]", *[""] * (9 if with_services else 8))
            continue
        for phase_key, suffix in (("full_rate", ""), ("half_rate", " @ half rate")):
            phase = system.get(phase_key)
            if not phase:
                continue
            lat = phase["latency"]
            table.add_row(
                label + suffix,
                f"{phase['deliveries_per_s']:,.0f}",
                f"{phase['sent_per_s']:,.1f}",
                f"{lat['p50_ms']:,.1f}",
                f"{lat['p99_ms']:,.1f}",
                f"{lat['p999_ms']:,.1f}",
                f"{phase['delivered']:,}/{phase['expected']:,}",
                f"{phase['server_cpu_s']:.1f}",
                *([f"{phase.get('services_cpu_s', 0.0):.1f}"] if with_services else []),
                f"{phase['server_peak_rss_mib']:.0f}",
                f"{sum(phase['client_cpu_s'].values()):.1f}",
            )
    console.print(table)
    for name, system in report["systems"].items():
        for phase_key in ("full_rate", "half_rate"):
            phase = (system or {}).get(phase_key)
            if phase:
                console.print(f"  {name} {phase_key}: {phase['bound']}")
                for note in phase["notes"]:
                    console.print(f"    [yellow]{note}[/]")
    ratios = report["ratios"]
    for key in plaza_keys(params.get("workers", [1])):
        if key not in report["systems"]:
            continue
        label = system_label(key)
        console.print(
            f"{label} / Synapse deliveries/s: {ratios[f'{key}_over_synapse_deliveries_per_s']}"
            f"   / ceiling: {ratios[f'{key}_over_ceiling_deliveries_per_s']}"
        )
        half = report.get(f"{key}_half_rate")
        if half:
            console.print(
                f"{label} at half rate ({half['rate_msgs_per_s']:.0f} msg/s): p99 "
                f"{half['p99_ms']:.1f} ms (target < {half['target_p99_ms']:.0f} ms: "
                f"{'met' if half['met'] else 'NOT met'})"
            )
    idle = report.get("idle_connections")
    if idle and idle.get("status") == "ok":
        console.print(
            f"Idle: {idle['established']:,}/{idle['target_connections']:,} sockets "
            f"({idle['people']} people, {idle['sockets_per_person']:.0f} each), "
            f"{idle['still_open_after_hold']:,} still open after {idle['hold_seconds']:.0f}s; "
            f"server RSS {idle['server_rss_mib_0_connections']:.0f} MiB -> "
            f"{idle['server_rss_mib_with_connections']:.0f} MiB "
            f"({idle['kib_per_connection']} KiB each), opened in {idle['open_seconds']:.0f}s"
        )
    elif idle:
        console.print(f"[red]Idle connections failed:[/] {idle.get('error')}")
    if report.get("moderation_cost"):
        from moderation_cost import render as render_moderation_cost

        render_moderation_cost(report["moderation_cost"], console)
    for note in report["notes"]:
        console.print(f"[dim]- {note}[/]")


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    # Imported here so `--help` works without the drivers' dependencies.
    from ceiling import CeilingServer
    from idle_conns import IdleParams, measure_idle
    from moderation_cost import measure_pair
    from synapse_peer import SynapseServer, ensure_installed, postgres_config

    started = time.monotonic()
    machine = machine_info()  # the load average before this run added its own
    nofile = raise_nofile()
    work = BENCH_DIR / "work" / dt.datetime.now().strftime("run-%Y%m%d-%H%M%S")
    work.mkdir(parents=True, exist_ok=True)
    synapse_version = None
    postgresql = args.database == "postgresql"
    if not args.skip_synapse:
        synapse_version = await asyncio.to_thread(
            functools.partial(ensure_installed, console.print, postgresql=postgresql)
        )
        started = time.monotonic()  # the one-off install is not part of the run time
    systems: dict[str, Any] = {}
    if not args.skip_ceiling:
        systems["ceiling"] = await guarded(
            "ceiling",
            run_system("ceiling", lambda _: CeilingServer(work / "ceiling"), args, drain=10),
        )
    if not args.skip_synapse:

        def synapse_services() -> Services:
            if not postgresql:
                return Services()
            return Services(databases=[PgDatabase("bench_synapse", c_locale=True).create()])

        def start_synapse(stack: Services) -> SynapseServer:
            config = None
            if stack.databases:
                db = stack.databases[0]
                config = postgres_config(*db.host_port_user, db.name)
            return SynapseServer(work / "synapse", extra_config=config)

        systems["synapse"] = await guarded(
            "synapse",
            run_system("synapse", start_synapse, args, drain=30, services=synapse_services),
        )
    if not args.skip_plaza:
        for key in plaza_keys(args.workers):
            workers = int(key.partition("_w")[2] or 1)
            send_over = "stream" if key.startswith("plaza_stream") else "http"
            workdir = work / key
            systems[key] = await guarded(
                key,
                run_system(
                    key,
                    functools.partial(
                        start_plaza, workdir=workdir, send_over=send_over, workers=workers
                    ),
                    args,
                    drain=15,
                    half_rate=True,
                    services=functools.partial(plaza_services, args, workdir),
                    processes=workers,
                ),
            )
    moderation_cost: dict[str, Any] | None = None
    if args.moderation_cost:
        moderation_cost = {
            "parameters": {
                "rounds": args.moderation_rounds,
                "phase_s": args.moderation_phase_s,
                "order": "screened first in rounds 1, 3, ...; unscreened first in rounds 2, 4, ...",
                "processes": 1,
            }
        }
        for send_over in args.moderation_cost:
            pair_dir = work / f"moderation_{send_over}"
            moderation_cost[send_over] = await guarded(
                f"moderation cost ({send_over})",
                measure_pair(
                    send_over,
                    args,
                    services=functools.partial(pair_services, args, pair_dir),
                    start=functools.partial(pair_start, pair_dir),
                    console=console,
                ),
            )
    idle: dict[str, Any] | None = None
    if not args.skip_idle:
        console.print(f"[bold]idle[/]: {args.idle_connections:,} Plaza sockets")
        params = IdleParams(
            connections=args.idle_connections,
            people=min(200, max(10, args.idle_connections // 50)),
        )
        idle = await guarded("idle", measure_idle(work / "idle", params, console.print))
        idle.setdefault("status", "ok")

    def half_rate_summary(name: str) -> dict[str, Any] | None:
        half = (systems.get(name) or {}).get("half_rate")
        if not half:
            return None
        return {
            "rate_msgs_per_s": half["target_rate"],
            "p50_ms": half["latency"]["p50_ms"],
            "p99_ms": half["latency"]["p99_ms"],
            "p999_ms": half["latency"]["p999_ms"],
            "target_p99_ms": HALF_RATE_P99_TARGET_MS,
            "met": half["latency"]["p99_ms"] < HALF_RATE_P99_TARGET_MS,
        }

    report: dict[str, Any] = {
        "benchmark": "chat",
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {
            **machine,
            "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        },
        "versions": {
            "python": sys.version.split()[0],
            "plaza": dist_version("plaza"),
            "synapse": synapse_version,
            "websockets": dist_version("websockets"),
            "uvicorn": dist_version("uvicorn"),
            "fastapi": dist_version("fastapi"),
        },
        "parameters": {
            "members": args.members,
            "senders": args.senders,
            "duration_s": args.duration,
            "groups": 1,
            "in_flight_per_sender": 1,
            "receiver_processes": args.client_procs,
            "quick": args.quick,
            "open_files_limit": nofile,
            "database": args.database,
            "bus": args.bus,
            "workers": args.workers,
        },
        "systems": systems,
        "ratios": {
            f"{key}_over_{peer}_deliveries_per_s": ratio(
                full_dps(systems, key), full_dps(systems, peer)
            )
            for key in plaza_keys(args.workers)
            for peer in ("synapse", "ceiling")
        },
        **{f"{key}_half_rate": half_rate_summary(key) for key in plaza_keys(args.workers)},
        "idle_connections": idle,
        **({"moderation_cost": moderation_cost} if moderation_cost else {}),
        "notes": [
            "A delivery is one message reaching one member other than its sender; Plaza "
            "and the ceiling also echo each message to the sender's own socket and Synapse "
            "returns it in the sender's /sync: those copies are counted as 'echoes', not "
            "deliveries.",
            "deliveries/s = deliveries / (last delivery - first send), so queued work counts.",
            "Latency = arrival at the member's socket - send time embedded in the text "
            "(CLOCK_MONOTONIC, shared by all processes); at half rate the embedded time is the "
            "scheduled send time, so a late sender shows up as latency.",
            "Server CPU is user+system seconds of the server's process tree over the phase; "
            "client CPU is the load generator's (senders' process + receiver processes). Both "
            "share the same 2 cores, so a number marked machine-bound is a floor for the "
            "server alone.",
            f"Synapse: {'PostgreSQL (psycopg2)' if postgresql else 'SQLite'}, presence off, rate "
            "limits lifted, bcrypt_rounds 4 (setup only); members receive with /sync long-polls "
            "(30 s) filtered to timeline messages. "
            f"Plaza: {'PostgreSQL (asyncpg)' if postgresql else 'SQLite'}, "
            f"{'a private Redis bus' if args.bus == 'redis' else 'the in-process bus'}, rate "
            "limits off, argon2 time_cost 1 / 8 MiB (setup only).",
            "The load generator uses a minimal WebSocket and HTTP/1.1 client (bench/wire.py) "
            "so its CPU per delivery stays small; no compression is negotiated anywhere.",
        ],
        "wall_seconds": round(time.monotonic() - started, 1),
    }
    if postgresql or args.bus == "redis":
        report["notes"].append(
            "Each server gets a fresh PostgreSQL database (created and dropped by the run; "
            "Synapse's with LC_COLLATE/LC_CTYPE C) and Plaza a private redis-server. The "
            "CPU of the database backends serving that database and of redis-server is "
            "'services_cpu_s' (db CPU s), not part of 'other'."
        )
    if getattr(args, "idle_skipped_note", False):
        report["notes"].append(
            "Idle connections are measured by the default (SQLite) run, not on this stack."
        )
    if not args.keep_work:
        shutil.rmtree(work, ignore_errors=True)
        with contextlib.suppress(OSError):
            work.parent.rmdir()  # only if no other run's directory is kept there
    else:
        report["notes"].append(f"work directory kept: {work}")
    return report


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    report = asyncio.run(main_async(args))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.output.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(report, indent=2) + "\n")
    tmp.replace(args.output)
    render(report)
    console.print(f"wrote {args.output} in {report['wall_seconds']:.0f}s")
    failed = [n for n, s in report["systems"].items() if s.get("status") != "ok"]
    cost = report.get("moderation_cost") or {}
    failed += [f"moderation cost ({k})" for k, v in cost.items() if v.get("status") == "error"]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
