"""A publisher's exit (issue #13): an owner closes their public account (or a moderator did),
leaves one "moved to" notice that subscribers see in their feed, on the tombstone and in the
Atom feed's 410, unless the closing decision cites a policy that forbids it; and the owner
exports the account (subscriber history, every article with every revision as JSON and
Markdown, with its pictures), also once it and they are closed or suspended."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from plaza.clock import FakeClock
from tests import moderated
from tests.helpers import log_in
from tests.live_server import serve_with_client
from tests.media import pictures
from tests.moderation.helpers import case_of, claim, decide, member, report, staff
from tests.public_accounts.helpers import create_account, draft, publish, subscribe
from tests.public_accounts.test_live import ArticleStream

API = "/api/v1"
HANDLE = "herald"
NEW_HOME = "https://example.org/herald"


@pytest.fixture
def settings(settings):
    return moderated.screening_settings(settings)


def _cookie(who: dict[str, str]) -> dict[str, str]:
    """The same session as a browser's cookie, for the pages."""
    return {"Cookie": f"plaza_session={who['Authorization'].removeprefix('Bearer ')}"}


def _moved(handle: str, to: str) -> tuple[str, dict[str, str]]:
    return f"{API}/public-accounts/{handle}/moved", {"to": to}


async def _close(client: httpx.AsyncClient, who: dict[str, str], handle: str) -> httpx.Response:
    return await client.post(f"{API}/public-accounts/{handle}/close", headers=who)


async def _set_moved(
    client: httpx.AsyncClient, who: dict[str, str], to: str, handle: str = HANDLE
) -> httpx.Response:
    url, body = _moved(handle, to)
    return await client.put(url, json=body, headers=who)


async def _export(client: httpx.AsyncClient, who: dict[str, str]) -> httpx.Response:
    return await client.get(f"{API}/public-accounts/{HANDLE}/export", headers=who)


async def _moderator_closes(
    app: FastAPI, client: httpx.AsyncClient, account_id: int, policy_id: str, clause: int
) -> None:
    tipster, _ = await member(client, "tipster")
    assert (await report(client, tipster, "public_account", account_id, policy_id)).status_code
    moderator = await staff(app, client, "mod_exit")
    case = await case_of(client, moderator, "public_account", account_id)
    assert (await claim(client, moderator, case["id"])).status_code == 200
    answer = await decide(
        client, moderator, case["id"], action="close_account", policy_id=policy_id, clause=clause
    )
    assert answer.status_code == 200, answer.text


async def test_an_owner_closes_and_subscribers_see_where_it_moved(client, clock: FakeClock):
    ann, _ = await member(client, "ann")
    bob, _ = await member(client, "bob")
    await create_account(client, ann, HANDLE, "每日先驱报")
    article = await publish(client, ann, HANDLE, "Old news")
    await subscribe(client, bob, HANDLE)
    # An open account leaves no moved notice.
    early = await _set_moved(client, ann, NEW_HOME)
    assert early.status_code == 409 and early.json()["error"]["code"] == "account_open"

    closed = await _close(client, ann, HANDLE)
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "closed" and closed.json()["moved_to"] is None
    assert (await _close(client, ann, HANDLE)).status_code == 200  # again: nothing changes
    page = await client.get(f"/a/{HANDLE}")
    assert page.status_code == 410
    assert f"Its owner closed 每日先驱报 (@{HANDLE}) on" in page.text
    assert clock.now().date().isoformat() in page.text
    assert "has moved to" not in page.text
    # Nothing more is published, nor read through the API.
    assert (await client.get(f"{API}/public-accounts/{HANDLE}")).status_code == 404
    assert (await client.get(f"{API}/articles/{article['id']}")).status_code == 404
    assert (await client.get(f"/a/{HANDLE}/{article['id']}")).status_code == 410

    moved = await _set_moved(client, ann, NEW_HOME)
    assert moved.status_code == 200, moved.text
    assert moved.json()["moved_to"] == NEW_HOME and moved.json()["moved_changes_left"] == 2

    feed = (await client.get(f"{API}/feed", headers=bob)).json()
    assert feed["items"] == []
    [notice] = feed["moved"]
    assert notice["handle"] == HANDLE and notice["to"] == NEW_HOME and notice["url"] == NEW_HOME
    assert notice["text"] == f"每日先驱报 (@{HANDLE}) has moved to {NEW_HOME}."
    # Who does not follow it is not told.
    carol, _ = await member(client, "carol")
    assert (await client.get(f"{API}/feed", headers=carol)).json()["moved"] == []

    for url, headers in ((f"/a/{HANDLE}", {}), (f"/a/{HANDLE}/{article['id']}", {})):
        stone = await client.get(url, headers=headers)
        assert stone.status_code == 410
        assert 'id="moved-notice"' in stone.text and f'href="{NEW_HOME}"' in stone.text
    bob_cookie = _cookie(bob)
    feed_page = await client.get("/feed", headers=bob_cookie)
    assert feed_page.status_code == 200
    assert 'id="moved-notices"' in feed_page.text and f'href="{NEW_HOME}"' in feed_page.text
    assert "每日先驱报" in feed_page.text

    atom = await client.get(f"/a/{HANDLE}/feed.xml")
    assert atom.status_code == 410
    message = atom.json()["error"]["message"]
    assert "closed by its owner" in message and f"It has moved to {NEW_HOME}" in message

    # A closed account has no page to unsubscribe on; leaving it from the feed's notice works.
    left = await client.delete(f"{API}/public-accounts/{HANDLE}/subscription", headers=bob)
    assert left.status_code == 200, left.text
    assert left.json()["subscribed"] is False and left.json()["subscriber_count"] == 0
    assert (await client.get(f"{API}/feed", headers=bob)).json()["moved"] == []
    # Subscribing again is refused: the account is gone.
    again = await client.post(f"{API}/public-accounts/{HANDLE}/subscription", headers=bob)
    assert again.status_code in (404, 410), again.text


async def test_the_notice_changes_a_set_number_of_times_and_names_a_live_account(client):
    ann, _ = await member(client, "ann")
    await create_account(client, ann, HANDLE, "The Herald")
    await create_account(client, ann, "herald_two", "The Herald, again")
    await _close(client, ann, HANDLE)

    first = await _set_moved(client, ann, "@Herald_Two")
    assert first.status_code == 200, first.text
    assert first.json()["moved_to"] == "@herald_two"
    stone = await client.get(f"/a/{HANDLE}")
    assert 'href="/a/herald_two"' in stone.text
    # The same notice again is no change.
    assert (await _set_moved(client, ann, "@herald_two")).json()["moved_changes_left"] == 2
    assert (await _set_moved(client, ann, NEW_HOME)).json()["moved_changes_left"] == 1
    assert (await _set_moved(client, ann, NEW_HOME + "/2")).json()["moved_changes_left"] == 0
    final = await _set_moved(client, ann, NEW_HOME + "/3")
    assert final.status_code == 409 and final.json()["error"]["code"] == "moved_notice_final"
    assert NEW_HOME + "/2" in (await client.get(f"/a/{HANDLE}")).text


@pytest.mark.parametrize(
    "to",
    [
        "http://example.org/herald",  # not https
        "https://",
        "https://localhost/x",
        "https://user:secret@example.org/",
        "https://example.org/a page",
        "Follow us at example.org, we were silenced!",
        "ftp://example.org/",
        "@nobody_here",  # no such account
        f"@{HANDLE}",  # itself
        "@",
        "https://example.org/" + "x" * 200,
    ],
)
async def test_only_an_https_address_or_another_handle(client, to: str):
    ann, _ = await member(client, "ann")
    await create_account(client, ann, HANDLE, "The Herald")
    await _close(client, ann, HANDLE)
    answer = await _set_moved(client, ann, to)
    assert answer.status_code == 422, answer.text
    assert (await client.get(f"/a/{HANDLE}")).text.count("has moved to") == 0


async def test_only_the_owner_closes_and_leaves_the_notice(client):
    ann, _ = await member(client, "ann")
    ed, _ = await member(client, "eddie")
    eve, _ = await member(client, "eve")
    await create_account(client, ann, HANDLE, "The Herald")
    added = await client.post(
        f"{API}/public-accounts/{HANDLE}/editors", json={"username": "eddie"}, headers=ann
    )
    assert added.status_code == 201, added.text
    for who in (ed, eve):  # they see the account: 403
        answer = await _close(client, who, HANDLE)
        assert answer.status_code == 403 and answer.json()["error"]["code"] == "not_owner"
        assert (await _export(client, who)).status_code == 403
    assert (await _close(client, {}, HANDLE)).status_code == 401
    assert (await client.get(f"{API}/public-accounts/{HANDLE}")).status_code == 200
    await _close(client, ann, HANDLE)
    for who in (ed, eve):  # a closed account is its owner's alone
        assert (await _set_moved(client, who, NEW_HOME)).status_code == 404
        assert (await _export(client, who)).status_code == 404
    # Only the owner gets the form on the tombstone.
    ann_cookie = _cookie(ann)
    ed_cookie = _cookie(ed)
    assert 'id="moved-form"' in (await client.get(f"/a/{HANDLE}", headers=ann_cookie)).text
    assert 'id="moved-form"' not in (await client.get(f"/a/{HANDLE}", headers=ed_cookie)).text


async def test_a_spam_closure_allows_no_notice(app, client):
    ann, _ = await member(client, "ann")
    bob, _ = await member(client, "bob")
    account = await create_account(client, ann, HANDLE, "The Herald")
    await subscribe(client, bob, HANDLE)
    await _moderator_closes(app, client, account["id"], "spam", 4)
    refused = await _set_moved(client, ann, NEW_HOME)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "moved_notice_forbidden"
    assert "Spam and scams" in refused.json()["error"]["message"]
    assert (await client.get(f"{API}/feed", headers=bob)).json()["moved"] == []
    ann_cookie = _cookie(ann)
    stone = await client.get(f"/a/{HANDLE}", headers=ann_cookie)
    assert 'id="moved-forbidden"' in stone.text and 'id="moved-form"' not in stone.text


async def test_a_moderators_closure_under_another_policy_allows_it(app, client):
    ann, _ = await member(client, "ann")
    bob, _ = await member(client, "bob")
    account = await create_account(client, ann, HANDLE, "The Herald")
    await subscribe(client, bob, HANDLE)
    await _moderator_closes(app, client, account["id"], "harassment", 1)
    assert (await _set_moved(client, ann, NEW_HOME)).status_code == 200
    [notice] = (await client.get(f"{API}/feed", headers=bob)).json()["moved"]
    assert notice["to"] == NEW_HOME
    stone = await client.get(f"/a/{HANDLE}")
    assert "A moderator closed The Herald" in stone.text and 'id="moved-notice"' in stone.text
    atom = (await client.get(f"/a/{HANDLE}/feed.xml")).json()["error"]["message"]
    assert "Harassment and threats" in atom and f"It has moved to {NEW_HOME}" in atom


def _zip(answer: httpx.Response) -> zipfile.ZipFile:
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/zip"
    assert f"plaza-{HANDLE}-" in answer.headers["content-disposition"]
    return zipfile.ZipFile(io.BytesIO(answer.content))


def _json(archive: zipfile.ZipFile, name: str) -> Any:
    return json.loads(archive.read(name))


async def test_the_export_of_a_closed_account_with_a_suspended_owner(app, client, clock):
    ann, ann_id = await member(client, "ann")
    subscribers = [(await member(client, name))[0] for name in ("bob", "carl")]
    picture = await client.post(
        f"{API}/media", files={"file": ("p.png", pictures.png(), "image/png")}, headers=ann
    )
    media_id = picture.json()["id"]
    original = (await client.get(f"{API}/media/{media_id}", headers=ann)).content
    await create_account(client, ann, HANDLE, "每日先驱报")
    body = f"第一版\n\n![猫](/api/v1/media/{media_id})"
    article = await publish(client, ann, HANDLE, "标题: “新闻”", body=body)
    edited = await client.patch(
        f"{API}/articles/{article['id']}", json={"body": "第二版"}, headers=ann
    )
    assert edited.status_code == 200, edited.text
    unpublished = await draft(client, ann, HANDLE, "A draft", "not yet")
    await subscribe(client, subscribers[0], HANDLE)
    clock.advance(86400)
    await subscribe(client, subscribers[1], HANDLE)
    await _close(client, ann, HANDLE)
    # The owner is suspended too: the export is still theirs.
    await _moderator_suspends(app, client, ann_id)
    ann = await log_in(client, "ann")
    archive = _zip(await _export(client, ann))
    names = set(archive.namelist())

    account = _json(archive, "account.json")
    assert account["handle"] == HANDLE and account["name"] == "每日先驱报"
    assert account["status"] == "closed" and account["subscriber_count"] == 2
    history = _json(archive, "subscribers.json")
    assert [(d["subscribed"], d["total"]) for d in history] == [(1, 1), (1, 2)]
    rows = list(csv.DictReader(io.StringIO(archive.read("subscribers.csv").decode())))
    assert [r["total"] for r in rows] == ["1", "2"] and rows[0]["day"] == history[0]["day"]

    folder = f"articles/{article['id']}"
    data = _json(archive, f"{folder}/article.json")
    assert [r["number"] for r in data["revisions"]] == [1, 2]
    first, second = data["revisions"]
    picture_path = f"../../media/{media_id}.png"
    assert first["markdown"] == f"第一版\n\n![猫]({picture_path})"
    assert first["pictures"] == [picture_path] and second["markdown"] == "第二版"
    markdown = archive.read(f"{folder}/revision-1.md").decode()
    assert markdown.startswith('---\ntitle: "标题: “新闻”"\n')
    assert "revision: 1\n" in markdown and 'status: "published"' in markdown
    assert markdown.rstrip().endswith(f"![猫]({picture_path})")
    assert "第二版" in archive.read(f"{folder}/revision-2.md").decode()
    assert archive.read(f"media/{media_id}.png") == original
    draft_data = _json(archive, f"articles/{unpublished['id']}/article.json")
    assert draft_data["revisions"] == [] and draft_data["draft"]["markdown"] == "not yet"
    assert f"articles/{unpublished['id']}/draft.md" in names


async def _moderator_suspends(app: FastAPI, client: httpx.AsyncClient, person_id: int) -> None:
    tipster, _ = await member(client, "tipster2")
    assert (await report(client, tipster, "user", person_id)).status_code == 201
    moderator = await staff(app, client, "mod_susp")
    case = await case_of(client, moderator, "user", person_id)
    await claim(client, moderator, case["id"])
    answer = await decide(
        client, moderator, case["id"], action="suspend", policy_id="harassment", clause=1
    )
    assert answer.status_code == 200, answer.text


@pytest.fixture
async def server(settings, clock):
    async with serve_with_client(settings, clock) as running:
        yield running


async def test_an_open_feed_hears_the_owner_close_it(server):
    _, port, client = server
    ann, _ = await member(client, "ann")
    cat, _ = await member(client, "cat")
    await create_account(client, ann, HANDLE, "The Herald")
    await subscribe(client, cat, HANDLE)
    stream = await ArticleStream(port, cat).open()
    assert (await _close(client, ann, HANDLE)).status_code == 200
    closed = await stream.next("public_account.closed")
    assert closed["account"] == {"handle": HANDLE, "name": "The Herald"}
    fresh = await ArticleStream(port, cat).open()
    assert fresh.ready["public_accounts"] == {}  # no longer followed
    await fresh.close()
    await stream.close()
