"""Chat benchmark: Plaza against Synapse (the peer) and a bare websockets server (the ceiling).

Workload: one group of N members (default 50), every member connected live, S of them
(default 4) sending as fast as the system acknowledges (one message in flight per sender) for
a fixed time; every message must reach every other member. One message reaching one member is
one delivery. Plaza is then run again, paced at half its measured maximum, for latency under
normal load, and finally 10,000 idle authenticated sockets are opened against a fresh Plaza.

Run from the repository root:  .venv/bin/python bench/chat.py [--quick] [--skip-synapse] ...
Writes bench/results/chat.json and prints the tables. bench/README.md explains every number.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import shutil
import sys
import time
import traceback
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from common import (
    BENCH_DIR,
    TreeMonitor,
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
    parser.add_argument("--output", type=Path, default=BENCH_DIR / "results" / "chat.json")
    args = parser.parse_args(argv)
    if args.quick:
        args.members = min(args.members, 20)
        args.senders = min(args.senders, 2)
        args.duration = min(args.duration, 3.0)
        args.idle_connections = min(args.idle_connections, 1000)
    if not 1 <= args.senders <= args.members:
        parser.error("--senders must be between 1 and --members")
    return args


def bound_note(result: PhaseResult, *, paced: bool) -> str:
    """Say what limited a phase, from CPU use over its span (2-core machine)."""
    span = result.span_s or 1.0
    server = result.server_cpu_s / span
    client = sum(result.client_cpu_s.values()) / span
    other = result.other_cpu_s / span
    usage = f"server {server:.2f} cores, client {client:.2f} cores, other {other:.2f} cores"
    if paced:
        return f"paced at {result.target_rate:.0f} msg/s; {usage}"
    if server + client + other > 1.75:
        return f"both cores busy ({usage}): machine-bound"
    if server > 0.8:  # one Python process: a little under one core is its ceiling
        return f"server CPU-bound ({usage})"
    return f"neither side saturated ({usage}): bounded by one send in flight per sender"


async def run_system(
    name: str,
    start: Callable[[], Any],
    args: argparse.Namespace,
    *,
    drain: float,
    half_rate: bool = False,
) -> dict[str, Any]:
    """Start a server, connect the members, run the warm-up and the measured phase(s)."""
    console.print(f"[bold]{name}[/]: starting server")
    began = time.monotonic()
    server = await asyncio.to_thread(start)
    monitor = TreeMonitor(server.proc.pid).start()
    run: LoadRun | None = None
    try:
        console.print(f"[bold]{name}[/]: setting up {args.members} members and the group")
        specs: list[MemberSpec] = await server.setup(args.members)
        senders: list[Sender] = await server.open_senders(list(range(args.senders)))
        run = LoadRun(specs, senders, server.proc.pid, monitor, procs=args.client_procs)
        await run.open()
        setup_s = time.monotonic() - began
        console.print(f"[bold]{name}[/]: {len(specs)} members live; warming up")
        await run.phase("w", min(1.0, args.duration), drain_timeout=drain)
        console.print(f"[bold]{name}[/]: full rate for {args.duration:.0f}s")
        full = await run.phase("full", args.duration, drain_timeout=drain)
        out: dict[str, Any] = {
            "status": "ok",
            "setup_seconds": round(setup_s, 1),
            "full_rate": {**full.as_dict(), "bound": bound_note(full, paced=False)},
        }
        if half_rate and full.sent_per_s > 0:
            rate = full.sent_per_s / 2
            console.print(f"[bold]{name}[/]: half rate ({rate:.0f} msg/s) for {args.duration:.0f}s")
            half = await run.phase("half", args.duration, rate=rate, drain_timeout=drain)
            out["half_rate"] = {**half.as_dict(), "bound": bound_note(half, paced=True)}
        return out
    finally:
        if run is not None:
            await run.close()
        monitor.stop()
        stop_process(server.proc)


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


def render(report: dict[str, Any]) -> None:
    """Print the results as rich tables."""
    params = report["parameters"]
    table = Table(
        title=f"Chat fan-out: 1 group x {params['members']} members, {params['senders']} "
        f"senders, {params['duration_s']:.0f}s of sending",
        title_justify="left",
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
        "peak RSS MiB",
        "client CPU s",
    ):
        table.add_column(column, justify="left" if column in ("system", "delivered") else "right")
    for name, label in (
        ("ceiling", "ceiling (websockets)"),
        ("synapse", "Synapse"),
        ("plaza", "Plaza (HTTP send)"),
        ("plaza_stream", "Plaza (stream send)"),
    ):
        system = report["systems"].get(name)
        if not system:
            continue
        if system.get("status") != "ok":
            table.add_row(label, "[red]error[/]", *[""] * 8)
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
    for key, label in (("plaza", "Plaza (HTTP send)"), ("plaza_stream", "Plaza (stream send)")):
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
    for note in report["notes"]:
        console.print(f"[dim]- {note}[/]")


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    # Imported here so `--help` works without the drivers' dependencies.
    from ceiling import CeilingServer
    from idle_conns import IdleParams, measure_idle
    from plaza_driver import PlazaServer
    from synapse_peer import SynapseServer, ensure_installed

    started = time.monotonic()
    nofile = raise_nofile()
    work = BENCH_DIR / "work" / dt.datetime.now().strftime("run-%Y%m%d-%H%M%S")
    work.mkdir(parents=True, exist_ok=True)
    synapse_version = None
    if not args.skip_synapse:
        synapse_version = await asyncio.to_thread(ensure_installed, console.print)
        started = time.monotonic()  # the one-off install is not part of the run time
    systems: dict[str, Any] = {}
    if not args.skip_ceiling:
        systems["ceiling"] = await guarded(
            "ceiling",
            run_system("ceiling", lambda: CeilingServer(work / "ceiling"), args, drain=10),
        )
    if not args.skip_synapse:
        systems["synapse"] = await guarded(
            "synapse",
            run_system("synapse", lambda: SynapseServer(work / "synapse"), args, drain=30),
        )
    if not args.skip_plaza:
        systems["plaza"] = await guarded(
            "plaza",
            run_system(
                "plaza", lambda: PlazaServer(work / "plaza"), args, drain=15, half_rate=True
            ),
        )
        systems["plaza_stream"] = await guarded(
            "plaza_stream",
            run_system(
                "plaza",
                lambda: PlazaServer(work / "plaza-stream", send_over="stream"),
                args,
                drain=15,
                half_rate=True,
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
        "machine": machine_info(),
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
        },
        "systems": systems,
        "ratios": {
            "plaza_over_synapse_deliveries_per_s": ratio(
                full_dps(systems, "plaza"), full_dps(systems, "synapse")
            ),
            "plaza_over_ceiling_deliveries_per_s": ratio(
                full_dps(systems, "plaza"), full_dps(systems, "ceiling")
            ),
            "plaza_stream_over_synapse_deliveries_per_s": ratio(
                full_dps(systems, "plaza_stream"), full_dps(systems, "synapse")
            ),
            "plaza_stream_over_ceiling_deliveries_per_s": ratio(
                full_dps(systems, "plaza_stream"), full_dps(systems, "ceiling")
            ),
        },
        "plaza_half_rate": half_rate_summary("plaza"),
        "plaza_stream_half_rate": half_rate_summary("plaza_stream"),
        "idle_connections": idle,
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
            "Synapse: SQLite, presence off, rate limits lifted, bcrypt_rounds 4 (setup only); "
            "members receive with /sync long-polls (30 s) filtered to timeline messages. "
            "Plaza: SQLite, rate limits off, argon2 time_cost 1 / 8 MiB (setup only).",
            "The load generator uses a minimal WebSocket and HTTP/1.1 client (bench/wire.py) "
            "so its CPU per delivery stays small; no compression is negotiated anywhere.",
        ],
        "wall_seconds": round(time.monotonic() - started, 1),
    }
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
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
