"""Replay benchmark: *Romeo and Juliet* sent line by line, as the public Romeo & Juliet Matrix
homeserver benchmark does, against Plaza and against Synapse.

Workload: the 3,287 lines of the play (the copy inside the package) in order, by their 58
speakers, over ONE keep-alive HTTP connection, one request at a time. A speaker is set up on
their first line (registered with the server's default password hashing, signed in, joined to
the one group) and then says it. Nothing runs concurrently, so every number is a latency sum:
what one person's request-by-request path costs.

- Plaza: `POST /accounts` (which answers with a session when it can; otherwise `POST
  /sessions`), then the host asks the speaker to be friends and the speaker accepts (Plaza's
  groups hold friends), and the host adds them to the group (the first speaker is in it from
  its creation); lines are `POST /conversations/{id}/messages`.
- Synapse: `POST /register` (dummy auth), `POST /join/{room}`; lines are `PUT
  /rooms/{room}/send/m.room.message/{txn}`.

Both run on SQLite with rate limits lifted and their default password hashing (Plaza argon2id
at its defaults; Synapse bcrypt at its default 12 rounds). The host and the room are made
before the clock starts, for both. A "ping" (Plaza `GET /healthz`, Synapse `GET
/_matrix/client/versions`) on the same connection gives the floor of one round trip.

Run from the repository root:  .venv/bin/python bench/replay.py [--skip-synapse] [--lines N]
Writes bench/results/replay.json and prints a table.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import secrets
import shutil
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import orjson
from rich.console import Console
from rich.table import Table

from common import BENCH_DIR, dist_version, machine_info, stop_process
from wire import KeepAliveHttp

console = Console(width=None if sys.stdout.isatty() else 150)
PASSWORD = "replay-password-0123"
PINGS = 300
TARGET_SENDS = 30.0
TARGET_OVERALL = 10.0
TARGET_SEND_OVER_PING = 1.5


def read_lines(limit: int | None) -> list[tuple[str, str]]:
    from plaza.demo import read_play  # the packaged copy, read as the benchmark lays it out

    lines = read_play()
    return lines[:limit] if limit else lines


def username_for(speaker: str, number: int, suffix: str) -> str:
    """A username per speaker, unique even where two speakers differ only in case ("Nurse"
    and "NURSE" are two speakers of the benchmark)."""
    from plaza.demo import username_for as plaza_username

    return f"s{number}_{plaza_username(speaker)[:16]}_{suffix}"


@dataclass
class Timings:
    """Seconds spent, by kind of request, during the replay."""

    lines: int = 0
    speakers: int = 0
    total_s: float = 0.0
    sends_s: float = 0.0
    setup_s: float = 0.0
    send_ms: list[float] = field(default_factory=list)
    ping_ms_median: float = 0.0

    def summary(self) -> dict[str, Any]:
        sends = sorted(self.send_ms)
        return {
            "lines": self.lines,
            "speakers": self.speakers,
            "total_s": round(self.total_s, 3),
            "sends_s": round(self.sends_s, 3),
            "setup_s": round(self.setup_s, 3),
            "setup_per_speaker_ms": round(1000 * self.setup_s / max(1, self.speakers), 2),
            "send_ms_mean": round(1000 * self.sends_s / max(1, self.lines), 3),
            "send_ms_p50": round(statistics.median(sends), 3) if sends else None,
            "send_ms_p99": round(sends[int(0.99 * (len(sends) - 1))], 3) if sends else None,
            "ping_ms_median": round(self.ping_ms_median, 3),
            "send_over_ping": round(statistics.median(sends) / self.ping_ms_median, 2)
            if sends and self.ping_ms_median
            else None,
        }


class Replayer:
    """What differs between the systems: set a speaker up, say a line, ping."""

    http: KeepAliveHttp

    async def prepare(self, first_speaker: str) -> None: ...

    async def set_up(self, speaker: str) -> None: ...

    async def say(self, speaker: str, index: int, text: str) -> None: ...

    async def ping(self) -> None: ...


class PlazaReplayer(Replayer):
    def __init__(self, port: int) -> None:
        self.http = KeepAliveHttp("127.0.0.1", port)
        self.tokens: dict[str, str] = {}
        self.host_token = ""
        self.group: int | None = None
        self.prefix = secrets.token_hex(3)

    def _auth(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    async def _json(self, method: str, path: str, body: Any = None, token: str = "") -> Any:
        payload = orjson.dumps(body) if body is not None else b""
        headers = self._auth(token) if token else None
        _, answer = await self.http.request(method, path, payload, headers=headers)
        return orjson.loads(answer) if answer else None

    async def _account(self, username: str, display_name: str) -> str:
        """Register; use the session the answer carries, or sign in for one."""
        body = {"username": username, "password": PASSWORD, "display_name": display_name}
        created = await self._json("POST", "/api/v1/accounts", body)
        token = (created.get("session") or {}).get("token") or created.get("token")
        if token:
            return token
        signed_in = await self._json(
            "POST", "/api/v1/sessions", {"username": username, "password": PASSWORD}
        )
        return signed_in["token"]

    async def prepare(self, first_speaker: str) -> None:
        self.host_token = await self._account(f"host_{self.prefix}", "Verona")

    async def set_up(self, speaker: str) -> None:
        username = username_for(speaker, len(self.tokens), self.prefix)
        token = await self._account(username, speaker.title()[:64])
        self.tokens[speaker] = token
        asked = await self._json(
            "POST", "/api/v1/friend-requests", {"to": username}, token=self.host_token
        )
        await self._json("POST", f"/api/v1/friend-requests/{asked['id']}/accept", token=token)
        if self.group is None:
            body = {"kind": "group", "members": [username], "title": "Verona"}
            group = await self._json("POST", "/api/v1/conversations", body, self.host_token)
            self.group = group["id"]
        else:
            await self._json(
                "POST",
                f"/api/v1/conversations/{self.group}/members",
                {"username": username},
                self.host_token,
            )

    async def say(self, speaker: str, index: int, text: str) -> None:
        body = orjson.dumps({"client_id": f"line-{index}", "text": text})
        await self.http.request(
            "POST",
            f"/api/v1/conversations/{self.group}/messages",
            body,
            headers=self._auth(self.tokens[speaker]),
        )

    async def ping(self) -> None:
        await self.http.request("GET", "/healthz")


class SynapseReplayer(Replayer):
    def __init__(self, port: int) -> None:
        self.http = KeepAliveHttp("127.0.0.1", port)
        self.tokens: dict[str, str] = {}
        self.room = ""
        self.prefix = secrets.token_hex(3)

    async def _register(self, username: str) -> str:
        body = {
            "username": username,
            "password": PASSWORD,
            "auth": {"type": "m.login.dummy"},
            "inhibit_login": False,
        }
        _, answer = await self.http.request(
            "POST", "/_matrix/client/v3/register", orjson.dumps(body)
        )
        return orjson.loads(answer)["access_token"]

    async def prepare(self, first_speaker: str) -> None:
        host = await self._register(f"host_{self.prefix}")
        body = {"preset": "public_chat", "name": "Verona", "visibility": "private"}
        _, answer = await self.http.request(
            "POST",
            "/_matrix/client/v3/createRoom",
            orjson.dumps(body),
            headers={"Authorization": f"Bearer {host}"},
        )
        self.room = orjson.loads(answer)["room_id"]

    async def set_up(self, speaker: str) -> None:
        token = await self._register(username_for(speaker, len(self.tokens), self.prefix))
        self.tokens[speaker] = token
        await self.http.request(
            "POST",
            f"/_matrix/client/v3/join/{quote(self.room, safe='')}",
            b"{}",
            headers={"Authorization": f"Bearer {token}"},
        )

    async def say(self, speaker: str, index: int, text: str) -> None:
        path = (
            f"/_matrix/client/v3/rooms/{quote(self.room, safe='')}/send/m.room.message/line-{index}"
        )
        await self.http.request(
            "PUT",
            path,
            orjson.dumps({"msgtype": "m.text", "body": text}),
            headers={"Authorization": f"Bearer {self.tokens[speaker]}"},
        )

    async def ping(self) -> None:
        await self.http.request("GET", "/_matrix/client/versions")


async def replay(replayer: Replayer, lines: list[tuple[str, str]]) -> Timings:
    timings = Timings(lines=len(lines))
    pings = []
    for _ in range(PINGS):
        started = time.perf_counter()
        await replayer.ping()
        pings.append(1000 * (time.perf_counter() - started))
    timings.ping_ms_median = statistics.median(pings)
    await replayer.prepare(lines[0][0])
    known: set[str] = set()
    clock = time.perf_counter
    begin = clock()
    for index, (speaker, text) in enumerate(lines):
        if speaker not in known:
            started = clock()
            await replayer.set_up(speaker)
            timings.setup_s += clock() - started
            known.add(speaker)
        started = clock()
        await replayer.say(speaker, index, text)
        elapsed = clock() - started
        timings.sends_s += elapsed
        timings.send_ms.append(1000 * elapsed)
    timings.total_s = clock() - begin
    timings.speakers = len(known)
    await replayer.http.aclose()
    return timings


def default_hashing() -> tuple[int, int]:
    """Plaza's shipped argon2id parameters (passes, KiB), read from its settings."""
    from plaza.config import Settings

    fields = Settings.model_fields
    return fields["argon2_time_cost"].default, fields["argon2_memory_kib"].default


async def run_plaza(work: Path, lines: list[tuple[str, str]]) -> dict[str, Any]:
    from plaza_driver import PlazaServer

    # Production password hashing (the defaults), rate limits off as for Synapse.
    time_cost, memory_kib = default_hashing()
    server = PlazaServer(
        work / "plaza",
        extra_env={"PLAZA_ARGON2_TIME_COST": str(time_cost),
                   "PLAZA_ARGON2_MEMORY_KIB": str(memory_kib)},
    )  # fmt: skip
    try:
        console.print("[bold]plaza[/]: replaying")
        return (await replay(PlazaReplayer(server.port), lines)).summary()
    finally:
        stop_process(server.proc)


async def run_synapse(work: Path, lines: list[tuple[str, str]]) -> dict[str, Any]:
    from synapse_peer import SynapseServer, ensure_installed

    version = await asyncio.to_thread(ensure_installed, console.print)
    extra = {
        "enable_registration": True,
        "enable_registration_without_verification": True,
        "bcrypt_rounds": 12,  # Synapse's default: the same footing as Plaza's argon2 defaults
    }
    server = SynapseServer(work / "synapse", extra_config=extra)
    try:
        console.print(f"[bold]synapse {version}[/]: replaying")
        result = (await replay(SynapseReplayer(server.port), lines)).summary()
        result["version"] = version
        return result
    finally:
        stop_process(server.proc)


def ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a and b else None


def render(report: dict[str, Any]) -> None:
    table = Table(title="Replay: Romeo and Juliet, one keep-alive connection, sequential")
    for column in (
        "system",
        "total s",
        "sends s",
        "send ms p50",
        "ping ms",
        "send/ping",
        "setup ms/speaker",
    ):
        table.add_column(column, justify="right")
    for name, result in report["systems"].items():
        if result.get("status") == "error":
            table.add_row(name, "error", result["error"][:60], "", "", "", "")
            continue
        table.add_row(
            name,
            f"{result['total_s']:.1f}",
            f"{result['sends_s']:.2f}",
            f"{result['send_ms_p50']:.2f}",
            f"{result['ping_ms_median']:.2f}",
            f"{result['send_over_ping']}",
            f"{result['setup_per_speaker_ms']:.0f}",
        )
    console.print(table)
    r = report["ratios"]
    console.print(
        f"Synapse/Plaza: sends {r['sends']}x (target {TARGET_SENDS}x), overall {r['overall']}x "
        f"(target {TARGET_OVERALL}x), setup per speaker {r['setup_per_speaker']}x"
    )


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    lines = read_lines(args.lines)
    work = BENCH_DIR / "work" / dt.datetime.now().strftime("replay-%Y%m%d-%H%M%S")
    work.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    systems: dict[str, Any] = {}
    runs = [("plaza", run_plaza)]
    if not args.skip_synapse:
        runs.append(("synapse", run_synapse))
    for name, run in runs:
        try:
            systems[name] = await run(work, lines)
            systems[name]["status"] = "ok"
        except Exception as exc:  # one system failing must not hide the other's numbers
            console.print_exception()
            systems[name] = {"status": "error", "error": repr(exc)}
    shutil.rmtree(work, ignore_errors=True)

    def of(name: str, key: str) -> float | None:
        return systems.get(name, {}).get(key)

    return {
        "benchmark": "replay",
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine_info(),
        "versions": {
            "python": sys.version.split()[0],
            "plaza": dist_version("plaza"),
            "synapse": of("synapse", "version"),
        },
        "parameters": {"lines": len(lines), "connection": "one keep-alive HTTP/1.1"},
        "systems": systems,
        "ratios": {
            "sends": ratio(of("synapse", "sends_s"), of("plaza", "sends_s")),
            "overall": ratio(of("synapse", "total_s"), of("plaza", "total_s")),
            "setup_per_speaker": ratio(
                of("synapse", "setup_per_speaker_ms"), of("plaza", "setup_per_speaker_ms")
            ),
        },
        "targets": {
            "sends_over_synapse": TARGET_SENDS,
            "overall_over_synapse": TARGET_OVERALL,
            "plaza_send_over_ping": TARGET_SEND_OVER_PING,
        },
        "notes": [
            "Password hashing at each server's defaults: Plaza argon2id (time_cost {}, {} KiB), "
            "Synapse bcrypt 12 rounds; both on SQLite with rate limits lifted.".format(
                *default_hashing()
            ),
            "Plaza's speaker set-up is register (+ sign-in if the answer has no session), a "
            "friend request from the host and its acceptance, and being added to the group: "
            "Plaza's groups hold friends. Synapse's is register and join.",
        ],
        "wall_seconds": round(time.monotonic() - started, 1),
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--skip-synapse", action="store_true")
    parser.add_argument("--lines", type=int, default=None, help="replay only the first N lines")
    parser.add_argument(
        "--output", type=Path, default=BENCH_DIR / "results" / "replay.json", help="JSON report"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    report = asyncio.run(main_async(args))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    render(report)
    console.print(f"wrote {args.output} in {report['wall_seconds']:.0f}s")
    return 0 if all(s.get("status") == "ok" for s in report["systems"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
