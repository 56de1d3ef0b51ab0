"""Articles through the API: drafts, publishing, revisions, reading signed out, likes, reads,
the daily publishing limit, sizes, and permissions."""

from __future__ import annotations

from tests.public_accounts.helpers import API, create_account, draft, people, publish, subscribe


async def test_draft_publish_read_signed_out_and_revisions(client):
    h = await people(client, "ann", "bob")
    await create_account(client, h["ann"], "daily_news", "每日新闻")
    article = await draft(client, h["ann"], "daily_news", "First", "# Hello\n\n**bold**")
    assert article["status"] == "draft"
    assert "<strong>bold</strong>" in article["html"]
    # A draft is nobody else's business: 404, like an id nothing has.
    for who in (h["bob"], {}):
        answer = await client.get(f"{API}/articles/{article['id']}", headers=who)
        assert answer.status_code == 404
    published = (
        await client.post(f"{API}/articles/{article['id']}/publish", headers=h["ann"])
    ).json()
    assert published["status"] == "published" and published["revision"] == 1
    signed_out = await client.get(f"{API}/articles/{article['id']}")
    assert signed_out.status_code == 200
    assert signed_out.json()["body"] is None  # the Markdown source is for editors
    edit = await client.patch(
        f"{API}/articles/{article['id']}", json={"body": "changed"}, headers=h["ann"]
    )
    assert edit.status_code == 200 and edit.json()["revision"] == 2
    revisions = (
        await client.get(f"{API}/articles/{article['id']}/revisions", headers=h["ann"])
    ).json()
    assert [r["number"] for r in revisions["items"]] == [2, 1]
    assert revisions["items"][1]["body"] == "# Hello\n\n**bold**"
    assert (
        await client.get(f"{API}/articles/{article['id']}/revisions", headers=h["bob"])
    ).status_code == 403


async def test_feed_is_newest_first_across_subscriptions(client, clock):
    h = await people(client, "ann", "bob", "cat")
    await create_account(client, h["ann"], "alpha")
    await create_account(client, h["bob"], "beta")
    await create_account(client, h["bob"], "gamma")
    await subscribe(client, h["cat"], "alpha")
    await subscribe(client, h["cat"], "beta")
    titles = []
    for i, (who, handle) in enumerate([("ann", "alpha"), ("bob", "beta"), ("bob", "gamma")] * 3):
        clock.advance(60)
        await publish(client, h[who], handle, f"{handle} {i}")
        titles.append(f"{handle} {i}")
    expected = [t for t in reversed(titles) if not t.startswith("gamma")]
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = (await client.get(f"{API}/feed", params=params, headers=h["cat"])).json()
        seen += [a["title"] for a in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == expected
