"""The public transparency page as a browser gets it: signed out, the numbers of a range in
its tables and bars, links to the same range as JSON and CSV, a refused range explained
beside the form, and the link to the page on every page's footer."""

from __future__ import annotations

import re
from html import unescape

import httpx
import pytest

from plaza.clock import FakeClock
from tests import moderated
from tests.helpers import register
from tests.moderation.helpers import case_of, claim, decide, member, report, staff


@pytest.fixture
def settings(settings):
    return moderated.screening_settings(settings)


@pytest.fixture
async def anonymous(app):
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://plaza.test"
    ) as browser:
        yield browser


def section(page: str, section_id: str) -> str:
    found = re.search(rf'<section[^>]*id="{section_id}"[^>]*>(.*?)</section>', page, re.S)
    assert found is not None, f"no section {section_id}"
    return found.group(1)


def table(page: str, section_id: str) -> dict[str, int]:
    """A breakdown's rows as shown: label -> count."""
    rows = re.findall(
        r'<th scope="row">(.*?)</th>\s*<td class="tp-num">(\d+)</td>', section(page, section_id)
    )
    return {unescape(label): int(count) for label, count in rows}


def bars(page: str, section_id: str) -> list[float]:
    """The filled widths of a breakdown's bars (a row at 0 has none)."""
    return [
        float(w)
        for w in re.findall(r'<rect class="tp-fill" width="([\d.]+)"', section(page, section_id))
    ]


def big(page: str, stat_id: str) -> str:
    found = re.search(rf'id="{stat_id}"><span class="tp-big">([^<]*)</span>', page)
    assert found is not None, f"no figure {stat_id}"
    return found.group(1)


async def test_the_page_shows_a_range_s_numbers(app, client, anonymous, clock: FakeClock):
    await moderated.list_terms(app)
    author = await register(client, "ann")
    removed = await client.post(
        "/api/v1/moments", json={"text": f"{moderated.REMOVED_TERM} 便宜卖"}, headers=author
    )
    assert removed.json()["moderation"] == "removed"
    _, person = await member(client, "bob")
    reporter, _ = await member(client, "cat")
    assert (await report(client, reporter, "user", person)).status_code == 201
    moderator = await staff(app, client, "moe")
    case = await case_of(client, moderator, "user", person)
    clock.advance(2 * 3600)
    assert (await claim(client, moderator, case["id"])).status_code == 200
    decided = await decide(
        client, moderator, case["id"], action="suspend", policy_id="harassment", clause=1
    )
    assert decided.status_code == 200, decided.text

    answer = await anonymous.get("/transparency?from=2026-01-01&to=2026-01-01")
    assert answer.status_code == 200
    page = answer.text
    assert 'value="2026-01-01"' in page  # the form shows the range asked for
    assert big(page, "tp-actions") == "2"
    assert "1 decided by automated means" in page
    assert big(page, "tp-reports") == "1"
    assert big(page, "tp-appeals") == "0"
    assert big(page, "tp-wait") == "2.0"  # hours from the report to the suspension
    assert table(page, "by-source") == {
        "Automated detection": 1,
        "User report": 1,
        "Moderator's own initiative": 0,
    }
    assert bars(page, "by-source") == [100.0, 100.0]
    policies = table(page, "by-policy")
    assert policies["Illegal goods and services"] == 1
    assert policies["Harassment and threats"] == 1
    assert policies["Spam and scams"] == 0
    shown = {k: n for k, n in table(page, "by-action").items() if n}
    assert shown == {"Content removed": 1, "Account suspended": 1}
    shown = {k: n for k, n in table(page, "by-surface").items() if n}
    assert shown == {"Moments": 1, "People": 1}
    assert table(page, "appeals") == {"Reversed": 0, "Upheld": 0, "Still pending": 0}

    # The same range as JSON and CSV, with the same numbers.
    json_url = unescape(re.search(r'href="([^"]*)" id="tp-json"', page).group(1))  # type: ignore[union-attr]
    csv_url = unescape(re.search(r'href="([^"]*)" id="tp-csv"', page).group(1))  # type: ignore[union-attr]
    assert json_url == "/api/v1/transparency?from=2026-01-01&to=2026-01-01"
    assert csv_url == json_url + "&format=csv"
    body = (await anonymous.get(json_url)).json()
    assert body["actions"]["total"] == 2 and body["time_to_decision"]["median_hours"] == 2.0
    assert "by_source,automated,1" in (await anonymous.get(csv_url)).text

    # The day before: nothing.
    before = (await anonymous.get("/transparency?from=2025-12-31&to=2025-12-31")).text
    assert big(before, "tp-actions") == "0" and big(before, "tp-wait") == "–"
    assert bars(before, "by-source") == []


async def test_a_refused_range_is_explained_beside_the_form(anonymous) -> None:
    answer = await anonymous.get("/transparency?from=2026-01-05&to=2026-01-01")
    assert answer.status_code == 422
    assert "the range starts (2026-01-05) after it ends (2026-01-01)" in answer.text
    assert 'value="2026-01-05"' in answer.text and 'id="tp-actions"' not in answer.text
    malformed = await anonymous.get("/transparency?from=someday")
    assert malformed.status_code == 422
    assert "from must be a date as YYYY-MM-DD" in malformed.text


async def test_every_page_links_to_it(anonymous) -> None:
    for address in ("/", "/signin", "/transparency"):
        page = (await anonymous.get(address)).text
        assert '<a href="/transparency">Transparency report</a>' in page
