"""The moments pages as a browser gets them: the timeline, a person's moments, the fragments
that moments.js asks for, and the labels page. Each shows a viewer only what the rules let
them see; forms need their CSRF token."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack

import httpx
import pytest

from tests.helpers import befriend, log_in
from tests.media.pictures import png
from tests.web.test_pages import csrf_of, sign_up

Person = tuple[httpx.AsyncClient, dict[str, str]]  # a browser with the cookie, API headers


@pytest.fixture
async def people(app) -> AsyncIterator[Callable]:
    """`await people("ann")`: signed up through the web form (a browser with its cookie) and
    signed in through the API (headers for set-up calls)."""
    async with AsyncExitStack() as stack:

        async def make(username: str, display_name: str | None = None) -> Person:
            browser = await stack.enter_async_context(
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app), base_url="http://plaza.test"
                )
            )
            answer = await sign_up(browser, username, display_name or username.title())
            assert answer.status_code == 303, answer.text
            return browser, await log_in(browser, username)

        yield make


async def post_moment(client: httpx.AsyncClient, who: dict, text: str, **body) -> dict:
    answer = await client.post("/api/v1/moments", json={"text": text, **body}, headers=who)
    assert answer.status_code == 201, answer.text
    return answer.json()


def texts(page: httpx.Response) -> list[str]:
    return re.findall(r'<p class="moment-text">([^<]*)</p>', page.text)


async def test_each_viewer_sees_what_the_rules_allow_and_opening_marks_seen(client, people):
    (ann, ann_api), (bob, bob_api), (carl, carl_api) = [
        await people(n) for n in ("ann", "bob", "carl")
    ]
    dave, _ = await people("dave")
    await befriend(client, ann_api, bob_api, "bob")
    await befriend(client, ann_api, carl_api, "carl")
    upload = await client.post(
        "/api/v1/media", files={"file": ("p.png", png(), "image/png")}, headers=ann_api
    )
    assert upload.status_code == 201, upload.text
    shared = await post_moment(client, ann_api, "for all friends")
    hidden = await post_moment(
        client,
        ann_api,
        "not for Carl <b>bold</b>",
        media_ids=[upload.json()["id"]],
        visibility={"mode": "except", "usernames": ["carl"]},
    )
    unseen = await client.get("/api/v1/moments/unseen", headers=bob_api)
    assert unseen.json() == {"count": 2}

    page = await bob.get("/moments")
    assert page.status_code == 200
    assert texts(page) == ["not for Carl &lt;b&gt;bold&lt;/b&gt;", "for all friends"]
    assert f'src="/api/v1/media/{upload.json()["id"]}/thumbnail"' in page.text
    assert 'alt="Picture 1 of 1 from Ann"' in page.text
    assert (await client.get("/api/v1/moments/unseen", headers=bob_api)).json() == {"count": 0}

    assert texts(await carl.get("/moments")) == ["for all friends"]
    assert (await carl.get(f"/moments/{hidden['id']}/card")).status_code == 404
    assert (await carl.get(f"/moments/{shared['id']}/card")).status_code == 200
    card = await bob.get(f"/moments/{hidden['id']}/card")
    assert card.status_code == 200 and texts(card) == ["not for Carl &lt;b&gt;bold&lt;/b&gt;"]

    # Ann's own view says whom each moment is shared with; Bob's does not.
    own = await ann.get(f"/moments/{hidden['id']}/card")
    assert "All friends except @carl" in own.text and "data-delete-moment" in own.text
    assert "All friends except" not in card.text and "data-delete-moment" not in card.text

    stranger = await dave.get("/u/ann/moments")
    assert stranger.status_code == 200
    assert texts(stranger) == [] and "Only friends of Ann can see their moments" in stranger.text
    assert texts(await carl.get("/u/ann/moments")) == ["for all friends"]
    assert (await dave.get("/u/nobody_here/moments")).status_code == 404


async def test_load_more_pages_through_the_timeline(client, people):
    (ann, ann_api) = await people("ann")
    for n in range(23):
        await post_moment(client, ann_api, f"moment {n}")
    page = await ann.get("/moments")
    assert texts(page) == [f"moment {n}" for n in range(22, 2, -1)]
    more = re.search(r'href="/moments\?cursor=([^"]+)" data-more', page.text)
    assert more
    rest = await ann.get(f"/moments/items?cursor={more.group(1)}")
    assert texts(rest) == ["moment 2", "moment 1", "moment 0"]
    assert "data-more" not in rest.text
    # Without JavaScript the link opens the older page itself.
    older = await ann.get(f"/moments?cursor={more.group(1)}")
    assert texts(older) == ["moment 2", "moment 1", "moment 0"]


async def test_signed_out_people_are_sent_to_sign_in(client):
    answer = await client.get("/moments")
    assert answer.status_code == 303 and answer.headers["location"] == "/signin?next=/moments"
    assert (await client.get("/labels")).headers["location"] == "/signin?next=/labels"
    assert (await client.get("/moments/items")).status_code == 404
    assert (await client.get("/moments/1/card")).status_code == 404


async def test_labels_are_created_edited_and_deleted_from_the_page(client, people):
    (ann, ann_api), (bob, bob_api), (_, carl_api) = [
        await people(n) for n in ("ann", "bob", "carl")
    ]
    await befriend(client, ann_api, bob_api, "bob")
    await befriend(client, ann_api, carl_api, "carl")
    page = await ann.get("/labels")
    token = csrf_of(page)
    assert 'value="bob"' in page.text and 'value="carl"' in page.text

    created = await ann.post(
        "/labels", data={"csrf_token": token, "action": "create", "name": "家人", "member": "bob"}
    )
    assert created.status_code == 303
    page = await ann.get(created.headers["location"])
    assert "Label “家人” created." in page.text
    [label] = (await client.get("/api/v1/labels", headers=ann_api)).json()["items"]
    assert label["name"] == "家人" and [m["username"] for m in label["members"]] == ["bob"]

    saved = await ann.post(
        "/labels",
        data={
            "csrf_token": token,
            "action": "save",
            "label": str(label["id"]),
            "name": "family",
            "member": ["bob", "carl"],
        },
    )
    assert "saved" in (await ann.get(saved.headers["location"])).text
    [label] = (await client.get("/api/v1/labels", headers=ann_api)).json()["items"]
    assert label["name"] == "family"
    assert sorted(m["username"] for m in label["members"]) == ["bob", "carl"]

    # A stranger in the list, someone else's label, a missing token: refused, nothing changes.
    refused = await ann.post(
        "/labels", data={"csrf_token": token, "action": "create", "name": "x", "member": "dave"}
    )
    assert "error=" in refused.headers["location"]
    theirs = await bob.post(
        "/labels",
        data={
            "csrf_token": csrf_of(await bob.get("/labels")),
            "action": "delete",
            "label": str(label["id"]),
        },
    )
    assert "no+such+label" in theirs.headers["location"]
    forged = await ann.post("/labels", data={"action": "delete", "label": str(label["id"])})
    assert forged.status_code == 403
    assert len((await client.get("/api/v1/labels", headers=ann_api)).json()["items"]) == 1

    deleted = await ann.post(
        "/labels", data={"csrf_token": token, "action": "delete", "label": str(label["id"])}
    )
    assert "Label deleted." in (await ann.get(deleted.headers["location"])).text
    assert (await client.get("/api/v1/labels", headers=ann_api)).json()["items"] == []
