"""The page's reading of the stream, against a stand-in stream (Playwright's WebSocket
routing): "live" only after `ready`; a `hold` frame shows "server busy" and keeps the state;
a send answered `rate_limited` goes again after `retry_after` with the same client_id; an
`invalid` answer is shown on that message, not in the header; 1013 waits before trying again;
4401 goes to sign-in."""

from __future__ import annotations

import json
import re
import time

import pytest
from playwright.sync_api import WebSocketRoute, expect

from tests.e2e.conftest import (
    ann_and_bob_in_a_chat,
    sign_in,
)

pytestmark = pytest.mark.e2e


class FakeStream:
    def __init__(self) -> None:
        self.sockets: list[WebSocketRoute] = []
        self.opened: list[float] = []
        self.frames: list[dict] = []
        self.answer = None  # called with each `send` frame

    def __call__(self, ws: WebSocketRoute) -> None:
        self.sockets.append(ws)
        self.opened.append(time.monotonic())
        ws.on_message(lambda message: self.received(ws, message))

    def received(self, ws: WebSocketRoute, message: str | bytes) -> None:
        frame = json.loads(message)
        self.frames.append(frame)
        if frame.get("type") == "send" and self.answer:
            self.answer(ws, frame)

    def ready(self) -> None:
        self.sockets[-1].send(json.dumps({"type": "ready", "user": {}, "conversations": {}}))


def message_for(frame: dict, seq: int, name: str, username: str) -> dict:
    return {
        "id": 10_000 + seq,
        "conversation_id": frame["conversation_id"],
        "seq": seq,
        "sender": username,
        "sender_display_name": name,
        "text": frame["text"],
        "client_id": frame["client_id"],
        "reply_to": None,
        "created_at": "2026-01-01T12:00:00+00:00",
        "recalled": False,
    }


def test_states_and_send_answers_from_the_stream(new_page, server):
    ann, _bob, _token_a, chat = ann_and_bob_in_a_chat(server)
    stream = FakeStream()
    page = new_page()
    page.route_web_socket(re.compile(r".*/api/v1/stream$"), stream)
    page.goto(f"/signin?next=/chat/{chat}")
    sign_in(page, ann)
    status = page.locator("#status")
    expect(page.locator("#conv-title")).to_have_text("Bob")
    expect(status).to_have_text("connecting…")  # open, but no `ready` yet
    page.wait_for_timeout(300)
    expect(status).to_have_text("connecting…")
    stream.ready()
    expect(status).to_have_text("live")
    assert stream.frames[0]["type"] == "resume"

    stream.sockets[-1].send(json.dumps({"type": "hold", "reason": "database unavailable"}))
    expect(status).to_have_text("server busy, waiting…")
    stream.sockets[-1].send(json.dumps({"type": "pong"}))
    expect(status).to_have_text("live")

    # Rate limited first, then sent: one bubble, the same client_id both times.
    answers = []

    def answer(ws: WebSocketRoute, frame: dict) -> None:
        answers.append(frame["client_id"])
        if len(answers) == 1:
            reply = {
                "type": "error",
                "client_id": frame["client_id"],
                "code": "rate_limited",
                "message": "slow down",
                "retry_after": 1,
            }
        elif frame["text"].startswith("bad"):
            reply = {
                "type": "error",
                "client_id": frame["client_id"],
                "code": "invalid",
                "message": "that text is not allowed",
            }
        else:
            reply = {
                "type": "sent",
                "client_id": frame["client_id"],
                "created": True,
                "message": message_for(frame, len(answers), "Ann", ann.username),
            }
        ws.send(json.dumps(reply))

    stream.answer = answer
    box = page.get_by_label("Message", exact=True)
    box.fill("hello over the stream")
    box.press("Enter")
    pending = page.locator("#messages .msg.pending")
    expect(pending).to_contain_text("sending too fast")
    expect(page.locator("#messages .msg[data-id]").filter(has_text="hello over")).to_have_count(1)
    expect(pending).to_have_count(0)
    assert len(answers) == 2 and answers[0] == answers[1]

    # A refused message says why on the message itself; the header stays "live".
    box.fill("bad words")
    box.press("Enter")
    failed = page.locator("#messages .msg.failed")
    expect(failed).to_contain_text("not sent: that text is not allowed")
    expect(failed.get_by_role("button", name="Retry")).to_be_visible()
    # A day separator for each day: the stand-in's message is dated 1 January, this one today.
    expect(page.locator("#messages .sep.day")).to_have_count(2)
    expect(page.locator("#messages .sep.day").last).to_contain_text("Today")
    expect(status).to_have_text("live")
    page.screenshot(path="/tmp/shots/desktop-chat-failed.png")
    failed.get_by_role("button", name="Discard").click()
    expect(failed).to_have_count(0)

    # 1013 (database unavailable): offline, and the next try waits a few seconds.
    stream.sockets[-1].close(code=1013, reason="database unavailable")
    expect(status).to_contain_text("offline")
    closed_at = time.monotonic()
    deadline = time.monotonic() + 15
    while len(stream.opened) < 2 and time.monotonic() < deadline:
        page.wait_for_timeout(200)
    assert len(stream.opened) == 2
    assert stream.opened[1] - closed_at > 3
    stream.ready()
    expect(status).to_have_text("live")

    # 4401 (session ended): to the sign-in page, no reconnecting.
    stream.sockets[-1].close(code=4401, reason="session ended: signed_out")
    expect(page).to_have_url(re.compile(r"/signin\?next="))
