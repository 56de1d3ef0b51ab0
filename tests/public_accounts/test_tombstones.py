"""Public tombstones (issue #12): at the address of an article moderation removed, or of a
public account it closed, anyone reads the policy and the clause's text, the date, whether
automated means or a moderator decided, and where an appeal stands; never who reported it,
who decided, nor the explanation written for the author. The Atom feed's 410 says the same
in its message."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from plaza.clock import FakeClock
from tests import moderated
from tests.moderation.helpers import (
    case_of,
    claim,
    decide,
    file_appeal,
    member,
    report,
    review,
    reviewer,
    staff,
)
from tests.public_accounts.helpers import create_account, publish

HANDLE = "herald"
SECRET = "Only for you: the third paragraph copies an advert."
CLAUSE_3 = "Do not post content that is mostly links, or links that deceive about where they lead."
CLAUSE_4 = "scams, phishing or fake giveaways"
HIDDEN = (SECRET, "tipster", "mod_tomb", "Bad news body")


async def _decided(
    app: FastAPI, client: httpx.AsyncClient, surface: str, ref_id: int, **ruling: Any
) -> int:
    """A reader reports it; a moderator decides: the action's id."""
    tipster, _ = await member(client, "tipster")
    assert (await report(client, tipster, surface, ref_id, "spam")).status_code == 201
    moderator = await staff(app, client, "mod_tomb")
    case = await case_of(client, moderator, surface, ref_id)
    assert (await claim(client, moderator, case["id"])).status_code == 200
    answer = await decide(client, moderator, case["id"], explanation=SECRET, **ruling)
    assert answer.status_code == 200, answer.text
    return int(answer.json()["action"]["id"])


@pytest.fixture
def settings(settings):
    return moderated.screening_settings(settings)


def _shown(page: httpx.Response, *texts: str) -> None:
    assert page.status_code == 410, page.text
    for text in texts:
        assert text in page.text, text
    for text in HIDDEN:
        assert text not in page.text, text


async def test_a_removed_articles_tombstone(app, client, clock: FakeClock):
    ann, ann_id = await member(client, "ann")
    await create_account(client, ann, HANDLE, "The Herald")
    article = await publish(client, ann, HANDLE, "Bad news", body="Bad news body")
    decided_on = clock.now().date().isoformat()
    action_id = await _decided(
        app, client, "article", article["id"], action="remove_content", policy_id="spam", clause=3
    )
    url = f"/a/{HANDLE}/{article['id']}"

    page = await client.get(url)
    _shown(
        page,
        "This article was removed",
        f"A moderator removed this article of The Herald (@{HANDLE}) on",
        decided_on,
        "Spam and scams",
        "clause 3",
        CLAUSE_3,
        "No appeal is pending.",
    )
    assert 'data-appeal="none"' in page.text

    appeal_id = await file_appeal(app, action_id, ann_id)
    # Being reviewed ("claimed") is still pending for the public.
    _shown(await client.get(url), "The author has appealed; the appeal is pending.")
    judge = await reviewer(app, "judge")
    await review(app, appeal_id, judge, "claimed")
    _shown(await client.get(url), "The author has appealed; the appeal is pending.")
    clock.advance(3 * 86400)
    await review(app, appeal_id, judge, "upheld")
    upheld = await client.get(url)
    _shown(
        upheld,
        f"The author appealed; on {clock.now().date().isoformat()} a moderator upheld the "
        "decision.",
        CLAUSE_3,
    )
    # The JSON API does not serve it to readers (a 404, as for any article one cannot see).
    assert (await client.get(f"/api/v1/articles/{article['id']}")).status_code == 404


async def test_an_automated_removal_says_so(app, client, clock: FakeClock):
    ann, _ = await member(client, "ann")
    await create_account(client, ann, HANDLE, "The Herald")
    await moderated.list_terms(app)
    article = await publish(client, ann, HANDLE, "Offer", body=f"cheap {moderated.REMOVED_TERM}")
    page = await client.get(f"/a/{HANDLE}/{article['id']}")
    _shown(
        page,
        "Automated moderation removed this article",
        clock.now().date().isoformat(),
        "Illegal goods and services",
        "clause 1",
    )
    assert moderated.REMOVED_TERM not in page.text


async def test_a_closed_accounts_tombstone_and_feed(app, client, clock: FakeClock):
    ann, ann_id = await member(client, "ann")
    account = await create_account(client, ann, HANDLE, "The Herald")
    article = await publish(client, ann, HANDLE, "Bad news", body="Bad news body")
    decided_on = clock.now().date().isoformat()
    action_id = await _decided(
        app,
        client,
        "public_account",
        account["id"],
        action="close_account",
        policy_id="spam",
        clause=4,
    )

    for url in (f"/a/{HANDLE}", f"/a/{HANDLE}/{article['id']}"):
        _shown(
            await client.get(url),
            "This public account was closed",
            f"A moderator closed The Herald (@{HANDLE}) on",
            decided_on,
            "Spam and scams",
            "clause 4",
            CLAUSE_4,
            "No appeal is pending.",
        )
    feed = await client.get(f"/a/{HANDLE}/feed.xml")
    assert feed.status_code == 410
    error = feed.json()["error"]
    assert error["code"] == "account_closed"
    assert error["message"].startswith(
        f"This account was closed by a moderator on {decided_on}, under the policy "
        "“Spam and scams”, clause 4: “Do not use new accounts"
    )
    assert not any(hidden in error["message"] for hidden in HIDDEN)
    assert "appeal" not in error["message"]

    appeal_id = await file_appeal(app, action_id, ann_id)
    _shown(await client.get(f"/a/{HANDLE}"), "The author has appealed; the appeal is pending.")
    feed = await client.get(f"/a/{HANDLE}/feed.xml")
    assert feed.json()["error"]["message"].endswith("An appeal is pending.")

    clock.advance(timedelta(days=2).total_seconds())
    await review(app, appeal_id, await reviewer(app, "judge"), "upheld")
    decided = clock.now().date().isoformat()
    _shown(
        await client.get(f"/a/{HANDLE}"),
        f"The author appealed; on {decided} a moderator upheld the decision.",
    )
    feed = await client.get(f"/a/{HANDLE}/feed.xml")
    assert feed.json()["error"]["message"].endswith(f"An appeal was decided on {decided}: upheld.")


async def test_a_tombstone_without_a_recorded_action_still_says_what_happened(app, client):
    """A state set by other means than an enforcement (an operator's tool, a test): no
    policy to cite, and the page does not invent one."""
    ann, _ = await member(client, "ann")
    account = await create_account(client, ann, HANDLE, "The Herald")
    await moderated.set_state(app, "public_account", account["id"], "removed")
    page = await client.get(f"/a/{HANDLE}")
    assert page.status_code == 410
    assert f"A moderator closed The Herald (@{HANDLE})." in page.text
    assert "tombstone-policy" not in page.text
