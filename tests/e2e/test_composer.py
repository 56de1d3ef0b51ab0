"""Typing a message: Enter while an input method composes does not send; a quick double
Enter sends once; focus stays in the box; pasting past the limit says so and keeps the text."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import (
    ann_and_bob_in_a_chat,
    open_chat,
)
from tests.e2e.helpers import messages_of

pytestmark = pytest.mark.e2e

COMPOSING_ENTER = """box => {
    box.dispatchEvent(new CompositionEvent('compositionstart', {data: ''}));
    box.value = 'ni hao';
    for (const init of [{isComposing: true}, {isComposing: true, keyCode: 229}]) {
        box.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter', code: 'Enter',
            bubbles: true, cancelable: true, ...init}));
    }
}"""
COMMIT_COMPOSITION = """box => {
    box.value = '你好';
    box.dispatchEvent(new CompositionEvent('compositionend', {data: '你好'}));
    box.dispatchEvent(new Event('input', {bubbles: true}));
}"""


def test_enter_during_composition_does_not_send(new_page, server):
    ann, _bob, token_a, chat = ann_and_bob_in_a_chat(server)
    page = new_page()
    open_chat(page, ann, f"/chat/{chat}")
    box = page.get_by_label("Message", exact=True)
    box.evaluate(COMPOSING_ENTER)
    page.wait_for_timeout(500)
    expect(box).to_have_value("ni hao")
    assert messages_of(server, token_a, chat) == []
    expect(page.locator("#messages .msg")).to_have_count(0)

    # The input method commits the words; now Enter sends them.
    box.evaluate(COMMIT_COMPOSITION)
    box.press("Enter")
    expect(page.locator("#messages .msg[data-id]").get_by_text("你好", exact=True)).to_be_visible()
    assert [m["text"] for m in messages_of(server, token_a, chat)] == ["你好"]


def test_double_enter_sends_once_and_focus_stays(new_page, server):
    ann, _bob, token_a, chat = ann_and_bob_in_a_chat(server)
    page = new_page()
    open_chat(page, ann, f"/chat/{chat}")
    posts = []
    page.on(
        "request",
        lambda r: posts.append(r.url) if r.method == "POST" and "/messages" in r.url else None,
    )
    box = page.get_by_label("Message", exact=True)
    box.fill("only once, please")
    box.press("Enter")
    box.press("Enter")
    page.get_by_role("button", name="Send").click()
    sent = page.locator("#messages .msg[data-id]").get_by_text("only once, please", exact=True)
    expect(sent).to_have_count(1)
    expect(page.locator("#messages .msg.pending")).to_have_count(0)
    page.wait_for_timeout(500)
    expect(sent).to_have_count(1)
    assert [m["text"] for m in messages_of(server, token_a, chat)] == ["only once, please"]
    expect(box).to_be_focused()
    expect(box).to_have_value("")
    assert posts == []  # the stream was ready, so it went as a `send` frame, not a POST


def test_pasting_past_the_limit_is_said_not_cut(new_page, server):
    ann, _bob, token_a, chat = ann_and_bob_in_a_chat(server)
    page = new_page()
    open_chat(page, ann, f"/chat/{chat}")
    box = page.get_by_label("Message", exact=True)
    text = "长" * 4010
    box.evaluate(
        "(box, text) => { box.focus(); document.execCommand('insertText', false, text); }", text
    )
    expect(box).to_have_value(text)  # nothing cut
    expect(page.get_by_text("10 over the limit")).to_be_visible()
    expect(page.get_by_role("button", name="Send")).to_be_disabled()
    box.press("Enter")
    page.wait_for_timeout(300)
    expect(page.locator("#messages .msg")).to_have_count(0)

    # Shortened to the limit, it goes.
    box.evaluate(
        "box => { box.value = box.value.slice(0, 4000); box.dispatchEvent(new Event('input')); }"
    )
    expect(page.get_by_text("over the limit")).to_have_count(0)
    expect(page.get_by_role("button", name="Send")).to_be_enabled()
    box.press("Enter")
    expect(page.locator("#messages .msg[data-id]")).to_have_count(1)
    assert len(messages_of(server, token_a, chat)[0]["text"]) == 4000
