"""The public accounts pages as a browser gets them: the directory (Chinese search), an
account's page and an article readable signed out with Open Graph tags, what the owner and
editors see that readers do not (drafts, Write, editors, statistics), my feed and its
fragment, a removed article's page, and the statistics chart with its table."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from datetime import date

import httpx
import pytest

from plaza.public_accounts import charts
from tests.helpers import log_in
from tests.media.pictures import png
from tests.web.test_pages import sign_up

Person = tuple[httpx.AsyncClient, dict[str, str]]  # a browser with the cookie, API headers


@pytest.fixture
async def people(app) -> AsyncIterator[Callable]:
    """`await people("ann")`: signed up through the web form, signed in through the API."""
    async with AsyncExitStack() as stack:

        async def make(username: str) -> Person:
            browser = await stack.enter_async_context(
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app), base_url="http://plaza.test"
                )
            )
            answer = await sign_up(browser, username, username.title())
            assert answer.status_code == 303, answer.text
            return browser, await log_in(browser, username)

        yield make


@pytest.fixture
async def anonymous(app) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://plaza.test"
    ) as browser:
        yield browser


async def ok(answer: httpx.Response, status: int = 200) -> dict:
    assert answer.status_code == status, answer.text
    return answer.json() if answer.status_code != 204 else {}


async def account(client: httpx.AsyncClient, who: dict, handle: str, name: str) -> dict:
    body = {"handle": handle, "name": name, "description": "每天一篇好文章"}
    return await ok(await client.post("/api/v1/public-accounts", json=body, headers=who), 201)


async def publish(client: httpx.AsyncClient, who: dict, handle: str, title: str, **body) -> dict:
    draft = await ok(
        await client.post(
            f"/api/v1/public-accounts/{handle}/articles",
            json={"title": title, "body": "正文 *text*", **body},
            headers=who,
        ),
        201,
    )
    return await ok(await client.post(f"/api/v1/articles/{draft['id']}/publish", headers=who))


def meta(page: httpx.Response, prop: str) -> str | None:
    found = re.search(rf'<meta property="{re.escape(prop)}" content="([^"]*)">', page.text)
    return html.unescape(found.group(1)) if found else None


async def test_directory_finds_chinese_names_and_lists_everyone_signed_out(
    client, people, anonymous
):
    ann, ann_api = await people("ann")
    await account(client, ann_api, "daily_news", "每日新闻")
    await account(client, ann_api, "cooking", "Cooking Club")
    everyone = await anonymous.get("/a")
    assert everyone.status_code == 200
    assert "每日新闻" in everyone.text and "Cooking Club" in everyone.text
    assert "Create a public account" not in everyone.text  # signed out: no form
    found = await anonymous.get("/a", params={"q": "新闻"})
    assert "每日新闻" in found.text and "Cooking Club" not in found.text
    none = await anonymous.get("/a", params={"q": "无此账号"})
    assert "No public account matches" in none.text
    mine = await ann.get("/a")
    assert "Create a public account" in mine.text


async def test_account_and_article_are_public_with_open_graph_tags(client, people, anonymous):
    ann, ann_api = await people("ann")
    await account(client, ann_api, "daily_news", "每日新闻")
    cover = await ok(
        await client.post(
            "/api/v1/media", files={"file": ("c.png", png(), "image/png")}, headers=ann_api
        ),
        201,
    )
    article = await publish(
        client, ann_api, "daily_news", "第一篇 <文章>", cover_media_id=cover["id"]
    )
    await ok(
        await client.post(
            "/api/v1/public-accounts/daily_news/articles",
            json={"title": "Secret draft"},
            headers=ann_api,
        ),
        201,
    )
    page = await anonymous.get("/a/daily_news")
    assert page.status_code == 200
    assert "第一篇 &lt;文章&gt;" in page.text
    assert "Secret draft" not in page.text and ">Write<" not in page.text
    assert "Sign in to subscribe" in page.text

    reader = await anonymous.get(article["url"])
    assert reader.status_code == 200
    assert meta(reader, "og:type") == "article"
    assert meta(reader, "og:title") == "第一篇 <文章>"
    assert meta(reader, "og:url") == "http://plaza.test" + article["url"]
    assert meta(reader, "og:image") == f"http://plaza.test/api/v1/media/{cover['id']}"
    assert meta(reader, "og:description") == "正文 text"
    assert "<em>text</em>" in reader.text  # the sanitized body, as HTML
    again = await ok(await client.get(f"/api/v1/articles/{article['id']}"))
    assert again["read_count"] >= 1  # the page counted a read

    owner_view = await ann.get("/a/daily_news")
    assert "Secret draft" in owner_view.text and ">Write<" in owner_view.text
    assert 'id="editors"' in owner_view.text and 'id="add-editor"' in owner_view.text
    upper = await anonymous.get("/a/DAILY_NEWS", follow_redirects=False)
    assert upper.status_code == 308 and upper.headers["location"] == "/a/daily_news"


async def test_a_removed_or_unknown_article_gets_a_clear_page(client, people, anonymous):
    _, ann_api = await people("ann")
    await account(client, ann_api, "daily_news", "每日新闻")
    article = await publish(client, ann_api, "daily_news", "Soon gone")
    await ok(await client.delete(f"/api/v1/articles/{article['id']}", headers=ann_api), 204)
    for url in (article["url"], "/a/daily_news/999999"):
        page = await anonymous.get(url, headers={"Accept": "text/html"})
        assert page.status_code == 404
        assert "This article is not available" in page.text
        assert "Soon gone" not in page.text
    unknown = await anonymous.get("/a/nobody_here", headers={"Accept": "text/html"})
    assert unknown.status_code == 404


async def test_editor_pages_are_for_the_owner_and_editors(client, people, anonymous):
    ann, ann_api = await people("ann")
    bob, _bob_api = await people("bob")
    await account(client, ann_api, "daily_news", "每日新闻")
    article = await publish(client, ann_api, "daily_news", "First")
    await ok(
        await client.patch(
            f"/api/v1/articles/{article['id']}", json={"title": "First, edited"}, headers=ann_api
        )
    )
    assert (await ann.get("/a/daily_news/write")).status_code == 200
    edit = await ann.get(article["url"] + "/edit")
    assert edit.status_code == 200 and "Revision 1" in edit.text and "Revision 2" in edit.text
    html_accept = {"Accept": "text/html"}
    assert (await bob.get("/a/daily_news/write", headers=html_accept)).status_code == 403
    assert (await bob.get(article["url"] + "/edit", headers=html_accept)).status_code == 403
    assert (await bob.get("/a/daily_news/stats", headers=html_accept)).status_code == 403
    signed_out = await anonymous.get("/a/daily_news/write", follow_redirects=False)
    assert signed_out.status_code == 303 and "/signin" in signed_out.headers["location"]

    await ok(
        await client.post(
            "/api/v1/public-accounts/daily_news/editors", json={"username": "bob"}, headers=ann_api
        ),
        201,
    )
    assert (await bob.get("/a/daily_news/write")).status_code == 200
    bob_view = await bob.get("/a/daily_news")
    assert ">Write<" in bob_view.text and 'id="add-editor"' not in bob_view.text
    assert "Step down" in bob_view.text


async def test_my_feed_lists_subscribed_articles_newest_first(client, people):
    _ann, ann_api = await people("ann")
    bob, bob_api = await people("bob")
    await account(client, ann_api, "daily_news", "每日新闻")
    await account(client, ann_api, "cooking", "Cooking Club")
    await ok(await client.post("/api/v1/public-accounts/daily_news/subscription", headers=bob_api))
    await publish(client, ann_api, "daily_news", "Older news")
    await publish(client, ann_api, "cooking", "Not followed")
    await publish(client, ann_api, "daily_news", "Newer news")
    page = await bob.get("/feed")
    assert page.status_code == 200
    titles = re.findall(r'class="pa-item-title">([^<]*)<', page.text)
    assert titles == ["Newer news", "Older news"]
    assert "My subscriptions" in page.text and "每日新闻" in page.text
    fragment = await bob.get("/feed/items")
    assert re.findall(r'class="pa-item-title">([^<]*)<', fragment.text) == titles
    assert "<html" not in fragment.text


async def test_statistics_draw_subscribers_as_an_svg_chart_with_a_table(client, people):
    ann, ann_api = await people("ann")
    _, bob_api = await people("bob")
    await account(client, ann_api, "daily_news", "每日新闻")
    article = await publish(client, ann_api, "daily_news", "Read me")
    await ok(await client.post("/api/v1/public-accounts/daily_news/subscription", headers=bob_api))
    await ok(await client.get(f"/api/v1/articles/{article['id']}", headers=bob_api))
    page = await ann.get("/a/daily_news/stats")
    assert page.status_code == 200
    assert (
        "<svg" in page.text and '<title id="chart-title">Subscribers over time</title>' in page.text
    )
    assert re.search(r'<polyline class="line" points="[0-9., ]+"', page.text)
    assert re.search(r"<td>1</td><td>0</td><td>1</td>", page.text)  # subscribed, total
    assert "Read me" in page.text


def test_the_chart_spans_calendar_days_carrying_the_total_over_quiet_ones():
    assert charts.line_chart([]) is None
    chart = charts.line_chart([(date(2026, 3, 1), 3), (date(2026, 3, 4), 7)])
    assert chart is not None
    points = [tuple(map(float, p.split(","))) for p in chart.points.split()]
    assert len(points) == 4  # 1, 2, 3 and 4 March
    assert points[1][1] == points[2][1] == points[0][1]  # 2 and 3 March keep 3
    assert points[3][1] < points[0][1]  # 7 is drawn higher (SVG y grows downwards)
    assert (chart.low, chart.high) == (3, 7)
    assert [t.label for t in chart.y_ticks] == ["0", "5", "10"]
    assert [t.label for t in chart.x_ticks] == ["2026-03-01", "2026-03-03", "2026-03-04"]


async def test_a_moment_sharing_an_article_shows_its_card_until_it_is_removed(client, people):
    ann, ann_api = await people("ann")
    await account(client, ann_api, "daily_news", "每日新闻")
    article = await publish(client, ann_api, "daily_news", "Worth a read")
    body = {"text": "看看这篇", "article_id": article["id"]}
    await ok(await client.post("/api/v1/moments", json=body, headers=ann_api), 201)
    page = await ann.get("/moments")
    assert re.search(rf'<a class="article-card" href="{article["url"]}">', page.text)
    assert "Worth a read" in page.text and "每日新闻" in page.text
    await ok(await client.delete(f"/api/v1/articles/{article['id']}", headers=ann_api), 204)
    page = await ann.get("/moments")
    assert "Article not available" in page.text and "Worth a read" not in page.text


async def test_odd_addresses_get_a_clear_4xx_not_a_server_error(client, people, anonymous):
    _, ann_api = await people("ann")
    await account(client, ann_api, "daily_news", "每日新闻")
    for path in (
        "/a?cursor=garbage",
        "/a?q=" + "新" * 500,
        "/a/daily_news?cursor=%00",
        "/a/daily_news/items?cursor=x",
        "/a/no%20such",
        "/a/daily_news/99999999999999999999",
        "/a/daily_news/stats",
    ):
        answer = await anonymous.get(path, headers={"Accept": "text/html"})
        assert answer.status_code < 500, (path, answer.status_code)
