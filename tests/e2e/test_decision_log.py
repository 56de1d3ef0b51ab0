"""The public decision log in the browser (issue #13, item 4).

An article caught by a listed term is removed as it is published; a reader follows the
transparency page's link to the decision log, narrows it to articles under the illegal-goods
policy, and finds the removal as a readable statement of reasons that names neither the author
nor the article nor the term, with its day's JSON Lines file; looked at on a phone and a
desktop, checked by axe and for fit.
"""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import orjson
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import SIZES, api_register, check_page, make_person
from tests.e2e.helpers import list_term
from tests.e2e.test_accountability import _publish
from tests.e2e.test_moderation import create_with_role

pytestmark = pytest.mark.e2e

TERM = "假药"  # counterfeit medicine
TITLE = "便宜特效药 Miracle pills"


def test_a_removal_is_in_the_public_decision_log(new_page, server):
    author, mo = make_person("Lin"), make_person("Mo")
    create_with_role(server, mo, "moderator")
    list_term(server, mo.username, mo.password, TERM)
    token = api_register(server, author)
    handle = "yaodian_" + author.username[-6:]
    _publish(server, token, handle, TITLE, f"特价{TERM}，私信购买。 Cheap pills, message me.")
    today = datetime.now(UTC).date().isoformat()

    for size in SIZES:
        reader = new_page(phone=size == "phone")
        reader.set_viewport_size(SIZES[size])
        reader.goto("/transparency")
        reader.get_by_role("link", name="decision log").click()
        expect(reader.get_by_role("heading", name="Decision log")).to_be_visible()
        reader.get_by_label("Policy").select_option(label="Illegal goods and services")
        reader.get_by_label("Where").select_option(label="Articles")
        reader.get_by_role("button", name="Show").click()
        record = reader.locator(".dl-record").filter(has_text="Content removed").last
        expect(record).to_contain_text("Articles")
        expect(record).to_contain_text("Unsafe and illegal products")
        expect(record).to_contain_text("Fully automated")
        expect(record).to_contain_text("Automated detection (a listed keyword) found an article")
        main = reader.locator("main")
        for secret in (TERM, "便宜特效药", author.username, handle, mo.username):
            expect(main).not_to_contain_text(secret)
        day_file = reader.locator(f"#dl-day-{today} a.dl-jsonl")
        expect(day_file).to_have_attribute("href", f"/api/v1/decisions/{today}.jsonl")
        check_page(reader, "decision-log", "decisions", size)

    lines = httpx.get(f"{server.url}/api/v1/decisions/{today}.jsonl", timeout=30)
    assert lines.status_code == 200 and lines.headers["content-type"].startswith(
        "application/jsonl"
    )
    records = [orjson.loads(line) for line in lines.text.splitlines()]
    assert any(r["surface"] == "article" and r["policy_id"] == "illegal_goods" for r in records), (
        records
    )
    for secret in (TERM, "便宜特效药", author.username, handle, mo.username):
        assert secret not in lines.text
