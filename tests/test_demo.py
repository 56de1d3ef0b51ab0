"""`plaza demo` fills a server with people and a group chat replaying the play."""

from __future__ import annotations

from pathlib import Path

import httpx

from plaza.demo import DEMO_PASSWORD, load_demo, read_play
from tests.conftest import running_app

PLAY = Path(__file__).resolve().parents[2] / "shared" / "data" / "romeo_and_juliet.txt"


def test_the_play_is_read_as_the_benchmark_lays_it_out():
    lines = read_play(PLAY)
    assert len(lines) == 3287
    assert len({speaker for speaker, _ in lines}) == 58


async def test_demo_loads_people_and_a_conversation(sqlite_settings):
    summary = await load_demo(sqlite_settings, script=PLAY, max_messages=120)
    host = summary.split("sign in as ")[1].split(" /")[0]
    async with running_app(sqlite_settings) as app:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            login = await client.post(
                "/api/v1/sessions", json={"username": host, "password": DEMO_PASSWORD}
            )
            headers = {"Authorization": f"Bearer {login.json()['token']}"}
            conversations = (await client.get("/api/v1/conversations", headers=headers)).json()
            verona = conversations["items"][0]
            assert verona["title"] == "Verona" and verona["last_seq"] == 120
            assert len(verona["members"]) > 5
