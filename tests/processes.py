"""Real `plaza serve` processes on free ports, for tests that need a server as operators run it
(start-up, SIGKILL durability, several nodes, the browser)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from plaza.config import Settings

PLAZA = [sys.executable, "-m", "plaza"]


def plaza_command(
    settings: Settings, *args: str, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    """`plaza ARGS --data-dir D` as an operator runs it, against the test's database (SQLite in
    its data dir, or PostgreSQL), with none of this process's PLAZA_ settings but cheap
    password hashing."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLAZA_")}
    env |= {"PLAZA_ARGON2_TIME_COST": "1", "PLAZA_ARGON2_MEMORY_KIB": "64"}
    if settings.database_url:
        env["PLAZA_DATABASE_URL"] = settings.database_url
    return subprocess.run(
        [*PLAZA, *args, "--data-dir", str(settings.data_dir)],
        input=stdin,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServerProcess:
    """One `plaza serve` child process; `start()` waits for /healthz, `kill()` is SIGKILL."""

    def __init__(self, data_dir: Path, *, env: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.env = {
            **os.environ,
            "PLAZA_ARGON2_TIME_COST": "1",
            "PLAZA_ARGON2_MEMORY_KIB": "64",
            "PLAZA_RATE_LIMIT_ENABLED": "false",
            # Tests send floods on purpose: screening's spam rate check would hold them.
            "PLAZA_SPAM_SENDS_PER_WINDOW": "0",
            **(env or {}),
        }
        self.log = data_dir / f"server-{self.port}.log"
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def start(self, timeout: float = 90.0) -> ServerProcess:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        args = [*PLAZA, "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        args += ["--data-dir", str(self.data_dir)]
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(args, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"plaza serve exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"plaza serve did not come up: {self.log.read_text()[-2000:]}")

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as in a crash or an OOM kill."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> int | None:
        """SIGTERM and wait: the graceful shutdown path."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.proc.returncode if self.proc else None
