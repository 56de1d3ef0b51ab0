"""Two `plaza serve` nodes sharing one PostgreSQL database and one Redis (design.md §4).

A message sent through one node reaches a member connected to the other, live. Redis is only
the wake-up call: while it is down sends still succeed (the database is the truth), and once
it is back every member gets every message exactly once and in order, either on the socket
they kept open or by reconnecting and resuming.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests import helpers, services
from tests.live_client import LiveClient, RedisServer, history, token_of
from tests.processes import ServerProcess
from tests.services import require_postgres

pytestmark = pytest.mark.slow


@dataclass
class Cluster:
    redis: RedisServer
    a: ServerProcess
    b: ServerProcess


@pytest.fixture
def cluster(tmp_path: Path, pg_template: str) -> Iterator[Cluster]:
    require_postgres()
    services.require_redis_server()
    redis = RedisServer(tmp_path)
    try:
        redis.start()
        # A copy of the migrated template: `plaza serve` migrating an empty PostgreSQL database
        # is test_serve.py's subject, not these tests'.
        with services.pg_database("plaza_nodes", template=pg_template) as url:
            env = {"PLAZA_DATABASE_URL": url, "PLAZA_REDIS_URL": redis.url}
            a = ServerProcess(tmp_path / "node-a", env=env)
            b = ServerProcess(tmp_path / "node-b", env=env)
            try:
                a.start()
                b.start()
                yield Cluster(redis, a, b)
            finally:
                a.kill()
                b.kill()
    finally:
        redis.kill()


class Chat:
    """Three friends in a group, sending through whichever node they like."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.headers: dict[str, dict[str, str]] = {}
        self.conversation_id = 0
        self.sent: list[dict] = []
        self._count = 0

    async def set_up(self) -> None:
        async with httpx.AsyncClient(base_url=self.cluster.a.url, timeout=10) as client:
            for name in ("mn_alice", "mn_bob", "mn_carol"):
                self.headers[name] = await helpers.register(client, name)
            for friend in ("mn_bob", "mn_carol"):
                await helpers.befriend(
                    client, self.headers["mn_alice"], self.headers[friend], friend
                )
            group = await helpers.group(
                client, self.headers["mn_alice"], ["mn_bob", "mn_carol"], "nodes"
            )
            self.conversation_id = group["id"]

    async def send(self, node: ServerProcess, who: str) -> dict:
        self._count += 1
        client_id = f"{who}-{self._count}"
        async with httpx.AsyncClient(base_url=node.url, timeout=10) as client:
            response = await client.post(
                f"/api/v1/conversations/{self.conversation_id}/messages",
                json={"client_id": client_id, "text": f"hello {self._count}"},
                headers=self.headers[who],
            )
        assert response.status_code == 201, response.text
        message = response.json()
        assert message["seq"] == len(self.sent) + 1
        self.sent.append(message)
        return message

    async def connect(
        self, node: ServerProcess, who: str, resume: int | None = None, send_resume: bool = True
    ) -> LiveClient:
        positions = None if resume is None else {self.conversation_id: resume}
        live = LiveClient(node.ws_url, token_of(self.headers[who]))
        return await live.connect(positions, send_resume=send_resume)

    def check(self, live: LiveClient, after_rev: int = 0) -> None:
        """`live` got every message sent so far after `after_rev`, once each, in order."""
        live.assert_in_order(self.conversation_id, after_rev)
        got = [(e["seq"], e["message"]["id"]) for e in live.messages(self.conversation_id)]
        want = [(m["seq"], m["id"]) for m in self.sent if m["seq"] > after_rev]
        assert got == want


async def test_messages_cross_nodes_and_survive_a_redis_restart(cluster: Cluster) -> None:
    chat = Chat(cluster)
    await chat.set_up()
    cid = chat.conversation_id
    alice = await chat.connect(cluster.a, "mn_alice")
    bob = await chat.connect(cluster.b, "mn_bob")
    carol = await chat.connect(cluster.b, "mn_carol")
    clients = [alice, bob, carol]
    try:
        # Live across nodes, both ways.
        first = await chat.send(cluster.a, "mn_alice")
        await bob.wait_for_seq(cid, first["seq"])
        second = await chat.send(cluster.b, "mn_bob")
        for live in clients:  # bob's own copy comes back over the bus too
            await live.wait_for_seq(cid, second["seq"])
        for live in clients:
            chat.check(live)

        # Carol goes offline, remembering what she saw; then Redis dies.
        carol_seen = carol.of(cid)[-1]["rev"]
        await carol.close()
        cluster.redis.kill()
        for _ in range(4):
            await chat.send(cluster.a, "mn_alice")  # the database is the truth
        await chat.send(cluster.b, "mn_bob")
        cluster.redis.start()

        # (a) The sockets kept open get the missed messages once Redis is back and one more
        # message is sent (through either the bus reconnect catch-up or gap detection).
        last = await chat.send(cluster.a, "mn_alice")
        await bob.wait_for_seq(cid, last["seq"])
        await alice.wait_for_seq(cid, last["seq"])
        chat.check(bob)
        chat.check(alice)

        # (b) Carol reconnects to node B and resumes: the replay, then live, once each.
        carol = await chat.connect(cluster.b, "mn_carol", resume=carol_seen)
        clients.append(carol)
        await carol.wait_for_seq(cid, last["seq"])
        after_resume = await chat.send(cluster.a, "mn_alice")
        for live in (alice, bob, carol):
            await live.wait_for_seq(cid, after_resume["seq"])
        await asyncio.sleep(0.5)  # a late duplicate would arrive now
        chat.check(carol, after_rev=carol_seen)
        chat.check(bob)
        chat.check(alice)

        async with httpx.AsyncClient(base_url=cluster.b.url, timeout=10) as client:
            stored = await history(client, chat.headers["mn_bob"], cid)
        assert [m["id"] for m in stored] == [m["id"] for m in chat.sent]
    finally:
        for live in clients:
            await live.close()


@pytest.mark.parametrize("outage", [0.5, 6.0], ids=["blip", "longer-than-backoff"])
async def test_open_sockets_catch_up_on_their_own_after_redis_returns(
    cluster: Cluster, outage: float
) -> None:
    """No later message needed: when the bus reconnects, each node replays what it missed."""
    chat = Chat(cluster)
    await chat.set_up()
    cid = chat.conversation_id
    alice = await chat.connect(cluster.a, "mn_alice")
    bob = await chat.connect(cluster.b, "mn_bob")
    try:
        first = await chat.send(cluster.a, "mn_alice")
        await bob.wait_for_seq(cid, first["seq"])
        cluster.redis.kill()
        await chat.send(cluster.a, "mn_alice")
        await chat.send(cluster.b, "mn_bob")
        await asyncio.sleep(outage)
        last = await chat.send(cluster.a, "mn_alice")
        cluster.redis.start()
        await bob.wait_for_seq(cid, last["seq"])
        await alice.wait_for_seq(cid, last["seq"])
        chat.check(bob)
        chat.check(alice)
    finally:
        await alice.close()
        await bob.close()


async def test_resume_on_a_node_while_redis_is_down(cluster: Cluster) -> None:
    """Carol is node B's only listener. She reconnects to it while Redis is down: the replay
    comes from the database, and live delivery resumes once Redis is back."""
    chat = Chat(cluster)
    await chat.set_up()
    cid = chat.conversation_id
    alice = await chat.connect(cluster.a, "mn_alice")
    carol = await chat.connect(cluster.b, "mn_carol")
    clients = [alice, carol]
    try:
        first = await chat.send(cluster.a, "mn_alice")
        await carol.wait_for_seq(cid, first["seq"])
        carol_seen = carol.of(cid)[-1]["rev"]
        await carol.close()

        cluster.redis.kill()
        for _ in range(3):
            missed = await chat.send(cluster.a, "mn_alice")
        carol = await chat.connect(cluster.b, "mn_carol", resume=carol_seen)
        clients.append(carol)
        await carol.wait_for_seq(cid, missed["seq"])
        chat.check(carol, after_rev=carol_seen)

        cluster.redis.start()
        # Node B subscribes the topic once the bus is back; until then a send may only reach
        # carol through the reconnect catch-up, so allow for either path.
        last = await chat.send(cluster.a, "mn_alice")
        await carol.wait_for_seq(cid, last["seq"])
        await alice.wait_for_seq(cid, last["seq"])
        chat.check(carol, after_rev=carol_seen)
        chat.check(alice)
    finally:
        for live in clients:
            await live.close()


async def test_client_connecting_during_the_outage_without_resume_catches_up(
    cluster: Cluster,
) -> None:
    """`resume` is optional: a client that connects while Redis is down and lets the stream go
    live on its own (after the resume wait) must still get what was sent meanwhile."""
    chat = Chat(cluster)
    await chat.set_up()
    cid = chat.conversation_id
    alice = await chat.connect(cluster.a, "mn_alice")
    clients = [alice]
    try:
        first = await chat.send(cluster.a, "mn_alice")
        await alice.wait_for_seq(cid, first["seq"])
        cluster.redis.kill()
        carol = await chat.connect(cluster.b, "mn_carol", send_resume=False)
        clients.append(carol)
        carol_start = carol.ready["conversations"][str(cid)]
        missed = await chat.send(cluster.a, "mn_alice")
        cluster.redis.start()  # node B's bus reconnects while carol still awaits her resume
        await carol.wait_for_seq(cid, missed["seq"])
        chat.check(carol, after_rev=carol_start)
    finally:
        for live in clients:
            await live.close()


async def test_signing_out_on_one_node_closes_the_socket_on_the_other(cluster: Cluster) -> None:
    chat = Chat(cluster)
    await chat.set_up()
    on_b = await chat.connect(cluster.b, "mn_bob")
    async with httpx.AsyncClient(base_url=cluster.a.url, timeout=10) as client:
        answer = await client.delete("/api/v1/sessions/current", headers=chat.headers["mn_bob"])
    assert answer.status_code == 204
    await on_b.wait_for(lambda _events: on_b.closed is not None, within=5)
    assert on_b.closed is not None and on_b.closed.rcvd is not None
    assert on_b.closed.rcvd.code == 4401
    # Nor does the token send on node B: a send looks its token up in its own transaction.
    async with httpx.AsyncClient(base_url=cluster.b.url, timeout=10) as client:
        sent = await client.post(
            f"/api/v1/conversations/{chat.conversation_id}/messages",
            json={"client_id": "after-sign-out", "text": "still me?"},
            headers=chat.headers["mn_bob"],
        )
    assert sent.status_code == 401
