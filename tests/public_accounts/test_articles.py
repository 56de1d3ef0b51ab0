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


async def test_publishing_over_the_daily_limit_is_a_429_that_says_when_and_keeps_the_draft(
    client, clock, settings
):
    settings.articles_per_account_per_day = 2
    h = await people(client, "ann")
    await create_account(client, h["ann"], "busy")
    await publish(client, h["ann"], "busy", "one")
    clock.advance(3600)
    await publish(client, h["ann"], "busy", "two")
    clock.advance(3600)
    third = await draft(client, h["ann"], "busy", "three", "**kept**")
    refused = await client.post(f"{API}/articles/{third['id']}/publish", headers=h["ann"])
    assert refused.status_code == 429
    # The first left the window 24 h after it came out: 22 h from now.
    assert int(refused.headers["retry-after"]) == 22 * 3600
    message = refused.json()["error"]["message"]
    assert "2026-01-02T00:00:00+00:00" in message and "24 hours" in message
    kept = (await client.get(f"{API}/articles/{third['id']}", headers=h["ann"])).json()
    assert (kept["status"], kept["title"], kept["body"]) == ("draft", "three", "**kept**")
    assert kept["published_at"] is None and kept["revision"] == 0
    clock.advance(22 * 3600)
    again = await client.post(f"{API}/articles/{third['id']}/publish", headers=h["ann"])
    assert again.status_code == 200


async def test_a_removed_article_still_counts_against_the_daily_limit(client, clock, settings):
    settings.articles_per_account_per_day = 1
    h = await people(client, "ann")
    await create_account(client, h["ann"], "busy")
    first = await publish(client, h["ann"], "busy", "one")
    removed = await client.delete(f"{API}/articles/{first['id']}", headers=h["ann"])
    assert removed.status_code == 204
    second = await draft(client, h["ann"], "busy", "two")
    refused = await client.post(f"{API}/articles/{second['id']}/publish", headers=h["ann"])
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) == 24 * 3600


async def test_sizes_are_settings_and_a_too_large_publish_keeps_the_draft(client, settings):
    h = await people(client, "ann")
    await create_account(client, h["ann"], "sized")
    settings.article_title_max_chars = 10
    settings.article_body_max_chars = 20
    base = f"{API}/public-accounts/sized/articles"
    long_title = await client.post(base, json={"title": "x" * 11}, headers=h["ann"])
    assert long_title.status_code == 422 and long_title.json()["error"]["field"] == "title"
    long_body = await client.post(base, json={"title": "t", "body": "x" * 21}, headers=h["ann"])
    assert long_body.status_code == 413 and long_body.json()["error"]["field"] == "body"
    article = await draft(client, h["ann"], "sized", "t", "x" * 20)
    settings.article_body_max_chars = 10  # lowered since the draft was written
    refused = await client.post(f"{API}/articles/{article['id']}/publish", headers=h["ann"])
    assert refused.status_code == 413
    kept = (await client.get(f"{API}/articles/{article['id']}", headers=h["ann"])).json()
    assert kept["status"] == "draft" and kept["body"] == "x" * 20


async def test_only_the_owner_and_editors_write_and_drafts_are_invisible(client):
    h = await people(client, "ann", "bob")
    await create_account(client, h["ann"], "mine")
    refused = await client.post(
        f"{API}/public-accounts/mine/articles", json={"title": "x"}, headers=h["bob"]
    )
    assert refused.status_code == 403
    secret = await draft(client, h["ann"], "mine", "secret draft")
    ghost = await client.get(f"{API}/articles/987654", headers=h["bob"])
    for method, suffix, body in [
        ("GET", "", None),
        ("PATCH", "", {"title": "mine now"}),
        ("DELETE", "", None),
        ("POST", "/publish", None),
        ("GET", "/revisions", None),
        ("POST", "/like", None),
    ]:
        answer = await client.request(
            method, f"{API}/articles/{secret['id']}{suffix}", json=body, headers=h["bob"]
        )
        assert answer.status_code == 404, (method, suffix)
        assert answer.json() == ghost.json()
        assert "secret draft" not in answer.text
    drafts = await client.get(
        f"{API}/public-accounts/mine/articles", params={"drafts": "true"}, headers=h["bob"]
    )
    assert drafts.json()["items"] == []
    published = await publish(client, h["ann"], "mine", "public")
    for method, suffix in [("PATCH", ""), ("DELETE", ""), ("POST", "/publish")]:
        answer = await client.request(
            method, f"{API}/articles/{published['id']}{suffix}", json={}, headers=h["bob"]
        )
        assert answer.status_code == 403, (method, suffix)
    own = await client.get(
        f"{API}/public-accounts/mine/articles", params={"drafts": "true"}, headers=h["ann"]
    )
    assert [a["title"] for a in own.json()["items"]] == ["secret draft"]


async def test_reads_count_once_per_reader_likes_once_each(client):
    h = await people(client, "ann", "bob")
    await create_account(client, h["ann"], "counted")
    article = await publish(client, h["ann"], "counted", "read me")
    url = f"{API}/articles/{article['id']}"
    for _ in range(3):
        await client.get(url, headers=h["bob"])
    await client.get(url)
    await client.get(url)
    assert (await client.get(url, headers=h["bob"])).json()["read_count"] == 3  # bob + 2 anon
    assert (await client.post(f"{url}/like", headers=h["bob"])).json()["like_count"] == 1
    liked = (await client.post(f"{url}/like", headers=h["bob"])).json()
    assert (liked["like_count"], liked["liked"]) == (1, True)
    assert (await client.post(f"{url}/like")).status_code == 401
    unliked = (await client.delete(f"{url}/like", headers=h["bob"])).json()
    assert (unliked["like_count"], unliked["liked"]) == (0, False)


async def test_statistics_count_subscribers_per_day_and_reads(client, clock):
    h = await people(client, "ann", "bob", "cat")
    await create_account(client, h["ann"], "stats")
    article = await publish(client, h["ann"], "stats", "counted")
    await subscribe(client, h["bob"], "stats")
    await subscribe(client, h["cat"], "stats")
    await client.get(f"{API}/articles/{article['id']}", headers=h["bob"])
    clock.advance(86400)
    await client.delete(f"{API}/public-accounts/stats/subscription", headers=h["bob"])
    await client.delete(f"{API}/public-accounts/stats/subscription", headers=h["bob"])  # again
    answer = await client.get(f"{API}/public-accounts/stats/stats", headers=h["ann"])
    assert answer.status_code == 200
    stats = answer.json()
    assert stats["subscriber_count"] == 1
    assert [(d["day"], d["subscribed"], d["unsubscribed"], d["total"]) for d in stats["days"]] == [
        ("2026-01-01", 2, 0, 2),
        ("2026-01-02", 0, 1, 1),
    ]
    assert [(a["title"], a["read_count"]) for a in stats["articles"]] == [("counted", 1)]
    refused = await client.get(f"{API}/public-accounts/stats/stats", headers=h["bob"])
    assert refused.status_code == 403


async def test_preview_renders_like_publishing_and_stores_nothing(client):
    h = await people(client, "ann")
    answer = await client.post(
        f"{API}/articles/preview",
        json={"body": "**hi** <script>alert(1)</script>"},
        headers=h["ann"],
    )
    assert answer.status_code == 200
    assert (
        answer.json()["html"]
        == "<p><strong>hi</strong> &lt;script&gt;alert(1)&lt;/script&gt;</p>\n"
    )
    assert (await client.post(f"{API}/articles/preview", json={"body": "x"})).status_code == 401
