"""Request-path benchmark: what one sequential request costs, a send against `/healthz`.

Issue #8's target is a sequential `POST /conversations/{id}/messages` at most 1.5x a `/healthz`
round trip on the same keep-alive connection. This starts `plaza serve` (SQLite, rate limits
off), sets up two friends in a group, then alternates rounds of N health checks and N sends on
one connection, and reports per request: the median wall time and the server's CPU time
(user + system of its process, which moves much less than wall time when the machine is
shared).

Run from the repository root:  .venv/bin/python bench/request_path.py [--requests N]
Writes bench/results/request_path.json and prints a table.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import orjson
import psutil
from rich.console import Console
from rich.table import Table

from common import BENCH_DIR, dist_version, machine_info, stop_process
from wire import KeepAliveHttp

console = Console(width=None if sys.stdout.isatty() else 150)
TARGET_RATIO = 1.5
ROUNDS = 3


async def _json(http: KeepAliveHttp, method: str, path: str, body: Any, token: str = "") -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else None
    _, answer = await http.request(method, path, orjson.dumps(body), headers=headers)
    return orjson.loads(answer)


async def measure(port: int, pid: int, requests: int) -> dict[str, Any]:
    http = KeepAliveHttp("127.0.0.1", port)
    server = psutil.Process(pid)
    a = await _json(
        http,
        "POST",
        "/api/v1/accounts",
        {"username": "path_a", "password": "x" * 12, "display_name": "A"},
    )
    b = await _json(
        http,
        "POST",
        "/api/v1/accounts",
        {"username": "path_b", "password": "x" * 12, "display_name": "B"},
    )
    ta, tb = a["session"]["token"], b["session"]["token"]
    asked = await _json(http, "POST", "/api/v1/friend-requests", {"to": "path_b"}, ta)
    await _json(http, "POST", f"/api/v1/friend-requests/{asked['id']}/accept", {}, tb)
    group = await _json(
        http, "POST", "/api/v1/conversations", {"kind": "group", "members": ["path_b"]}, ta
    )
    path = f"/api/v1/conversations/{group['id']}/messages"
    auth = {"Authorization": f"Bearer {ta}"}

    def cpu() -> float:
        times = server.cpu_times()
        return times.user + times.system

    walls: dict[str, list[float]] = {"healthz": [], "send": []}
    cpus: dict[str, float] = {"healthz": 0.0, "send": 0.0}
    sent = 0
    for _ in range(ROUNDS):
        before = cpu()
        for _ in range(requests):
            started = time.perf_counter()
            await http.request("GET", "/healthz")
            walls["healthz"].append(time.perf_counter() - started)
        middle = cpu()
        for _ in range(requests):
            sent += 1
            body = orjson.dumps({"client_id": f"c{sent}", "text": f"line {sent}"})
            started = time.perf_counter()
            await http.request("POST", path, body, headers=auth)
            walls["send"].append(time.perf_counter() - started)
        cpus["healthz"] += middle - before
        cpus["send"] += cpu() - middle
    await http.aclose()
    total = ROUNDS * requests
    result = {
        name: {
            "wall_ms_p50": round(1000 * statistics.median(values), 3),
            "server_cpu_us": round(1e6 * cpus[name] / total),
        }
        for name, values in walls.items()
    }
    result["ratio_wall"] = round(
        result["send"]["wall_ms_p50"] / result["healthz"]["wall_ms_p50"], 2
    )
    result["ratio_cpu"] = round(
        result["send"]["server_cpu_us"] / result["healthz"]["server_cpu_us"], 2
    )
    return result


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    from plaza_driver import PlazaServer

    work = BENCH_DIR / "work" / dt.datetime.now().strftime("path-%Y%m%d-%H%M%S")
    server = PlazaServer(work)
    try:
        result = await measure(server.port, server.proc.pid, args.requests)
    finally:
        stop_process(server.proc)
        shutil.rmtree(work, ignore_errors=True)
    return {
        "benchmark": "request_path",
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine_info(),
        "versions": {"python": sys.version.split()[0], "plaza": dist_version("plaza")},
        "parameters": {"requests_per_round": args.requests, "rounds": ROUNDS},
        "result": result,
        "target_send_over_healthz": TARGET_RATIO,
    }


def render(report: dict[str, Any]) -> None:
    result = report["result"]
    table = Table(title="One request at a time on one keep-alive connection")
    for column in ("request", "wall ms p50", "server CPU µs"):
        table.add_column(column, justify="right")
    for name in ("healthz", "send"):
        table.add_row(
            name, f"{result[name]['wall_ms_p50']:.3f}", str(result[name]["server_cpu_us"])
        )
    console.print(table)
    console.print(
        f"send / healthz: {result['ratio_wall']}x wall, {result['ratio_cpu']}x server CPU "
        f"(target {report['target_send_over_healthz']}x)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--requests", type=int, default=1000, help="per kind and round")
    parser.add_argument("--output", type=Path, default=BENCH_DIR / "results" / "request_path.json")
    args = parser.parse_args(argv)
    report = asyncio.run(main_async(args))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    render(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
