"""The peer: Synapse (matrix-synapse from PyPI), driven through the Matrix client-server API.

Synapse gets its own virtualenv (bench/.venv-synapse, created on first use) so its pinned
dependencies never touch Plaza's. It runs on SQLite, like Plaza's default (or on PostgreSQL with
`postgres_config`, for `chat.py --database postgresql`), on loopback only,
with every rate limit lifted, presence off (the workload never looks at presence and it would
only slow Synapse down) and no federation, key servers or phone-home.

Members receive through the endpoint real Matrix clients use, a `/sync` long-poll loop with a
filter that keeps only room timeline messages; senders `PUT .../send/m.room.message/{txn}`.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import secrets
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import orjson

from common import BENCH_DIR, free_port, now_ns, start_server, wait_tcp
from loadgen import MemberSpec, Record
from wire import KeepAliveHttp

VENV = BENCH_DIR / ".venv-synapse"
PYTHON = VENV / "bin" / "python"
REQUIREMENT = "matrix-synapse>=1.120"
PG_REQUIREMENT = "psycopg2-binary"
SERVER_NAME = "bench.local"
LOG_FORMAT = "%(asctime)s %(name)s %(levelname)s %(message)s"
UNLIMITED = {"per_second": 1_000_000, "burst_count": 1_000_000}
SYNC_FILTER = json.dumps(
    {
        "presence": {"types": []},
        "account_data": {"types": []},
        "room": {
            "state": {"types": []},
            "ephemeral": {"types": []},
            "account_data": {"types": []},
            "timeline": {"limit": 1000, "types": ["m.room.message"]},
        },
    },
    separators=(",", ":"),
)


def ensure_installed(log: Callable[[str], None] = print, *, postgresql: bool = False) -> str:
    """Create bench/.venv-synapse with matrix-synapse if needed (and psycopg2, Synapse's
    PostgreSQL driver, when `postgresql`); return Synapse's version."""
    # The package metadata, not synapse.__version__: the latter appends `git describe` of the
    # current directory, which here is Plaza's repository.
    probe = [
        str(PYTHON),
        "-c",
        "import synapse, importlib.metadata as m; print(m.version('matrix-synapse'))",
    ]
    pip = [str(PYTHON), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    done = None
    if PYTHON.exists():
        done = subprocess.run(probe, capture_output=True, text=True, check=False)
    if done is None or done.returncode != 0:
        log(f"installing {REQUIREMENT} into {VENV} (first run only, takes a minute or two)")
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True)
        subprocess.run([*pip, REQUIREMENT], check=True)
    if postgresql:
        has_driver = [str(PYTHON), "-c", "import psycopg2"]
        if subprocess.run(has_driver, capture_output=True, check=False).returncode != 0:
            log(f"installing {PG_REQUIREMENT} into {VENV} (Synapse's PostgreSQL driver)")
            subprocess.run([*pip, PG_REQUIREMENT], check=True)
    return subprocess.run(probe, capture_output=True, text=True, check=True).stdout.strip()


def postgres_config(host: str, port: int, user: str, database: str) -> dict[str, Any]:
    """The `database` section for a PostgreSQL database (created LC_COLLATE/LC_CTYPE C)."""
    args = {"user": user, "host": host, "port": port, "database": database}
    return {"database": {"name": "psycopg2", "args": {**args, "cp_min": 5, "cp_max": 10}}}


def write_config(
    workdir: Path, port: int, shared_secret: str, extra: dict[str, Any] | None = None
) -> Path:
    """homeserver.yaml (written as JSON, which YAML accepts) plus its logging config."""
    log_config = workdir / "log.yaml"
    log_config.write_text(
        json.dumps(
            {
                "version": 1,
                "formatters": {"plain": {"format": LOG_FORMAT}},
                "handlers": {
                    "file": {
                        "class": "logging.FileHandler",
                        "filename": str(workdir / "synapse.log"),
                        "formatter": "plain",
                    }
                },
                "root": {"level": "WARNING", "handlers": ["file"]},
                "disable_existing_loggers": False,
            }
        )
    )
    config = {
        "server_name": SERVER_NAME,
        "pid_file": str(workdir / "homeserver.pid"),
        "listeners": [
            {
                "port": port,
                "bind_addresses": ["127.0.0.1"],
                "type": "http",
                "tls": False,
                "x_forwarded": False,
                "resources": [{"names": ["client"], "compress": False}],
            }
        ],
        "database": {"name": "sqlite3", "args": {"database": str(workdir / "homeserver.db")}},
        "log_config": str(log_config),
        "media_store_path": str(workdir / "media"),
        "signing_key_path": str(workdir / "signing.key"),
        "registration_shared_secret": shared_secret,
        "macaroon_secret_key": secrets.token_hex(16),
        "form_secret": secrets.token_hex(16),
        "report_stats": False,
        "trusted_key_servers": [],
        "suppress_key_server_warning": True,
        "federation_domain_whitelist": [],
        "url_preview_enabled": False,
        "presence": {"enabled": False},
        "bcrypt_rounds": 4,  # setup speed only; logins are not part of the measured path
        "enable_metrics": False,
        "rc_message": UNLIMITED,
        "rc_registration": UNLIMITED,
        "rc_registration_token_validity": UNLIMITED,
        "rc_login": {"address": UNLIMITED, "account": UNLIMITED, "failed_attempts": UNLIMITED},
        "rc_admin_redaction": UNLIMITED,
        "rc_joins": {"local": UNLIMITED, "remote": UNLIMITED},
        "rc_joins_per_room": UNLIMITED,
        "rc_invites": {"per_room": UNLIMITED, "per_user": UNLIMITED, "per_issuer": UNLIMITED},
        "rc_third_party_invite": UNLIMITED,
        "rc_3pid_validation": UNLIMITED,
        "rc_key_requests": UNLIMITED,
        "rc_media_create": UNLIMITED,
        "rc_presence": {"per_user": UNLIMITED},
        "rc_delayed_event_mgmt": UNLIMITED,
        "rc_room_creation": UNLIMITED,
        "rc_reports": UNLIMITED,
        "rc_user_directory": UNLIMITED,
        "rc_profile": UNLIMITED,
        **(extra or {}),
    }
    path = workdir / "homeserver.yaml"
    path.write_text(json.dumps(config, indent=1))
    return path


class SynapseServer:
    """A Synapse homeserver subprocess on a free loopback port, plus setup over its API."""

    def __init__(self, workdir: Path, extra_config: dict[str, Any] | None = None) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.secret = secrets.token_hex(16)
        config = write_config(workdir, self.port, self.secret, extra_config)
        subprocess.run(
            [str(PYTHON), "-m", "synapse.app.homeserver", "-c", str(config), "--generate-keys"],
            check=True,
            capture_output=True,
        )
        self.proc = start_server(
            [str(PYTHON), "-m", "synapse.app.homeserver", "-c", str(config)],
            workdir / "stdout.log",
        )
        wait_tcp("127.0.0.1", self.port, 120, self.proc)
        self.tokens: dict[int, str] = {}
        self.room = ""

    async def _register(self, client: httpx.AsyncClient, name: str) -> str:
        """Shared-secret registration (the admin API): no captcha, no email, one round trip."""
        nonce = (await client.get("/_synapse/admin/v1/register")).json()["nonce"]
        password = "bench-password-" + name
        mac = hmac.new(self.secret.encode(), digestmod=hashlib.sha1)
        mac.update(b"\x00".join([nonce.encode(), name.encode(), password.encode(), b"notadmin"]))
        answer = await client.post(
            "/_synapse/admin/v1/register",
            json={
                "nonce": nonce,
                "username": name,
                "password": password,
                "admin": False,
                "mac": mac.hexdigest(),
            },
        )
        answer.raise_for_status()
        return answer.json()["access_token"]

    async def setup(self, members: int) -> list[MemberSpec]:
        """Register `members` users, one public room, everyone joined."""
        async with httpx.AsyncClient(base_url=self.base, timeout=60) as client:
            sem = asyncio.Semaphore(8)

            async def register(i: int) -> None:
                async with sem:
                    self.tokens[i] = await self._register(client, f"m{i:05d}")

            await asyncio.gather(*(register(i) for i in range(members)))

            def auth(i: int) -> dict[str, str]:
                return {"Authorization": f"Bearer {self.tokens[i]}"}

            created = await client.post(
                "/_matrix/client/v3/createRoom",
                headers=auth(0),
                json={"preset": "public_chat", "name": "bench", "visibility": "private"},
            )
            created.raise_for_status()
            self.room = created.json()["room_id"]
            for i in range(1, members):  # Synapse serialises joins per room anyway
                joined = await client.post(
                    f"/_matrix/client/v3/join/{quote(self.room, safe='')}", headers=auth(i)
                )
                joined.raise_for_status()
        return [
            MemberSpec(
                index=i, system="synapse", url=self.base, token=self.tokens[i], room=self.room
            )
            for i in range(members)
        ]

    async def open_senders(self, indexes: list[int]) -> list[SynapseSender]:
        return [SynapseSender(i, self.port, self.tokens[i], self.room) for i in indexes]


class SynapseSender:
    """`PUT /rooms/{room}/send/m.room.message/{txn}` on a kept-alive connection."""

    def __init__(self, index: int, port: int, token: str, room: str) -> None:
        self.index = index
        self._http = KeepAliveHttp("127.0.0.1", port, {"Authorization": f"Bearer {token}"})
        self._path = f"/_matrix/client/v3/rooms/{quote(room, safe='')}/send/m.room.message/"
        self._txn_prefix = f"{secrets.token_hex(4)}-{index}-"
        self._count = 0

    async def send(self, text: str) -> None:
        self._count += 1
        body = orjson.dumps({"msgtype": "m.text", "body": text})
        await self._http.request("PUT", f"{self._path}{self._txn_prefix}{self._count}", body)

    async def aclose(self) -> None:
        await self._http.aclose()


async def run_member(
    spec: MemberSpec, record: Record, ready: Callable[[], None], stop: asyncio.Event
) -> None:
    """A Matrix client's /sync loop: initial sync for a `since` token, then 30 s long-polls."""
    http = KeepAliveHttp(
        "127.0.0.1", int(spec.url.rsplit(":", 1)[1]), {"Authorization": f"Bearer {spec.token}"}
    )
    base = f"/_matrix/client/v3/sync?filter={quote(SYNC_FILTER, safe='')}"
    stop_task = asyncio.ensure_future(stop.wait())
    try:
        _, body = await http.request("GET", base + "&timeout=0")
        since = orjson.loads(body)["next_batch"]
        ready()
        deadline = time.monotonic() + 3600  # a bound on the loop, far beyond any run
        while not stop.is_set() and time.monotonic() < deadline:
            poll = asyncio.ensure_future(
                http.request("GET", f"{base}&timeout=30000&since={quote(since, safe='')}")
            )
            await asyncio.wait([poll, stop_task], return_when=asyncio.FIRST_COMPLETED)
            if not poll.done():
                poll.cancel()
                break
            _, body = poll.result()
            arrival = now_ns()
            answer = orjson.loads(body)
            since = answer["next_batch"]
            room = answer.get("rooms", {}).get("join", {}).get(spec.room)
            if room:
                for event in room.get("timeline", {}).get("events", []):
                    text = event.get("content", {}).get("body")
                    if isinstance(text, str):
                        record(spec.index, text, arrival)
    finally:
        stop_task.cancel()
        await http.aclose()
