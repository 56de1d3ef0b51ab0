"""Reports and the moderator console in the browser (issue #11, item 8).

A member reports a friend's moment through the report dialog; a moderator (created with
`plaza user create --role moderator`, as an operator does) finds the case in the queue,
claims it, and removes the moment citing a policy clause with an explanation; the moment is
then gone from a friend's open timeline without a reload, and after one. Around it: the
dialog's keyboard behaviour and its refusals in words (a thing deleted meanwhile, too many
reports), reporting a chat message, a held moment's case with the listed keyword highlighted
where the author wrote it, the lists' paging and removal, and the console's pages (queue,
case, lists, audit log, the dialog) at a phone size and a desktop size with Chinese text,
checked by axe and for fit.
"""

from __future__ import annotations

import re
import subprocess
import uuid
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import (
    SIZES,
    WAIT_MS,
    Person,
    api_befriend,
    api_register,
    check_page,
    make_person,
    sign_in,
)
from tests.e2e.helpers import api, befriend, post_messages
from tests.processes import PLAZA, ServerProcess

pytestmark = pytest.mark.e2e

SENT = "Report sent. The person will not know who reported."


def create_with_role(server: ServerProcess, person: Person, role: str) -> None:
    """What an operator does: `plaza user create NAME --role ROLE` on the server's data."""
    command = [*PLAZA, "user", "create", person.username, "--role", role, "--password-stdin"]
    command += ["--display-name", person.display_name, "--data-dir", str(server.data_dir)]
    subprocess.run(
        command,
        input=person.password + "\n",
        text=True,
        env=server.env,
        check=True,
        capture_output=True,
        timeout=60,
    )


def open_as(page: Page, person: Person, path: str) -> None:
    page.goto("/signin?next=" + path)
    sign_in(page, person)
    expect(page).to_have_url(re.compile(re.escape(path) + "$"))


def report_dialog(page: Page) -> Locator:
    return page.get_by_role("dialog", name="Report")


def test_a_reported_moment_is_removed_by_a_moderator(new_page, server):
    ann, bob, carl, mo = (make_person(n) for n in ("Ann", "Bob", "Carl", "Mo"))
    token_a, _ = api_befriend(server, ann, bob)
    token_c = api_register(server, carl)
    befriend(server, token_a, token_c, carl.username)
    create_with_role(server, mo, "moderator")
    with api(server, token_a) as client:
        client.post("/moments", json={"text": "早上好 Good morning"}).raise_for_status()
        spam = client.post("/moments", json={"text": "限时优惠 Cheap watches, DM me 私信"})
        moment_id = spam.raise_for_status().json()["id"]

    # Carl, a friend of Ann's, has his timeline open.
    page_c = new_page()
    open_as(page_c, carl, "/moments")
    expect(page_c.locator("#moments")).to_have_attribute("data-stream", "live")
    expect(page_c.locator(f"#moment-{moment_id}")).to_contain_text("Cheap watches")

    # Bob reports the moment: the rules that cover moments, details, a clear confirmation.
    page_b = new_page()
    open_as(page_b, bob, "/moments")
    page_b.locator(f"#moment-{moment_id}").get_by_role("button", name="Report Ann's moment").click()
    dialog = report_dialog(page_b)
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Ann's moment: “限时优惠 Cheap watches, DM me 私信”")
    dialog.get_by_role("radio", name="Spam and scams").check()
    dialog.get_by_label(re.compile("Anything the moderators")).fill("卖假表 selling fake watches")
    expect(dialog.locator("#report-count")).to_have_text("24 / 1000")
    dialog.get_by_role("button", name="Send report").click()
    expect(dialog.get_by_role("status")).to_have_text(SENT)
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_be_hidden()

    # Mo finds it in the queue, opens it: the report (not who made it), then claims it.
    page_m = new_page()
    open_as(page_m, mo, "/moderation")
    row = page_m.locator("#case-rows tr").filter(has_text="Cheap watches")
    expect(row).to_contain_text("Moment")
    expect(row.locator('td[data-label="Reports"]')).to_have_text("1")
    expect(row.locator('td[data-label="Claimed by"]')).to_have_text("nobody")
    row.get_by_role("link").click()
    expect(page_m).to_have_url(re.compile(r"/moderation/cases/\d+$"))
    expect(page_m.locator("#content")).to_contain_text("限时优惠 Cheap watches, DM me 私信")
    expect(page_m.locator("#reports")).to_contain_text("Spam and scams")
    expect(page_m.locator("#reports")).to_contain_text("卖假表 selling fake watches")
    expect(page_m.locator("main")).not_to_contain_text(bob.username)
    expect(page_m.locator("#decision-form")).to_be_hidden()
    page_m.get_by_role("button", name="Claim").click()
    expect(page_m.locator("#claim-note")).to_have_text("You claimed this case.")

    # Removes it citing spam's clause 4, with an explanation for Ann.
    page_m.get_by_role("radio", name="Remove the content").check()
    page_m.get_by_label("Policy", exact=True).select_option(label="Spam and scams")
    page_m.get_by_label("Clause", exact=True).select_option("4")
    expect(page_m.locator("#clause-text")).to_contain_text("scams")
    page_m.get_by_label("Explanation for the author").fill(
        "Your moment advertises counterfeit watches to your friends."
    )
    page_m.get_by_role("button", name="Decide").click()
    expect(page_m.locator("#decide-note")).to_have_text(
        "Decided: Remove the content. The case is closed."
    )
    expect(page_m.locator("#actions")).to_contain_text("Spam and scams, clause 4")
    expect(page_m.locator("#actions")).to_contain_text("counterfeit watches")

    # Gone for Ann's friends: from Carl's open timeline, and after a reload.
    expect(page_c.locator(f"#moment-{moment_id}")).to_have_count(0)
    page_c.reload()
    expect(page_c.locator("#feed")).to_contain_text("早上好 Good morning")
    expect(page_c.locator("#feed")).not_to_contain_text("Cheap watches")
    page_b.reload()
    expect(page_b.locator("#feed")).not_to_contain_text("Cheap watches")

    # The closed tab of the queue has it, decided.
    page_m.goto("/moderation?state=closed")
    expect(page_m.locator("#case-rows tr").filter(has_text="Cheap watches")).to_have_count(1)


def test_the_report_dialog_keyboard_and_refusals(new_page, server):
    ann, bob = make_person("Ann"), make_person("Bob")
    bob.display_name = "鲍勃"
    _, token_b = api_befriend(server, ann, bob)
    with api(server, token_b) as client:
        doomed = client.post("/moments", json={"text": "soon deleted"}).raise_for_status().json()
        conversation = (
            client.post("/conversations", json={"kind": "direct", "members": [ann.username]})
            .raise_for_status()
            .json()["id"]
        )
    post_messages(server, token_b, conversation, ["买不买？便宜的手表 cheap watches"])

    page = new_page()
    open_as(page, ann, "/moments")
    opener = page.locator(f"#moment-{doomed['id']}").get_by_role(
        "button", name="Report 鲍勃's moment"
    )
    opener.click()
    dialog = report_dialog(page)
    expect(dialog).to_be_visible()
    # Focus moves to the first rule; Tab and Shift+Tab stay inside; Esc closes and gives
    # focus back to the Report button.
    expect(dialog.get_by_role("radio").first).to_be_focused()
    inside = "document.getElementById('report-dialog').contains(document.activeElement)"
    for key in ["Tab"] * 6 + ["Shift+Tab"] * 6:
        page.keyboard.press(key)
        assert page.evaluate(inside), key
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(opener).to_be_focused()

    # Nothing picked: the dialog says what is missing. Then the moment goes meanwhile: a 404,
    # said in words.
    opener.click()
    dialog.get_by_role("button", name="Send report").click()
    expect(dialog.get_by_role("alert")).to_have_text("Pick the rule it breaks.")
    with api(server, token_b) as client:
        client.delete(f"/moments/{doomed['id']}").raise_for_status()
    dialog.get_by_role("radio", name="Spam and scams").check()
    dialog.get_by_role("button", name="Send report").click()
    expect(dialog.get_by_role("alert")).to_have_text(
        "This is no longer there for you to report: it was deleted, or you can no longer see it."
    )
    dialog.get_by_role("button", name="Cancel").click()

    # A chat message Bob sent: its Report button opens the same dialog for the message.
    page.goto(f"/chat/{conversation}")
    expect(page.locator("#status")).to_have_text("live")
    bubble = page.locator(".msg").filter(has_text="cheap watches")
    bubble.locator(".bubble").click()
    bubble.get_by_role("button", name="Report message from 鲍勃").click()
    expect(dialog).to_contain_text("Message from 鲍勃: “买不买？便宜的手表 cheap watches”")
    dialog.get_by_role("radio", name="Spam and scams").check()
    dialog.get_by_role("button", name="Send report").click()
    expect(dialog.get_by_role("status")).to_have_text(SENT)


@pytest.fixture(scope="module")
def limited_server(tmp_path_factory) -> Iterator[ServerProcess]:
    """A server that counts reports (the shared one runs without rate limits): one an hour."""
    env = {"PLAZA_RATE_LIMIT_ENABLED": "true", "PLAZA_REPORTS_PER_HOUR": "1"}
    process = ServerProcess(tmp_path_factory.mktemp("e2e-limited"), env=env).start()
    try:
        yield process
    finally:
        process.stop()


def test_too_many_reports_are_refused_in_words(browser, limited_server):
    ann, bob = make_person("Ann"), make_person("Bob")
    token_a, token_b = api_befriend(limited_server, ann, bob)
    with api(limited_server, token_a) as client:
        ids = [
            client.post("/moments", json={"text": f"moment {n}"}).raise_for_status().json()["id"]
            for n in range(2)
        ]
    with api(limited_server, token_b) as client:
        client.post(
            "/reports", json={"surface": "moment", "id": ids[0], "policy_id": "spam"}
        ).raise_for_status()
    context = browser.new_context(base_url=limited_server.url, viewport=SIZES["desktop"])
    context.set_default_timeout(WAIT_MS)
    try:
        page = context.new_page()
        open_as(page, bob, "/moments")
        page.locator(f"#moment-{ids[1]}").get_by_role("button", name="Report").click()
        dialog = report_dialog(page)
        dialog.get_by_role("radio", name="Spam and scams").check()
        dialog.get_by_role("button", name="Send report").click()
        expect(dialog.get_by_role("alert")).to_have_text(
            re.compile(r"^You have sent many reports in a short time\. You can send this one in ")
        )
    finally:
        context.close()


def test_the_lists_page_pages_and_removes(new_page, server):
    admin = make_person("Ada")
    create_with_role(server, admin, "admin")
    with httpx.Client(base_url=server.url + "/api/v1", timeout=30) as client:
        credentials = {"username": admin.username, "password": admin.password}
        token = client.post("/sessions", json=credentials).raise_for_status().json()["token"]
    # More keywords than a page holds (50 by default), each this run's own.
    run = uuid.uuid4().hex[:6]
    terms = [f"zz{run}word{n:02d}" for n in range(51)]
    with api(server, token) as client:
        for term in terms:
            body = {"policy_id": "harassment", "clause": 1, "term": term}
            client.post("/moderation/terms", json=body).raise_for_status()

    page = new_page()
    open_as(page, admin, "/moderation/lists")
    page.get_by_label("Show the keywords of").select_option("harassment")
    rows = page.locator("#entry-rows tr")
    expect(rows).to_have_count(50)
    page.get_by_role("button", name="Load more").click()
    expect(page.locator("#entry-rows")).to_contain_text(terms[0])
    assert rows.count() > 50

    # Removing asks first, then the keyword is gone, from the page and from the list.
    newest = rows.filter(has_text=terms[-1])
    newest.get_by_role("button", name=f"Remove {terms[-1]}").click()
    page.get_by_role("dialog").get_by_role("button", name="Remove").click()
    expect(newest).to_have_count(0)
    expect(page.locator("#entries-note")).to_have_text(f"Removed “{terms[-1]}”.")
    page.reload()
    page.get_by_label("Show the keywords of").select_option("harassment")
    expect(rows.first).to_be_visible()
    expect(page.locator("#entry-rows")).not_to_contain_text(terms[-1])
    expect(page.locator("#entry-rows")).to_contain_text(terms[-2])


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_console_pages_are_accessible_and_fit(browser, server, size):
    ann, bob = make_person("Ann"), make_person("Bob")
    ann.display_name = "安妮 Annabelle"
    bob.display_name = "鲍勃"
    admin = make_person("Ada")
    create_with_role(server, admin, "admin")
    token_a, token_b = api_befriend(server, ann, bob)
    # A keyword of this run only (the server is shared): four random CJK characters.
    term = "".join(chr(0x4E00 + b * 37) for b in uuid.uuid4().bytes[:4])
    hike = f"周末去爬山了，山顶的风景太美了！Weekend hike {uuid.uuid4().hex[:8]}"
    with api(server, token_a) as client:
        moment = client.post("/moments", json={"text": hike}).raise_for_status().json()
    with api(server, token_b) as client:
        client.post(
            "/reports",
            json={
                "surface": "moment",
                "id": moment["id"],
                "policy_id": "harassment",
                "details": "她在评论里一直骚扰我 she keeps harassing me in the comments",
            },
        ).raise_for_status()

    context = browser.new_context(
        base_url=server.url,
        viewport=SIZES[size],
        is_mobile=size == "phone",
        has_touch=size == "phone",
    )
    context.set_default_timeout(WAIT_MS)
    try:
        page = context.new_page()
        open_as(page, admin, "/moderation/lists")
        page.get_by_label("Policy", exact=True).select_option("violence")
        page.get_by_role("textbox", name="Keyword or phrase").fill(term)
        page.get_by_role("button", name="Add").click()
        expect(page.locator("#add-done")).to_contain_text(f"Added “{term}”")
        expect(page.locator("#entry-rows")).to_contain_text(term)
        check_page(page, "moderation", "lists", size)

        page.goto("/moderation")
        row = page.locator("#case-rows tr").filter(has_text=hike)
        expect(row).to_contain_text("Harassment and threats")
        check_page(page, "moderation", "queue", size)

        row.get_by_role("link").click()
        expect(page.locator("#reports")).to_contain_text("她在评论里一直骚扰我")
        page.get_by_role("button", name="Claim").click()
        expect(page.locator("#decision-form")).to_be_visible()
        check_page(page, "moderation", "case", size)
        # Given back to the queue, and taken again.
        page.get_by_role("button", name="Release the claim").click()
        expect(page.locator("#claim-note")).to_have_text(
            "Nobody has claimed it. Claim it to decide it."
        )
        expect(page.locator("#decision-form")).to_be_hidden()
        page.get_by_role("button", name="Claim").click()
        expect(page.locator("#decision-form")).to_be_visible()

        page.goto("/moderation/audit")
        expect(page.locator("#audit-rows")).to_contain_text("case.claim")
        check_page(page, "moderation", "audit", size)
        # Filtered by the form: this admin's releases.
        page.get_by_label("What").fill("case.release")
        page.get_by_label("Who (username)").fill(admin.username)
        page.get_by_role("button", name="Filter").click()
        expect(page).to_have_url(re.compile(r"verb=case\.release"))
        expect(page.locator("#audit-rows tr")).to_have_count(1)
        expect(page.locator("#audit-rows")).to_contain_text("@" + admin.username)
        check_page(page, "moderation", "audit-filtered", size)
        page.get_by_label("Who (username)").fill("nobody_" + uuid.uuid4().hex[:8])
        page.get_by_role("button", name="Filter").click()
        expect(page.locator("#audit-note")).to_contain_text("no user called")

        page.goto(f"/u/{ann.username}")
        page.get_by_role("button", name="Report 安妮 Annabelle").click()
        expect(report_dialog(page).get_by_role("radio").first).to_be_focused()
        check_page(page, "moderation", "report-dialog", size)
    finally:
        context.close()


def test_a_held_moment_shows_what_the_keyword_matched(new_page, server):
    ann, mo = make_person("Ann"), make_person("Mo")
    create_with_role(server, mo, "moderator")
    token_a = api_register(server, ann)
    with httpx.Client(base_url=server.url + "/api/v1", timeout=30) as client:
        credentials = {"username": mo.username, "password": mo.password}
        token_m = client.post("/sessions", json=credentials).raise_for_status().json()["token"]
    # A keyword of this run only, listed under violence (whose keyword hits are held for review).
    term = "".join(chr(0x4E00 + b * 37) for b in uuid.uuid4().bytes[:4])
    with api(server, token_m) as client:
        body = {"policy_id": "violence", "clause": 2, "term": term}
        client.post("/moderation/terms", json=body).raise_for_status()
    text = f"😀 我要{term}，你等着 — you will see"
    with api(server, token_a) as client:
        client.post("/moments", json={"text": text}).raise_for_status()

    page = new_page()
    open_as(page, mo, "/moderation")
    row = page.locator("#case-rows tr").filter(has_text=term)
    expect(row).to_contain_text("0 · detected")
    row.get_by_role("link").click()
    # The match is marked where the author wrote it (offsets count characters: the emoji
    # before it is one), and the signal says which detector, policy and clause.
    expect(page.locator("#content .mod-text")).to_have_text(text)
    expect(page.locator("#content mark")).to_have_text(term)
    signal = page.locator("#signal-rows tr")
    expect(signal).to_contain_text("keywords")
    expect(signal).to_contain_text("Violent and graphic content, clause 2")
    expect(signal).to_contain_text(term)
