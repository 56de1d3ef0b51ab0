"""The media interface other domains use: attach, detach, refs_for (plaza.media.service)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from plaza.accounts.models import User
from plaza.errors import Invalid
from plaza.media import service
from plaza.media.models import Media
from tests.helpers import register


async def _upload_row(session, owner_id: int, n: int) -> int:
    """A media row as an upload leaves it (the bytes do not matter to this interface)."""
    media = Media(
        uploader_id=owner_id,
        sha256=f"{n:064x}",
        content_type="image/jpeg",
        width=100 + n,
        height=50,
        size_bytes=1000,
        thumb_sha256=f"{n + 1000:064x}",
        thumb_width=32,
        thumb_height=16,
        created_at=datetime.now(UTC),
    )
    session.add(media)
    await session.flush()
    return media.id


async def _people(client, app):
    await register(client, "ann")
    await register(client, "bob")
    async with app.state.runtime.sessions() as session:
        users = (await session.execute(select(User.username, User.id))).all()
    return {name: user_id for name, user_id in users}


async def test_attach_records_pictures_in_order_and_refs_for_reads_them(client, app):
    ids = await _people(client, app)
    async with app.state.runtime.sessions() as session:
        a, b, c = [await _upload_row(session, ids["ann"], n) for n in range(3)]
        refs = await service.attach(
            session, owner_id=ids["ann"], media_ids=[c, a, b], surface="message", ref_id=7, limit=9
        )
        await session.commit()
    assert [r.id for r in refs] == [c, a, b]
    assert refs[0].url == f"/api/v1/media/{c}"
    assert refs[0].thumbnail_url == f"/api/v1/media/{c}/thumbnail"
    assert (refs[0].width, refs[0].height, refs[0].content_type) == (102, 50, "image/jpeg")
    async with app.state.runtime.sessions() as session:
        found = await service.refs_for(session, surface="message", ref_ids=[7, 8])
        other_surface = await service.refs_for(session, surface="moment", ref_ids=[7])
    assert {k: [r.id for r in v] for k, v in found.items()} == {7: [c, a, b]}
    assert other_surface == {}
    async with app.state.runtime.sessions() as session:
        await service.detach(session, surface="message", ref_id=7)
        await session.commit()
        assert await service.refs_for(session, surface="message", ref_ids=[7]) == {}


@pytest.mark.parametrize("whose", ["unknown", "someone else's", "out of range"])
async def test_an_unknown_id_and_someone_elses_answer_the_same(client, app, whose):
    ids = await _people(client, app)
    async with app.state.runtime.sessions() as session:
        mine = await _upload_row(session, ids["ann"], 1)
        bobs = await _upload_row(session, ids["bob"], 2)
        bad = {"unknown": bobs + 100, "someone else's": bobs, "out of range": 2**40}[whose]
        with pytest.raises(Invalid) as refused:
            await service.attach(
                session,
                owner_id=ids["ann"],
                media_ids=[mine, bad],
                surface="moment",
                ref_id=1,
                limit=9,
            )
    assert refused.value.code == "unknown_media"
    assert refused.value.status == 422 and refused.value.field == "media_ids"
    assert str(bad) in refused.value.message


async def test_duplicates_and_too_many_are_refused(client, app):
    ids = await _people(client, app)
    async with app.state.runtime.sessions() as session:
        mine = [await _upload_row(session, ids["ann"], n) for n in range(4)]
        with pytest.raises(Invalid) as twice:
            await service.attach(
                session,
                owner_id=ids["ann"],
                media_ids=[mine[0], mine[1], mine[0]],
                surface="message",
                ref_id=1,
                limit=9,
            )
        with pytest.raises(Invalid) as many:
            await service.attach(
                session, owner_id=ids["ann"], media_ids=mine, surface="message", ref_id=1, limit=3
            )
        assert await service.refs_for(session, surface="message", ref_ids=[1]) == {}
    assert twice.value.code == "duplicate_media"
    assert many.value.code == "too_many_media"
