"""Sharing an article into a moment as a card: title, cover, account and link, following the
article's state (a removed article's card says so and shows nothing of it); only published
articles can be shared."""

from __future__ import annotations

from tests.helpers import befriend
from tests.public_accounts.helpers import API, create_account, draft, people, publish


async def test_a_moment_shares_an_article_as_a_card_that_follows_it(client):
    h = await people(client, "ann", "bob")
    await befriend(client, h["ann"], h["bob"], "bob")
    await create_account(client, h["ann"], "cards", "Card News")
    article = await publish(client, h["ann"], "cards", "Worth reading")
    posted = await client.post(
        f"{API}/moments", json={"text": "", "article_id": article["id"]}, headers=h["bob"]
    )
    assert posted.status_code == 201, posted.text
    assert posted.json()["card"] == {
        "article_id": article["id"],
        "state": "published",
        "title": "Worth reading",
        "cover": None,
        "account": {"handle": "cards", "name": "Card News"},
        "url": f"/a/cards/{article['id']}",
    }
    timeline = (await client.get(f"{API}/moments/timeline", headers=h["ann"])).json()
    assert timeline["items"][0]["card"]["title"] == "Worth reading"
    assert (
        await client.delete(f"{API}/articles/{article['id']}", headers=h["ann"])
    ).status_code == 204
    moment = (await client.get(f"{API}/moments/{posted.json()['id']}", headers=h["ann"])).json()
    assert moment["card"] == {
        "article_id": article["id"],
        "state": "removed",
        "title": None,
        "cover": None,
        "account": None,
        "url": None,
    }
    plain = (await client.post(f"{API}/moments", json={"text": "no card"}, headers=h["bob"])).json()
    assert plain["card"] is None


async def test_only_published_articles_can_be_shared(client):
    h = await people(client, "ann", "bob")
    await create_account(client, h["ann"], "drafty")
    unpublished = await draft(client, h["ann"], "drafty", "not yet")
    for article_id in (unpublished["id"], 987654):
        answer = await client.post(
            f"{API}/moments", json={"text": "look", "article_id": article_id}, headers=h["bob"]
        )
        assert answer.status_code == 422
        assert answer.json()["error"]["code"] == "unknown_article"
    timeline = (await client.get(f"{API}/moments/timeline", headers=h["bob"])).json()
    assert timeline["items"] == []


async def test_a_chat_message_shares_an_article_as_a_card_that_follows_it(client):
    h = await people(client, "ann", "bob")
    await befriend(client, h["ann"], h["bob"], "bob")
    await create_account(client, h["ann"], "chatty", "Chatty News")
    article = await publish(client, h["ann"], "chatty", "Read this")
    chat = await client.post(
        f"{API}/conversations", json={"kind": "direct", "members": ["bob"]}, headers=h["ann"]
    )
    url = f"{API}/conversations/{chat.json()['id']}/messages"
    sent = await client.post(
        url, json={"client_id": "c1", "text": "", "article_id": article["id"]}, headers=h["ann"]
    )
    assert sent.status_code == 201, sent.text
    assert sent.json()["card"]["title"] == "Read this"
    assert sent.json()["card"]["url"] == f"/a/chatty/{article['id']}"
    history = (await client.get(url, headers=h["bob"])).json()["items"]
    assert history[-1]["card"]["account"] == {"handle": "chatty", "name": "Chatty News"}
    await client.delete(f"{API}/articles/{article['id']}", headers=h["ann"])
    history = (await client.get(url, headers=h["bob"])).json()["items"]
    assert history[-1]["card"]["state"] == "removed"
    assert history[-1]["card"]["title"] is None
    refused = await client.post(
        url, json={"client_id": "c2", "text": "x", "article_id": article["id"]}, headers=h["ann"]
    )
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "unknown_article"
    plain = await client.post(url, json={"client_id": "c3", "text": "hi"}, headers=h["ann"])
    assert plain.json()["card"] is None
