"""Public accounts through the API: handles (case, look-alikes, form), names, the directory
(Chinese included), the public account page, editors and verification."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from plaza.accounts.models import User
from plaza.public_accounts.handles import skeleton
from tests.public_accounts.helpers import API, create_account, people


@pytest.mark.parametrize(
    ("a", "b"),
    [("paypal", "paypa1"), ("microsoft", "rnicrosoft"), ("google", "g00gle"), ("mail", "rnail")],
)
def test_look_alike_handles_share_a_skeleton(a, b):
    assert skeleton(a) == skeleton(b)


@pytest.mark.parametrize(("a", "b"), [("plaza", "plazas"), ("abc", "abd"), ("news", "mews")])
def test_different_handles_keep_different_skeletons(a, b):
    assert skeleton(a) != skeleton(b)


async def test_a_handle_taken_in_another_case_or_by_a_look_alike_is_a_409(client):
    h = await people(client, "ann", "bob")
    await create_account(client, h["ann"], "PayPal")
    same = await client.post(
        f"{API}/public-accounts", json={"handle": "paypal", "name": "x"}, headers=h["bob"]
    )
    assert same.status_code == 409
    assert same.json()["error"]["code"] == "handle_taken"
    alike = await client.post(
        f"{API}/public-accounts", json={"handle": "paypa1", "name": "x"}, headers=h["bob"]
    )
    assert alike.status_code == 409
    error = alike.json()["error"]
    assert error["code"] == "handle_confusable" and "'paypal'" in error["message"]
    assert error["field"] == "handle"
    # The account answers to any case of its handle.
    answer = await client.get(f"{API}/public-accounts/PAYPAL")
    assert answer.status_code == 200 and answer.json()["handle"] == "paypal"


@pytest.mark.parametrize("handle", ["ab", "a" * 31, "has space", "ünï", "dash-ed"])
async def test_a_malformed_handle_is_a_422(client, handle):
    h = await people(client, "ann")
    answer = await client.post(
        f"{API}/public-accounts", json={"handle": handle, "name": "x"}, headers=h["ann"]
    )
    assert answer.status_code == 422
    assert answer.json()["error"]["field"].endswith("handle")


async def test_names_follow_the_display_name_rules(client):
    h = await people(client, "ann")
    wide = await create_account(client, h["ann"], "wide", "Ｐｌａｚａ  Ｎｅｗｓ")
    assert wide["name"] == "Plaza News"  # NFKC, spaces collapsed
    for bad in ("Аpple", "a\u202eb", "   "):
        answer = await client.post(
            f"{API}/public-accounts", json={"handle": "other", "name": bad}, headers=h["ann"]
        )
        assert answer.status_code == 422, bad
        assert answer.json()["error"]["field"] == "name"


async def test_the_directory_finds_chinese_names_and_handles_signed_out(client):
    h = await people(client, "ann")
    await create_account(client, h["ann"], "daily_news", "每日新闻")
    await create_account(client, h["ann"], "tech_weekly", "Tech Weekly")
    await create_account(client, h["ann"], "sports", "体育")

    async def found(q: str) -> list[str]:
        answer = await client.get(f"{API}/public-accounts", params={"q": q})
        assert answer.status_code == 200, answer.text
        return [a["handle"] for a in answer.json()["items"]]

    assert await found("新闻") == ["daily_news"]
    assert await found("WEEKLY") == ["tech_weekly"]
    assert await found("_news") == ["daily_news"]  # "_" is not a wildcard
    assert await found("%") == []
    assert await found("") == ["sports", "tech_weekly", "daily_news"]
    first = (await client.get(f"{API}/public-accounts", params={"limit": 2})).json()
    rest = (
        await client.get(f"{API}/public-accounts", params={"cursor": first["next_cursor"]})
    ).json()
    assert [a["handle"] for a in first["items"] + rest["items"]] == [
        "sports",
        "tech_weekly",
        "daily_news",
    ]


async def test_the_owner_manages_editors_and_editors_write(client):
    h = await people(client, "ann", "bob", "cat")
    await create_account(client, h["ann"], "team")
    base = f"{API}/public-accounts/team"
    assert (
        await client.post(f"{base}/editors", json={"username": "cat"}, headers=h["bob"])
    ).status_code == 403
    assert (
        await client.post(f"{base}/editors", json={"username": "bob"}, headers=h["ann"])
    ).status_code == 201
    draft = await client.post(f"{base}/articles", json={"title": "By Bob"}, headers=h["bob"])
    assert draft.status_code == 201
    assert (await client.get(f"{base}", headers=h["bob"])).json()["role"] == "editor"
    # An editor may not add editors; the owner removes them and their drafts close to them.
    assert (
        await client.post(f"{base}/editors", json={"username": "cat"}, headers=h["bob"])
    ).status_code == 403
    assert (await client.delete(f"{base}/editors/bob", headers=h["ann"])).status_code == 204
    assert (await client.delete(f"{base}/editors/bob", headers=h["ann"])).status_code == 404
    gone = await client.get(f"{API}/articles/{draft.json()['id']}", headers=h["bob"])
    assert gone.status_code == 404
    refused = await client.post(f"{base}/articles", json={"title": "x"}, headers=h["bob"])
    assert refused.status_code == 403


async def test_only_admins_mark_an_account_verified(client, app):
    h = await people(client, "ann", "root")
    await create_account(client, h["ann"], "brand")
    path = f"{API}/public-accounts/brand/verified"
    assert (await client.put(path, json={"verified": True}, headers=h["ann"])).status_code == 403
    async with app.state.runtime.sessions() as session:
        await session.execute(update(User).where(User.username == "root").values(role="admin"))
        await session.commit()
    answer = await client.put(path, json={"verified": True}, headers=h["root"])
    assert answer.status_code == 200 and answer.json()["verified"] is True
    assert (await client.get(f"{API}/public-accounts/brand")).json()["verified"] is True
