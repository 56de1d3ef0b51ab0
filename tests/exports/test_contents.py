"""What a data export holds: everything the person wrote, with the context they were party
to, readable offline; and nothing of anyone else's private content, nor who reported them or
which moderator decided (every file of the zip is searched for marker strings)."""

from __future__ import annotations

import json
import re

import httpx
from fastapi import FastAPI

from plaza.moderation.models import Action, Appeal, Notice
from plaza.runtime import Runtime
from tests.exports.helpers import export_zip
from tests.helpers import befriend, group, register, send
from tests.media.pictures import save, two_halves
from tests.moderation.helpers import staff
from tests.public_accounts.helpers import create_account, publish

API = "/api/v1"
# Someone else's private content: none of it may be anywhere in alice's zip.
CAROL_DM = "mkCarolDirectSecret"
GROUP_WITHOUT_ALICE = "mkGroupWithoutAlice"
BOB_MOMENT = "mkBobFriendsOnlyMoment"
BOB_COMMENT = "mkBobCommentOnAlice"
REPORTER_DETAILS = "mkReporterSaid"
RENAMED_AFTER_SHE_LEFT = "mkRenamedAfterSheLeft"
FORBIDDEN = (
    CAROL_DM,
    GROUP_WITHOUT_ALICE,
    BOB_MOMENT,
    BOB_COMMENT,
    REPORTER_DETAILS,
    RENAMED_AFTER_SHE_LEFT,
)
# Alice's own writing, and the context she was party to.
ALICE_MESSAGE = "mkAliceAnswer 你好"
BOB_QUESTION = "mkBobQuestion"
ALICE_MOMENT = "mkAliceMoment 今天天气很好"
ALICE_COMMENT = "mkAliceComment"
ARTICLE_V1, ARTICLE_V2 = "mkArticleFirst", "mkArticleSecond"
APPEAL_TEXT = "mkAliceAppeal"
EXPLANATION = "mkReviewerExplained"


async def _picture(client: httpx.AsyncClient, who: dict[str, str]) -> dict:
    files = {"file": ("p.png", save(two_halves(), "PNG"), "image/png")}
    answer = await client.post(f"{API}/media", files=files, headers=who)
    assert answer.status_code == 201, answer.text
    return answer.json()


async def _notice_with_appeal(app: FastAPI, alice_id: int, moderator_id: int) -> None:
    """A notice to alice with an appeal a moderator decided, as enforcement and appeals
    record them; the statement names the moderator and a reporter as no statement should."""
    runtime: Runtime = app.state.runtime
    now = runtime.clock.now()
    async with runtime.sessions() as session:
        action = Action(
            surface="moment",
            ref_id=1,
            subject_id=alice_id,
            action="remove_content",
            policy_id="spam",
            source="report",
            moderator_id=moderator_id,
            report_count=1,
            created_at=now,
        )
        session.add(action)
        await session.flush()
        notice = Notice(
            user_id=alice_id,
            action_id=action.id,
            kind="enforcement",
            statement={
                "policy": {"id": "spam", "title": "Spam and scams"},
                "facts": {"report_count": 1, "moderator_explanation": "mkStatementFacts"},
                "moderator_id": moderator_id,
                "moderator": "mk_mod_name",
                "reporters": [{"details": REPORTER_DETAILS}],
            },
            created_at=now,
        )
        session.add(notice)
        await session.flush()
        session.add(
            Appeal(
                notice_id=notice.id,
                action_id=action.id,
                appellant_id=alice_id,
                text=APPEAL_TEXT,
                state="reversed",
                reviewer_id=moderator_id,
                explanation=EXPLANATION,
                created_at=now,
                decided_at=now,
            )
        )
        await session.commit()


async def test_the_zip_holds_what_alice_wrote_and_nothing_private_of_others(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    alice = await register(client, "alice", "爱丽丝")
    bob = await register(client, "bob", "Bob")
    carol = await register(client, "carol", "Carol")
    dave = await register(client, "dave", "Dave")
    await befriend(client, alice, bob, "bob")
    await befriend(client, bob, carol, "carol")
    await befriend(client, bob, dave, "dave")
    me = (await client.get(f"{API}/me", headers=alice)).json()

    # A chat alice is in: bob asks, alice answers with a picture, replying to him.
    talk = await client.post(
        f"{API}/conversations", json={"kind": "direct", "members": ["bob"]}, headers=alice
    )
    question = await send(client, bob, talk.json()["id"], BOB_QUESTION, "q1")
    picture = await _picture(client, alice)
    answer = await client.post(
        f"{API}/conversations/{talk.json()['id']}/messages",
        json={
            "client_id": "a1",
            "text": ALICE_MESSAGE,
            "reply_to": question["id"],
            "media_ids": [picture["id"]],
        },
        headers=alice,
    )
    assert answer.status_code == 201, answer.text
    # Chats alice is not in.
    other = await client.post(
        f"{API}/conversations", json={"kind": "direct", "members": ["carol"]}, headers=bob
    )
    await send(client, carol, other.json()["id"], CAROL_DM, "c1")
    circle = await group(client, bob, ["carol", "dave"], "bob's circle")
    await send(client, dave, circle["id"], GROUP_WITHOUT_ALICE, "d1")
    # A group alice wrote in and left: what it became afterwards is not hers to know.
    old = await group(client, bob, ["alice"], "old group")
    await send(client, alice, old["id"], "mkAliceInTheOldGroup", "o1")
    left = await client.delete(f"{API}/conversations/{old['id']}/members/alice", headers=alice)
    assert left.status_code == 204, left.text
    renamed = await client.patch(
        f"{API}/conversations/{old['id']}", json={"title": RENAMED_AFTER_SHE_LEFT}, headers=bob
    )
    assert renamed.status_code == 200, renamed.text

    # Bob's friends-only moment, which alice sees and comments on; alice's own moment, which
    # bob comments on.
    bobs = await client.post(f"{API}/moments", json={"text": BOB_MOMENT}, headers=bob)
    comment = await client.post(
        f"{API}/moments/{bobs.json()['id']}/comments", json={"text": ALICE_COMMENT}, headers=alice
    )
    assert comment.status_code == 201, comment.text
    mine = await client.post(
        f"{API}/moments", json={"text": ALICE_MOMENT, "media_ids": [picture["id"]]}, headers=alice
    )
    assert mine.status_code == 201, mine.text
    theirs = await client.post(
        f"{API}/moments/{mine.json()['id']}/comments", json={"text": BOB_COMMENT}, headers=bob
    )
    assert theirs.status_code == 201, theirs.text

    # Alice's public account and an article she edited after publishing it.
    await create_account(client, alice, "alice_news", "爱丽丝新闻")
    article = await publish(client, alice, "alice_news", ARTICLE_V1, "first body")
    edited = await client.patch(
        f"{API}/articles/{article['id']}",
        json={"title": ARTICLE_V2, "body": "second body"},
        headers=alice,
    )
    assert edited.status_code == 200, edited.text

    await staff(app, client, "mk_mod_name")
    mod_id = (await client.get(f"{API}/users/mk_mod_name", headers=alice)).json()["id"]
    await _notice_with_appeal(app, me["id"], mod_id)

    files = await export_zip(client, alice)

    every = "\n".join(data.decode("utf-8", "replace") for data in files.values())
    leaked = [m for m in (*FORBIDDEN, "mk_mod_name", "moderator_id") if m in every]
    assert leaked == []

    profile = json.loads(files["profile.json"])
    assert profile["username"] == "alice" and profile["display_name"] == "爱丽丝"
    friends = json.loads(files["friends.json"])["friends"]
    assert [f["username"] for f in friends] == ["bob"] and friends[0]["since"]

    conversation, gone = json.loads(files["messages.json"])["conversations"]
    assert conversation["kind"] == "direct" and conversation["members"] == ["alice", "bob"]
    assert gone["member"] is False and gone["members"] == [] and gone["title"] == ""
    assert [m["text"] for m in gone["messages"]] == ["mkAliceInTheOldGroup"]
    [message] = conversation["messages"]
    assert message["text"] == ALICE_MESSAGE
    assert message["reply_to"]["text"] == BOB_QUESTION and message["reply_to"]["sender"] == "bob"
    [shown] = message["pictures"]
    # The picture's bytes, as the server serves them, under the path the JSON names.
    served = await client.get(f"{API}/media/{picture['id']}", headers=alice)
    assert files[shown["file"]] == served.content

    moments = json.loads(files["moments.json"])
    [moment] = moments["moments"]
    assert moment["text"] == ALICE_MOMENT and moment["comment_count"] == 1
    [written] = moments["comments"]
    assert written["text"] == ALICE_COMMENT and written["moment_author"] == "bob"

    accounts = json.loads(files["public_accounts.json"])
    assert [a["handle"] for a in accounts["accounts"]] == ["alice_news"]
    [article_out] = accounts["articles"]
    assert article_out["title"] == ARTICLE_V2
    assert [r["title"] for r in article_out["revisions"]] == [ARTICLE_V1, ARTICLE_V2]

    moderation = json.loads(files["moderation.json"])
    [notice] = moderation["notices"]
    assert notice["statement"]["policy"]["id"] == "spam"
    assert notice["statement"]["facts"]["moderator_explanation"] == "mkStatementFacts"
    [appeal] = moderation["appeals"]
    assert appeal["text"] == APPEAL_TEXT and appeal["state"] == "reversed"
    assert appeal["explanation"] == EXPLANATION

    # index.html reads offline: everything is inline or beside it in the zip.
    index = files["index.html"].decode()
    for text in (ALICE_MESSAGE, ALICE_MOMENT, ARTICLE_V1, APPEAL_TEXT, "爱丽丝", BOB_QUESTION):
        assert text in index, text
    assert "<script" not in index.lower()
    links = re.findall(r'(?:src|href)="([^"]*)"', index)
    assert links and all(not re.match(r"^[a-z]+:|^//|^/", link) for link in links), links
    assert all(link.startswith("#") or link in files for link in links), links
    assert shown["file"] in links
