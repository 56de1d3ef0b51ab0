"""Pictures of public accounts: an article's cover and body pictures and an account's avatar
are attached when stored, must be the writer's uploads, and are public once published (signed
out too); a draft's are for its editors."""

from __future__ import annotations

import httpx

from tests.media import pictures
from tests.public_accounts.helpers import API, create_account, people


async def _upload(client: httpx.AsyncClient, who: dict[str, str]) -> int:
    answer = await client.post(
        f"{API}/media", files={"file": ("p.png", pictures.png(), "image/png")}, headers=who
    )
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


async def test_article_pictures_are_public_once_published(client):
    h = await people(client, "ann", "bob")
    avatar = await _upload(client, h["ann"])
    cover = await _upload(client, h["ann"])
    inline = await _upload(client, h["ann"])
    account = await create_account(client, h["ann"], "pics", avatar_media_id=avatar)
    assert account["avatar"]["id"] == avatar
    assert (await client.get(f"{API}/media/{avatar}")).status_code == 200  # signed out
    answer = await client.post(
        f"{API}/public-accounts/pics/articles",
        json={"title": "t", "body": f"![a cat](/api/v1/media/{inline})", "cover_media_id": cover},
        headers=h["ann"],
    )
    assert answer.status_code == 201, answer.text
    article = answer.json()
    assert article["cover"]["id"] == cover
    assert f'src="/api/v1/media/{inline}"' in article["html"]
    for media_id in (cover, inline):
        assert (await client.get(f"{API}/media/{media_id}", headers=h["bob"])).status_code == 404
        assert (await client.get(f"{API}/media/{media_id}")).status_code == 401
    assert (
        await client.post(f"{API}/articles/{article['id']}/publish", headers=h["ann"])
    ).status_code == 200
    for media_id in (cover, inline):
        assert (await client.get(f"{API}/media/{media_id}")).status_code == 200
        assert (
            await client.get(f"{API}/media/{media_id}/thumbnail", headers=h["bob"])
        ).status_code == 200
    # Taken down: its pictures are private again.
    assert (
        await client.delete(f"{API}/articles/{article['id']}", headers=h["ann"])
    ).status_code == 204
    assert (await client.get(f"{API}/media/{inline}")).status_code == 401
    assert (await client.get(f"{API}/media/{inline}", headers=h["bob"])).status_code == 404


async def test_someone_elses_picture_is_refused_and_nothing_is_kept(client):
    h = await people(client, "ann", "bob")
    theirs = await _upload(client, h["bob"])
    await create_account(client, h["ann"], "strict")
    for body in (
        {"title": "t", "body": f"![x](/api/v1/media/{theirs})"},
        {"title": "t", "cover_media_id": theirs},
        {"title": "t", "cover_media_id": 987654},
    ):
        answer = await client.post(
            f"{API}/public-accounts/strict/articles", json=body, headers=h["ann"]
        )
        assert answer.status_code == 422, answer.text
        assert answer.json()["error"]["code"] == "unknown_media"
    drafts = await client.get(
        f"{API}/public-accounts/strict/articles", params={"drafts": "true"}, headers=h["ann"]
    )
    assert drafts.json()["items"] == []
    avatar = await client.post(
        f"{API}/public-accounts",
        json={"handle": "other", "name": "x", "avatar_media_id": theirs},
        headers=h["ann"],
    )
    assert avatar.status_code == 422
    assert (await client.get(f"{API}/public-accounts/other")).status_code == 404
