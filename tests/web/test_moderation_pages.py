"""The moderator console's pages and the report dialog as a browser gets them.

Who gets what: a signed-out visitor is sent to sign in; a member gets, for every console
address, the very page an address that does not exist gets (404), so the console does not
reveal itself; a moderator gets the queue, a case and the lists; only an admin the audit log.
The "Moderation" link shows for moderators and admins only; the report dialog and its Report
buttons only where the person may report.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from html import unescape

import httpx
import pytest

from plaza.accounts.service import users
from tests.helpers import PASSWORD, befriend, log_in
from tests.web.test_pages import csrf_of
from tests.web.test_public_pages import account, publish

Browser = tuple[httpx.AsyncClient, dict[str, str]]  # a browser with the cookie, API headers

REPORT_BUTTON = re.compile(
    r'<button[^>]*data-report="(\w+)"[^>]*data-report-id="(\d+)"[^>]*data-report-label="([^"]*)"'
)
CONSOLE = ["/moderation", "/moderation?state=closed", "/moderation/lists"]


@pytest.fixture
async def person(app) -> AsyncIterator[Callable]:
    """`await person("moe", role="moderator")`: created with that role (as `plaza user create
    --role` does), signed in through the web form, and through the API for set-up calls."""
    runtime = app.state.runtime
    async with AsyncExitStack() as stack:

        async def make(username: str, role: str = "member") -> Browser:
            async with runtime.sessions() as session:
                await users.register(
                    session,
                    passwords=runtime.passwords,
                    clock=runtime.clock,
                    username=username,
                    password=PASSWORD,
                    display_name=username.title(),
                    role=role,
                )
            browser = await stack.enter_async_context(
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app), base_url="http://plaza.test"
                )
            )
            form = await browser.get("/signin")
            signed_in = await browser.post(
                "/signin",
                data={"csrf_token": csrf_of(form), "username": username, "password": PASSWORD},
            )
            assert signed_in.status_code == 303, signed_in.text
            return browser, await log_in(browser, username)

        yield make


async def test_signed_out_visitors_are_sent_to_sign_in(client):
    for path in [*CONSOLE, "/moderation/cases/1", "/moderation/audit"]:
        answer = await client.get(path, headers={"accept": "text/html"})
        assert answer.status_code == 303, path
        assert answer.headers["location"] == "/signin?next=" + path.split("?")[0]


async def a_case(client: httpx.AsyncClient, person: Callable) -> int:
    """A case in the queue: a member reports another person; its id, as a moderator sees."""
    (_, reporter), (_, moderator) = await person("rex"), await person("mod", role="moderator")
    await person("sam")
    sam = (await client.get("/api/v1/users/sam", headers=reporter)).json()["id"]
    reported = await client.post(
        "/api/v1/reports",
        json={"surface": "user", "id": sam, "policy_id": "harassment"},
        headers=reporter,
    )
    assert reported.status_code == 201, reported.text
    [case] = (await client.get("/api/v1/moderation/cases", headers=moderator)).json()["items"]
    return case["id"]


async def test_a_member_gets_the_page_of_an_address_that_does_not_exist(client, person):
    member, _ = await person("meg")
    case_id = await a_case(client, person)
    html = {"accept": "text/html"}
    unknown = await member.get("/no/such/page", headers=html)
    assert unknown.status_code == 404
    console = [*CONSOLE, f"/moderation/cases/{case_id}", "/moderation/audit"]
    for path in [*console, "/moderation/cases/x", "/moderation/cases/0"]:
        answer = await member.get(path, headers=html)
        assert answer.status_code == 404, path
        assert answer.text == unknown.text, path
    chat = await member.get("/chat")
    assert chat.status_code == 200
    assert 'href="/moderation"' not in chat.text


async def test_a_moderator_gets_the_console_but_not_the_audit_log(client, person):
    moderator, _ = await person("moe", role="moderator")
    case_id = await a_case(client, person)
    for path in [*CONSOLE, f"/moderation/cases/{case_id}"]:
        answer = await moderator.get(path)
        assert answer.status_code == 200, path
        assert 'href="/moderation"' in answer.text and 'id="nav-moderation"' in answer.text
        assert 'href="/moderation/audit"' not in answer.text
    case = await moderator.get(f"/moderation/cases/{case_id}")
    assert f'data-id="{case_id}"' in case.text and f"Case {case_id}</h1>" in case.text
    assert 'id="release"' in case.text and "data-admin" not in case.text
    assert (await moderator.get("/moderation/audit")).status_code == 404
    # A case that does not exist is a 404 page; so are ids that are no id at all.
    missing = await moderator.get(
        f"/moderation/cases/{case_id + 1}", headers={"accept": "text/html"}
    )
    assert missing.status_code == 404 and "no such case" in missing.text
    for bad in ("x", "0", "-1", "2147483648", "１２"):
        assert (await moderator.get(f"/moderation/cases/{bad}")).status_code == 404, bad
    # The tab asked for is the tab shown; a made-up one is the open tab.
    claimed = await moderator.get("/moderation?state=claimed")
    assert 'data-state="claimed"' in claimed.text
    assert 'href="/moderation?state=claimed" aria-current="page"' in claimed.text
    odd = await moderator.get("/moderation?state=<b>")
    assert 'data-state="open"' in odd.text and "<b>" not in odd.text
    hashes = await moderator.get("/moderation/lists?kind=hashes")
    assert 'data-kind="hashes"' in hashes.text and "PDQ hash" in hashes.text
    assert 'data-kind="terms"' in (await moderator.get("/moderation/lists?kind=x")).text


async def test_an_admin_gets_everything(client, person):
    admin, _ = await person("ada", role="admin")
    case_id = await a_case(client, person)
    for path in [*CONSOLE, f"/moderation/cases/{case_id}", "/moderation/audit"]:
        answer = await admin.get(path)
        assert answer.status_code == 200, path
        assert 'href="/moderation/audit"' in answer.text
    # The audit log's filters are a form that keeps what was asked (escaped).
    filtered = await admin.get(
        "/moderation/audit",
        params={"verb": "case.decide", "actor": "<b>moe</b>", "from": "2026-11-01"},
    )
    assert '<form id="audit-filters" method="get" action="/moderation/audit"' in filtered.text
    assert 'name="verb"' in filtered.text and 'value="case.decide"' in filtered.text
    assert 'value="&lt;b&gt;moe&lt;/b&gt;"' in filtered.text and "<b>moe" not in filtered.text
    assert 'type="date" id="filter-from" name="from" value="2026-11-01"' in filtered.text
    for name in ("target", "to"):
        assert f'name="{name}"' in filtered.text
    # A case page offers releasing a claim; an admin's may release anyone's.
    case = await admin.get(f"/moderation/cases/{case_id}")
    assert 'id="release"' in case.text and "data-admin" in case.text


def reportable(page: httpx.Response) -> list[tuple[str, int, str]]:
    """The Report buttons of a page: (surface, id, what the dialog says is reported)."""
    return [(s, int(i), unescape(label)) for s, i, label in REPORT_BUTTON.findall(page.text)]


async def test_report_buttons_show_where_one_may_report(client, person):
    (ann, ann_api), (bob, bob_api) = await person("ann"), await person("bob")
    await befriend(client, ann_api, bob_api, "bob")
    moment = await client.post("/api/v1/moments", json={"text": "早上好"}, headers=ann_api)
    assert moment.status_code == 201, moment.text
    moment_id = moment.json()["id"]
    comment = await client.post(
        f"/api/v1/moments/{moment_id}/comments", json={"text": "hi"}, headers=bob_api
    )
    assert comment.status_code == 201, comment.text

    # Bob may report Ann's moment, but not his own comment; Ann the comment, not her moment.
    as_bob = await bob.get("/moments")
    assert 'id="report-dialog"' in as_bob.text and "/static/report.js" in as_bob.text
    assert reportable(as_bob) == [("moment", moment_id, "Ann's moment: “早上好”")]
    assert reportable(await ann.get("/moments")) == [
        ("comment", comment.json()["id"], "Bob's comment: “hi”")
    ]

    # A profile: another person's has Report, one's own has not.
    bob_id = (await client.get("/api/v1/users/bob", headers=ann_api)).json()["id"]
    assert reportable(await ann.get("/u/bob")) == [("user", bob_id, "Bob (@bob)")]
    assert reportable(await ann.get("/u/ann")) == []

    # A public account and its article: readers may report them, its owner may not.
    await account(client, ann_api, "ann_news", "安妮日报")
    article = await publish(client, ann_api, "ann_news", "春天来了")
    account_id = (await client.get("/api/v1/public-accounts/ann_news")).json()["id"]
    assert reportable(await bob.get("/a/ann_news")) == [
        ("public_account", account_id, "安妮日报 (@ann_news)")
    ]
    assert reportable(await bob.get(f"/a/ann_news/{article['id']}")) == [
        ("article", article["id"], "“春天来了” from 安妮日报")
    ]
    assert reportable(await ann.get("/a/ann_news")) == []
    assert reportable(await ann.get(f"/a/ann_news/{article['id']}")) == []

    # Signed out: no dialog, no script.
    signed_out = await client.get(f"/a/ann_news/{article['id']}")
    assert signed_out.status_code == 200
    assert 'id="report-dialog"' not in signed_out.text and "report.js" not in signed_out.text
    assert reportable(signed_out) == []
