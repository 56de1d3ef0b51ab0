"""`plaza demo` fills a server with people and a group chat replaying the play, from the copy
that ships inside the package."""

from __future__ import annotations

import httpx

from plaza.demo import DEMO_PASSWORD, is_person, load_demo, read_play
from tests.conftest import running_app


def test_the_packaged_play_is_read_as_the_benchmark_lays_it_out():
    lines = read_play()
    assert len(lines) == 3287
    assert len({speaker for speaker, _ in lines}) == 58


def test_the_demo_keeps_only_people():
    speakers = {s for s, _ in read_play() if is_person(s)}
    assert {"ROMEO", "JULIET", "Nurse", "Chorus"} <= speakers
    assert not {s for s in speakers if s.startswith("SCENE") or s in {"ACTS", "PROLOGUE"}}
    assert "STAGE DIRECTION" not in speakers


async def test_demo_loads_people_and_a_conversation_once(sqlite_settings):
    summary = await load_demo(sqlite_settings, script=None, max_messages=120)
    again = await load_demo(sqlite_settings, script=None, max_messages=120)
    assert again == summary
    host = summary.split("sign in as ")[1].split(" /")[0]
    async with running_app(sqlite_settings) as app:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            login = await client.post(
                "/api/v1/sessions", json={"username": host, "password": DEMO_PASSWORD}
            )
            headers = {"Authorization": f"Bearer {login.json()['token']}"}
            conversations = (await client.get("/api/v1/conversations", headers=headers)).json()
            assert [c["title"] for c in conversations["items"]] == ["Verona"]
            verona = conversations["items"][0]
            assert verona["last_seq"] == 120
            assert len(verona["members"]) > 5
            names = {m["username"] for m in verona["members"]}
            assert "stage_direction" not in names and "acts" not in names
            timeline = (await client.get("/api/v1/moments/timeline", headers=headers)).json()
            moments = timeline["items"]
            # Twelve moments; the host sees all but another's private one.
            assert "12 moments" in summary and len(moments) == 11
            assert all(m["media"] for m in moments)
            assert any(m["likes"] for m in moments) and any(m["comments"] for m in moments)
            replies = [c for m in moments for c in m["comments"] if c["reply_to"]]
            assert replies
            picture = await client.get(moments[0]["media"][0]["url"], headers=headers)
            assert picture.status_code == 200
            assert picture.headers["content-type"].startswith("image/")
            # The Herald: the host's, with the circle subscribed and its articles public.
            herald = await client.get("/api/v1/public-accounts/verona_herald", headers=headers)
            assert herald.json()["role"] == "owner"
            assert herald.json()["subscriber_count"] == len(verona["members"]) - 1
            assert "3 articles at /a/verona_herald" in summary
            page = await client.get("/a/verona_herald")  # signed out
            assert page.status_code == 200
            assert "维罗纳的夜晚" in page.text and "Brawl in the market square" in page.text
