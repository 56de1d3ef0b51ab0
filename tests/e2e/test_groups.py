"""Groups in the browser: no group of one; members see only what they may do; the Add list
offers friends who are not members yet; joins, removals, leaving and renames are told as lines
in the conversation; after leaving, the composer and panel are gone with a clear line."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import api_befriend, api_register, make_person, open_chat
from tests.e2e.helpers import api, befriend, create_group

pytestmark = pytest.mark.e2e


def test_a_group_needs_somebody(new_page, server):
    ann, bob = make_person("Ann"), make_person("Bob")
    api_befriend(server, ann, bob)
    page = new_page()
    open_chat(page, ann)
    page.get_by_role("button", name="New group").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Name", exact=True).fill("Only me")
    dialog.get_by_role("button", name="Create").click()
    expect(dialog.get_by_role("alert")).to_have_text("Pick at least one friend for the group.")
    expect(dialog).to_be_visible()
    expect(page.get_by_label("Conversations").get_by_role("link")).to_have_count(0)
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()


def test_members_rules_and_system_lines(new_page, server):
    ann, bob, cai, dee = (make_person(n) for n in ("Ann", "Bob", "Cai", "Dee"))
    cai.display_name = "蔡"
    token_a, _ = api_befriend(server, ann, bob)
    for person in (cai, dee):  # Dee is Ann's friend too, added from the panel later
        befriend(server, token_a, api_register(server, person), person.username)
    group = create_group(server, token_a, "Book club", [bob.username, cai.username])

    page_a, page_b = new_page(), new_page()
    open_chat(page_a, ann, f"/chat/{group}")
    open_chat(page_b, bob, f"/chat/{group}")

    # Bob is a plain member: no Rename, no Add, no Remove.
    page_b.get_by_role("button", name="Members").click()
    panel_b = page_b.locator("#members-panel")
    expect(panel_b.get_by_text(f"@{ann.username}")).to_be_visible()
    expect(panel_b.get_by_role("button", name="Rename")).to_be_hidden()
    expect(panel_b.get_by_role("button", name="Add")).to_be_hidden()
    expect(panel_b.get_by_role("button", name="Remove")).to_have_count(0)
    expect(panel_b.get_by_role("button", name="Leave group")).to_be_visible()
    panel_b.get_by_role("button", name="Close").click()

    # Ann (owner) may add only friends who are not members yet: Dee.
    page_a.get_by_role("button", name="Members").click()
    panel_a = page_a.locator("#members-panel")
    options = panel_a.get_by_label("Add a friend").locator("option")
    expect(options).to_have_count(1)
    expect(options).to_have_text(f"Dee (@{dee.username})")
    panel_a.get_by_role("button", name="Add").click()
    expect(page_a.locator("#messages").get_by_text("You added Dee")).to_be_visible()
    expect(page_b.locator("#messages").get_by_text("Ann added Dee")).to_be_visible()
    expect(panel_a.get_by_text("All your friends are already in this group.")).to_be_visible()

    # Renaming is told in the conversation.
    panel_a.get_by_label("Group name").fill("读书会 Book club")
    panel_a.get_by_role("button", name="Rename").click()
    expect(page_b.locator("#conv-title")).to_have_text("读书会 Book club")
    expect(page_b.locator("#messages")).to_contain_text(
        "Ann renamed the group to “读书会 Book club”"
    )

    # Removing asks first, then says who removed whom.
    cai_row = panel_a.get_by_role("listitem").filter(has_text=f"@{cai.username}")
    cai_row.get_by_role("button", name="Remove").click()
    confirm = page_a.locator("#confirm-dialog")
    expect(confirm).to_contain_text("Remove 蔡 from the group?")
    confirm.get_by_role("button", name="Remove").click()
    expect(page_b.locator("#messages").get_by_text("Ann removed 蔡")).to_be_visible()

    # Bob leaves: his composer and panel go, with a clear line; Ann sees "Bob left".
    page_b.get_by_role("button", name="Members").click()
    panel_b.get_by_role("button", name="Leave group").click()
    page_b.locator("#confirm-dialog").get_by_role("button", name="Leave group").click()
    expect(page_b.get_by_text("You left this group.")).to_be_visible()
    expect(page_b.get_by_label("Message", exact=True)).to_be_hidden()
    expect(panel_b).to_be_hidden()
    expect(page_b.get_by_role("button", name="Members")).to_be_hidden()
    expect(page_a.locator("#messages").get_by_text("Bob left the group")).to_be_visible()

    # After a reload the lines are still there, in order: they come from the history.
    page_a.reload()
    lines = page_a.locator("#messages .system")
    expect(lines).to_have_text(
        [
            "You added Dee",
            "You renamed the group to “读书会 Book club”",
            "You removed 蔡",
            "Bob left the group",
        ]
    )
    page_a.screenshot(path="/tmp/shots/desktop-group-lines.png")
    page_b.screenshot(path="/tmp/shots/desktop-group-left.png")


def test_being_removed_is_said_plainly(new_page, server):
    ann, bob = make_person("Ann"), make_person("Bob")
    token_a, _ = api_befriend(server, ann, bob)
    group = create_group(server, token_a, "Short-lived", [bob.username])
    page_b = new_page()
    open_chat(page_b, bob, f"/chat/{group}")
    with api(server, token_a) as client:
        client.delete(f"/conversations/{group}/members/{bob.username}").raise_for_status()
    expect(page_b.get_by_text("Ann removed you from this group.")).to_be_visible()
    expect(page_b.get_by_label("Message", exact=True)).to_be_hidden()
