"""The Atom feed of a public account: valid Atom (RFC 4287's required elements), newest
first, published articles only, sanitized HTML content with absolute links, no sign-in."""

from __future__ import annotations

from xml.etree import ElementTree

from tests.public_accounts.helpers import API, create_account, draft, people, publish
from tests.public_accounts.test_render import _safe

NS = {"atom": "http://www.w3.org/2005/Atom"}


async def test_the_feed_is_valid_atom_of_published_articles(client, clock):
    h = await people(client, "ann")
    await create_account(client, h["ann"], "feedy", "每日 Feed", description="About things")
    first = await publish(client, h["ann"], "feedy", "First")
    clock.advance(60)
    second = await publish(
        client,
        h["ann"],
        "feedy",
        "Second <b>",
        "Hello [home](/a/feedy) <script>alert(1)</script> ![x](javascript:alert(1))",
    )
    await draft(client, h["ann"], "feedy", "Unpublished draft")
    answer = await client.get("/a/FEEDY/feed.xml")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/atom+xml")
    root = ElementTree.fromstring(answer.content)
    assert root.tag == "{http://www.w3.org/2005/Atom}feed"
    for required in ("atom:id", "atom:title", "atom:updated", "atom:author/atom:name"):
        assert root.find(required, NS) is not None, required
    assert root.findtext("atom:title", namespaces=NS) == "每日 Feed"
    self_link = root.find("atom:link[@rel='self']", NS)
    assert self_link is not None and self_link.get("href") == "http://plaza.test/a/feedy/feed.xml"
    entries = root.findall("atom:entry", NS)
    assert [e.findtext("atom:title", namespaces=NS) for e in entries] == ["Second <b>", "First"]
    for entry, article in zip(entries, (second, first), strict=True):
        for required in ("atom:id", "atom:title", "atom:updated", "atom:published"):
            assert entry.find(required, NS) is not None, required
        url = f"http://plaza.test/a/feedy/{article['id']}"
        assert entry.findtext("atom:id", namespaces=NS) == url
        link = entry.find("atom:link", NS)  # no rel: "alternate" (RFC 4287 4.2.7.2)
        assert link is not None and link.get("rel", "alternate") == "alternate"
        assert link.get("href") == url
    content = entries[0].find("atom:content", NS)
    assert content is not None and content.get("type") == "html"
    html = content.text or ""
    assert '<a href="http://plaza.test/a/feedy"' in html
    assert "&lt;script&gt;" in html  # shown as text, never as an element
    _safe(html.replace("http://plaza.test/", "/"))


async def test_an_unknown_account_has_no_feed(client):
    assert (await client.get("/a/nobody_here/feed.xml")).status_code == 404
    assert (await client.get(f"{API}/public-accounts/nobody_here")).status_code == 404


async def test_characters_xml_cannot_carry_are_left_out(client):
    h = await people(client, "ann")
    await create_account(client, h["ann"], "controls", "Controls", description="a\x01b")
    await publish(client, h["ann"], "controls", "ok", "bell \x07 and \ufffe here")
    answer = await client.get("/a/controls/feed.xml")
    assert answer.status_code == 200
    root = ElementTree.fromstring(answer.content)
    content = root.findtext("atom:entry/atom:content", namespaces=NS) or ""
    assert "bell  and  here" in content
    refused = await client.post(
        f"{API}/public-accounts/controls/articles", json={"title": "a\x08b"}, headers=h["ann"]
    )
    assert refused.status_code == 422 and refused.json()["error"]["field"] == "title"
