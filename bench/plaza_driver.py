"""Driver for Plaza: start `plaza serve`, create people, friendships and a group, send, receive.

Everything goes through Plaza's public API v1 (design.md section 3), the way a client would:
HTTP for setup, the `/api/v1/stream` WebSocket for live delivery, and for sending either
`POST /conversations/{id}/messages` or a `send` frame on the sender's own stream socket.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import orjson

from common import free_port, now_ns, start_server, wait_tcp
from loadgen import MemberSpec, Record
from wire import KeepAliveHttp, WsClient, ws_connect

PASSWORD = "bench-password-0123"
#: Setup-only settings: no rate limits for the bench's burst of registrations, and cheap password
#: hashing so creating hundreds of accounts takes seconds (logins are not what is measured,
#: just as Synapse is given bcrypt_rounds 4). The benchmark's senders write far faster than a
#: person: the spam rate check would hold them, so it is off (screening still runs every
#: other check on every send, and counts the rate, so its cost is in the figures;
#: `chat.py --moderation-cost` measures that cost against screening turned off).
BENCH_ENV = {
    "PLAZA_RATE_LIMIT_ENABLED": "false",
    "PLAZA_SPAM_SENDS_PER_WINDOW": "0",
    "PLAZA_ARGON2_TIME_COST": "1",
    "PLAZA_ARGON2_MEMORY_KIB": "8192",
}


def wait_healthy(base: str, timeout: float, proc: Any) -> None:
    """Block until /healthz answers 200, or raise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"plaza serve exited early with code {proc.returncode}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                return
        time.sleep(0.1)
    raise TimeoutError(f"{base}/healthz did not answer 200 within {timeout:.0f}s")


class PlazaApiError(RuntimeError):
    """An API answer that broke the contract the benchmark relies on; says which call."""


def plaza_command() -> list[str]:
    """`plaza` from the interpreter's own environment (the project venv)."""
    return [str(Path(sys.executable).parent / "plaza")]


class PlazaServer:
    """A `plaza serve` subprocess on a free loopback port with a fresh data dir: SQLite there
    by default, or the PostgreSQL database and Redis that `extra_env` names
    (`PLAZA_DATABASE_URL`, `PLAZA_REDIS_URL`), with `workers` processes sharing the port."""

    def __init__(
        self,
        workdir: Path,
        extra_env: dict[str, str] | None = None,
        send_over: str = "http",
        workers: int = 1,
    ) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        self.send_over = send_over
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        argv = [*plaza_command(), "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        if workers > 1:
            argv += ["--workers", str(workers)]
        self.proc = start_server(
            [*argv, "--data-dir", str(workdir / "data")],
            workdir / "plaza.log",
            env={
                "PLAZA_DATABASE_URL": "",
                "PLAZA_REDIS_URL": "",
                **BENCH_ENV,
                **(extra_env or {}),
            },
        )
        wait_tcp("127.0.0.1", self.port, 60, self.proc)
        # With several workers the supervisor listens before the workers can answer.
        wait_healthy(self.base, 60, self.proc)
        self.tokens: dict[int, str] = {}
        self.usernames: dict[int, str] = {}
        self.conversation_id: Any = None

    @staticmethod
    def _check(answer: httpx.Response, what: str, expect: int = 201) -> Any:
        if answer.status_code != expect:
            raise PlazaApiError(
                f"{what}: expected {expect}, got {answer.status_code}: {answer.text[:400]}"
            )
        return answer.json()

    async def create_people(self, count: int, prefix: str = "bench") -> None:
        """Register and log in `count` people (usernames like bench00007)."""
        async with httpx.AsyncClient(base_url=self.base + "/api/v1", timeout=60) as client:
            sem = asyncio.Semaphore(8)

            async def one(i: int) -> None:
                name = f"{prefix}{i:05d}"
                async with sem:
                    self._check(
                        await client.post(
                            "/accounts",
                            json={"username": name, "password": PASSWORD, "display_name": name},
                        ),
                        "POST /accounts",
                    )
                    login = self._check(
                        await client.post(
                            "/sessions", json={"username": name, "password": PASSWORD}
                        ),
                        "POST /sessions",
                    )
                self.usernames[i] = name
                self.tokens[i] = login["token"]

            await asyncio.gather(*(one(i) for i in range(count)))

    async def create_group(self, members: int) -> None:
        """Member 0 befriends everyone else, then creates one group holding all of them."""
        async with httpx.AsyncClient(base_url=self.base + "/api/v1", timeout=60) as client:

            def auth(i: int) -> dict[str, str]:
                return {"Authorization": f"Bearer {self.tokens[i]}"}

            sem = asyncio.Semaphore(8)

            async def befriend(i: int) -> None:
                async with sem:
                    request = self._check(
                        await client.post(
                            "/friend-requests",
                            headers=auth(0),
                            json={"to": self.usernames[i], "message": "bench"},
                        ),
                        "POST /friend-requests",
                    )
                    answer = await client.post(
                        f"/friend-requests/{request['id']}/accept", headers=auth(i)
                    )
                    if answer.status_code not in (200, 201, 204):
                        raise PlazaApiError(
                            f"POST /friend-requests/{{id}}/accept: {answer.status_code}: "
                            f"{answer.text[:400]}"
                        )

            await asyncio.gather(*(befriend(i) for i in range(1, members)))
            group = self._check(
                await client.post(
                    "/conversations",
                    headers=auth(0),
                    json={
                        "kind": "group",
                        "title": "bench",
                        "members": [self.usernames[i] for i in range(1, members)],
                    },
                ),
                "POST /conversations",
            )
            if len(group.get("members", [])) != members:
                raise PlazaApiError(
                    f"POST /conversations: group has {len(group.get('members', []))} members, "
                    f"expected {members} (creator + {members - 1})"
                )
            self.conversation_id = group["id"]

    async def setup(self, members: int) -> list[MemberSpec]:
        """People, friendships and the group; one member spec per person."""
        await self.create_people(members)
        await self.create_group(members)
        return [
            MemberSpec(
                index=i,
                system="plaza",
                url=self.stream_url(self.tokens[i]),
                token=self.tokens[i],
                room=str(self.conversation_id),
                user=self.usernames[i],
            )
            for i in range(members)
        ]

    def stream_url(self, token: str) -> str:
        return f"ws://127.0.0.1:{self.port}/api/v1/stream?token={token}"

    async def open_senders(self, indexes: list[int]) -> list[PlazaSender | PlazaStreamSender]:
        if self.send_over == "stream":
            senders = [
                PlazaStreamSender(i, self.stream_url(self.tokens[i]), self.conversation_id)
                for i in indexes
            ]
            await asyncio.gather(*(sender.connect() for sender in senders))
            return senders
        return [PlazaSender(i, self.port, self.tokens[i], self.conversation_id) for i in indexes]


class PlazaSender:
    """`POST /conversations/{id}/messages` on a kept-alive connection, one in flight."""

    def __init__(self, index: int, port: int, token: str, conversation_id: Any) -> None:
        self.index = index
        self._http = KeepAliveHttp("127.0.0.1", port, {"Authorization": f"Bearer {token}"})
        self._path = f"/api/v1/conversations/{conversation_id}/messages"
        self._prefix = f"b{secrets.token_hex(4)}-{index}-"
        self._count = 0

    async def send(self, text: str) -> None:
        self._count += 1
        body = orjson.dumps({"client_id": f"{self._prefix}{self._count}", "text": text})
        await self._http.request("POST", self._path, body)

    async def aclose(self) -> None:
        await self._http.aclose()


class StreamClient:
    """A `/api/v1/stream` socket: waits for `ready`, says `resume` so it goes live at once,
    then hands every `message.new` text to `on_text`."""

    def __init__(
        self,
        on_text: Callable[[str, int], None] | None = None,
        on_event: Callable[[dict], None] | None = None,
    ) -> None:
        self._on_text = on_text
        self._on_event = on_event
        self.ws: WsClient | None = None
        self.ready: asyncio.Future[dict] = asyncio.get_running_loop().create_future()

    def on_message(self, payload: bytes, opcode: int) -> None:
        arrival = now_ns()
        event = orjson.loads(payload)
        kind = event.get("type")
        if kind == "message.new":
            if self._on_text is not None:
                self._on_text(event["message"]["text"], arrival)
        elif kind == "ready" and not self.ready.done():
            self.ready.set_result(event)
        elif self._on_event is not None:
            self._on_event(event)

    async def connect(self, url: str, wait_s: float = 30.0) -> None:
        self.ws = await ws_connect(url, self.on_message, wait_s)
        try:
            ready = await asyncio.wait_for(asyncio.shield(self.ready), wait_s)
        except TimeoutError:
            self.ws.abort()
            raise TimeoutError(f"no ready event within {wait_s:.0f}s of the upgrade") from None
        except BaseException:
            self.ws.abort()
            raise
        # Without a resume frame the server waits ~2 s before going live; saying "resume from
        # the positions you just told me" makes the stream live at once, with nothing replayed.
        resume = {"type": "resume", "conversations": ready.get("conversations") or {}}
        self.ws.send_text(orjson.dumps(resume))


class PlazaStreamSender:
    """A `send` frame on the sender's own stream socket, one in flight: the next frame goes
    once the server's `sent` acknowledgement (after commit) is back."""

    def __init__(self, index: int, url: str, conversation_id: Any) -> None:
        self.index = index
        self._url = url
        self._conversation_id = conversation_id
        self._prefix = f"s{secrets.token_hex(4)}-{index}-"
        self._count = 0
        self._acks: dict[str, asyncio.Future[None]] = {}
        self._client = StreamClient(on_event=self._on_event)

    def _on_event(self, event: dict) -> None:
        if event.get("type") in ("sent", "error"):
            waiter = self._acks.pop(event.get("client_id", ""), None)
            if waiter is not None and not waiter.done():
                if event["type"] == "sent":
                    waiter.set_result(None)
                else:
                    waiter.set_exception(PlazaApiError(f"send frame: {event}"))

    async def connect(self) -> None:
        await self._client.connect(self._url)

    async def send(self, text: str) -> None:
        assert self._client.ws is not None
        self._count += 1
        client_id = f"{self._prefix}{self._count}"
        waiter = asyncio.get_running_loop().create_future()
        self._acks[client_id] = waiter
        frame = {
            "type": "send",
            "conversation_id": self._conversation_id,
            "client_id": client_id,
            "text": text,
        }
        self._client.ws.send_text(orjson.dumps(frame))
        await waiter

    async def aclose(self) -> None:
        if self._client.ws is not None:
            self._client.ws.close()


async def run_member(
    spec: MemberSpec, record: Record, ready: Callable[[], None], stop: asyncio.Event
) -> None:
    """A live member on Plaza's stream."""
    client = StreamClient(lambda text, arrival: record(spec.index, text, arrival))
    await client.connect(spec.url)
    assert client.ws is not None
    ready()
    try:
        stop_task = asyncio.ensure_future(stop.wait())
        await asyncio.wait([stop_task, client.ws.closed], return_when=asyncio.FIRST_COMPLETED)
        stop_task.cancel()
    finally:
        client.ws.close()
