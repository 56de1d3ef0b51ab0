"""A message the server acknowledged survives a crash (design.md §4), on SQLite and PostgreSQL.

Two members send as fast as they can through a real `plaza serve`; once enough sends are
acknowledged the process is SIGKILLed while requests are in flight. A new process on the same
data (same SQLite file, same PostgreSQL database) must hold every acknowledged message exactly
once, at the seq it was acknowledged with, with seqs gap-free; retrying an unacknowledged send
either returns the stored message (200) or stores it now (201), never a second copy.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests import helpers, services
from tests.live_client import LiveClient, history, token_of
from tests.processes import ServerProcess

pytestmark = pytest.mark.slow

ACKNOWLEDGED_BEFORE_KILL = 150
SEND_PHASE_SECONDS = 30.0


@pytest.fixture(params=["sqlite", "postgresql"])
def server_env(request) -> Iterator[dict[str, str]]:
    """Environment for `plaza serve`: SQLite in the data dir, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield {"PLAZA_DATABASE_URL": "", "PLAZA_REDIS_URL": ""}
        return
    with services.pg_database("plaza_durable") as url:
        yield {"PLAZA_DATABASE_URL": url, "PLAZA_REDIS_URL": ""}


def text_of(client_id: str) -> str:
    return f"message {client_id}"


class Senders:
    """Members sending sequentially, each as fast as the server answers, until it dies."""

    def __init__(self, server: ServerProcess, conversation_id: int, kill_after: int) -> None:
        self.server = server
        self.conversation_id = conversation_id
        self.kill_after = kill_after
        self.acknowledged: dict[tuple[str, str], dict] = {}  # (sender, client_id) -> message
        self.unanswered: list[tuple[str, str]] = []  # sent, but no answer before the kill
        self.kill_task: asyncio.Task | None = None

    async def run(self, name: str, headers: dict[str, str]) -> None:
        async with httpx.AsyncClient(base_url=self.server.url, timeout=10) as client:
            for n in itertools.count():
                client_id = f"{name}-{n}"
                try:
                    response = await client.post(
                        f"/api/v1/conversations/{self.conversation_id}/messages",
                        json={"client_id": client_id, "text": text_of(client_id)},
                        headers=headers,
                    )
                except httpx.TransportError:
                    self.unanswered.append((name, client_id))
                    return
                assert response.status_code == 201, response.text
                self.acknowledged[(name, client_id)] = response.json()
                if len(self.acknowledged) >= self.kill_after and self.kill_task is None:
                    # SIGKILL from another thread while this loop (and the other sender) keep
                    # sending, so that requests are in flight when the process dies.
                    self.kill_task = asyncio.create_task(asyncio.to_thread(self.server.kill))


async def test_acknowledged_messages_survive_sigkill(
    tmp_path: Path, server_env: dict[str, str]
) -> None:
    data_dir = tmp_path / "data"
    first = ServerProcess(data_dir, env=server_env)
    second = ServerProcess(data_dir, env=server_env)
    try:
        first.start()
        async with httpx.AsyncClient(base_url=first.url, timeout=10) as client:
            alice = await helpers.register(client, "dur_alice")
            bob = await helpers.register(client, "dur_bob")
            await helpers.befriend(client, alice, bob, "dur_bob")
            conversation_id = (await helpers.group(client, alice, ["dur_bob"], "crash"))["id"]

        senders = Senders(first, conversation_id, ACKNOWLEDGED_BEFORE_KILL)
        await asyncio.wait_for(
            asyncio.gather(senders.run("dur_alice", alice), senders.run("dur_bob", bob)),
            SEND_PHASE_SECONDS,
        )
        assert senders.kill_task is not None
        await senders.kill_task
        assert first.proc is not None and first.proc.returncode == -9, "not SIGKILLed"
        assert len(senders.acknowledged) >= ACKNOWLEDGED_BEFORE_KILL

        second.start()
        who = {"dur_alice": alice, "dur_bob": bob}  # tokens from before the crash still work
        async with httpx.AsyncClient(base_url=second.url, timeout=10) as client:
            stored = await history(client, alice, conversation_id)
            check_history(stored)
            by_key = {(m["sender"], m["client_id"]): m for m in stored}
            for key, acked in senders.acknowledged.items():
                assert key in by_key, f"acknowledged {key} (seq {acked['seq']}) was lost"
                assert by_key[key]["seq"] == acked["seq"]
                assert by_key[key]["id"] == acked["id"]
                assert by_key[key]["text"] == text_of(key[1])
            unknown = set(by_key) - set(senders.acknowledged) - set(senders.unanswered)
            assert not unknown, f"stored messages nobody sent: {unknown}"

            # Retrying an unanswered send: the stored message (200) or a new one (201).
            last_seq = stored[-1]["seq"] if stored else 0
            for name, client_id in senders.unanswered:
                response = await post(client, who[name], conversation_id, client_id)
                if (name, client_id) in by_key:
                    assert response.status_code == 200, response.text
                    assert response.json()["id"] == by_key[(name, client_id)]["id"]
                    assert response.json()["seq"] == by_key[(name, client_id)]["seq"]
                else:
                    assert response.status_code == 201, response.text
                    last_seq += 1
                    assert response.json()["seq"] == last_seq
            # Retrying an acknowledged send changes nothing either.
            (name, client_id), acked = next(iter(senders.acknowledged.items()))
            again = await post(client, who[name], conversation_id, client_id)
            assert again.status_code == 200, again.text
            assert (again.json()["id"], again.json()["seq"]) == (acked["id"], acked["seq"])
            # And the sequence goes on from where it stopped.
            fresh = await post(client, alice, conversation_id, "after-restart")
            assert fresh.status_code == 201, fresh.text
            assert fresh.json()["seq"] == last_seq + 1

            final = await history(client, bob, conversation_id)
            check_history(final)
            assert len(final) == last_seq + 1
            assert {(m["sender"], m["client_id"]) for m in final} >= set(senders.acknowledged)

        # The event log was committed with the messages: a client resuming from the start
        # gets one message.new per message, in order, from the database.
        live = await LiveClient(second.ws_url, token_of(bob)).connect(resume={conversation_id: 0})
        try:
            await live.wait_for_seq(conversation_id, len(final))
            live.assert_in_order(conversation_id, after_rev=0)
            assert [e["seq"] for e in live.messages(conversation_id)] == [m["seq"] for m in final]
            assert [e["message"]["id"] for e in live.messages(conversation_id)] == [
                m["id"] for m in final
            ]
        finally:
            await live.close()
    finally:
        first.kill()
        second.kill()


def check_history(items: list[dict]) -> None:
    seqs = [m["seq"] for m in items]
    assert seqs == list(range(1, len(items) + 1)), "seqs are not 1..n without gaps"
    keys = Counter((m["sender"], m["client_id"]) for m in items)
    duplicates = {key: n for key, n in keys.items() if n > 1}
    assert not duplicates, f"stored more than once: {duplicates}"


async def post(
    client: httpx.AsyncClient, headers: dict[str, str], conversation_id: int, client_id: str
) -> httpx.Response:
    return await client.post(
        f"/api/v1/conversations/{conversation_id}/messages",
        json={"client_id": client_id, "text": text_of(client_id)},
        headers=headers,
    )
