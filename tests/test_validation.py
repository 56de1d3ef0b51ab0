"""Every input is checked at the edge (design.md §9, security review item 4): ids past the
int32 range, NUL characters and unpaired surrogates in text, forged cursors. Each is a 422 in
Plaza's error shape naming the field, on SQLite and PostgreSQL alike, and nothing is stored.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select

from plaza.db import Base
from plaza.errors import Invalid
from plaza.pagination import (
    AfterOrBeforeSeq,
    AfterUsername,
    BeforeId,
    BeforeTimeAndId,
    decode_cursor,
    encode_cursor,
)
from plaza.validation import ID_MAX, check_id, check_text
from tests.helpers import PASSWORD, befriend, group, register, send

BIG = 2**31  # one past PostgreSQL INTEGER
HUGE = 2**63  # one past SQLite INTEGER (and BIGINT)
NUL = "a\x00b"
SURROGATE = "a\ud800b"


def cursor(position: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(position).encode()).decode().rstrip("=")


@dataclass
class Case:
    method: str
    path: str  # may name {cid}, {mid}, {rid}
    field: str
    body: Any = None
    signed_in: bool = True

    def __str__(self) -> str:
        # ASCII only: a test id with a lone surrogate cannot travel between xdist workers.
        return ascii(f"{self.method} {self.path} {self.field} {json.dumps(self.body)[:40]}")


def _text_cases(value: str) -> list[Case]:
    """`value` in every text field of the JSON API."""
    me = PASSWORD
    return [
        Case(
            "POST",
            "/api/v1/accounts",
            "username",
            {"username": value, "password": me, "display_name": "x"},
            signed_in=False,
        ),
        Case(
            "POST",
            "/api/v1/accounts",
            "password",
            {"username": "newbie", "password": me + value, "display_name": "x"},
            signed_in=False,
        ),
        Case(
            "POST",
            "/api/v1/accounts",
            "display_name",
            {"username": "newbie", "password": me, "display_name": value},
            signed_in=False,
        ),
        Case(
            "POST",
            "/api/v1/sessions",
            "username",
            {"username": value, "password": me},
            signed_in=False,
        ),
        Case(
            "POST",
            "/api/v1/sessions",
            "password",
            {"username": "alice", "password": me + value},
            signed_in=False,
        ),
        Case("PATCH", "/api/v1/me", "display_name", {"display_name": value}),
        Case(
            "POST",
            "/api/v1/me/password",
            "current_password",
            {"current_password": me + value, "new_password": me + "2"},
        ),
        Case(
            "POST",
            "/api/v1/me/password",
            "new_password",
            {"current_password": me, "new_password": me + value},
        ),
        Case("POST", "/api/v1/friend-requests", "to", {"to": value}),
        Case("POST", "/api/v1/friend-requests", "message", {"to": "carol", "message": value}),
        Case("POST", "/api/v1/blocks", "username", {"username": value}),
        Case("POST", "/api/v1/conversations", "members.0", {"kind": "group", "members": [value]}),
        Case(
            "POST",
            "/api/v1/conversations",
            "title",
            {"kind": "group", "members": ["bob"], "title": value},
        ),
        Case("PATCH", "/api/v1/conversations/{cid}", "title", {"title": value}),
        Case(
            "PATCH",
            "/api/v1/conversations/{cid}",
            "roles.*",
            {"roles": {value: "admin"}},
        ),
        Case("POST", "/api/v1/conversations/{cid}/members", "username", {"username": value}),
        Case(
            "POST",
            "/api/v1/conversations/{cid}/messages",
            "client_id",
            {"client_id": value, "text": "hi"},
        ),
        Case(
            "POST",
            "/api/v1/conversations/{cid}/messages",
            "text",
            {"client_id": "c-new", "text": value},
        ),
    ]


def _id_cases(big: int) -> list[Case]:
    """`big` in every id and sequence number: paths, bodies and query parameters."""
    return [
        Case("GET", f"/api/v1/conversations/{big}", "conversation_id"),
        Case("PATCH", f"/api/v1/conversations/{big}", "conversation_id", {"title": "t"}),
        Case("GET", f"/api/v1/conversations/{big}/messages", "conversation_id"),
        Case("POST", f"/api/v1/conversations/{big}/read", "conversation_id"),
        Case(
            "POST", f"/api/v1/conversations/{big}/members", "conversation_id", {"username": "carol"}
        ),
        Case("DELETE", f"/api/v1/conversations/{big}/members/bob", "conversation_id"),
        Case(
            "POST",
            f"/api/v1/conversations/{big}/messages",
            "conversation_id",
            {"client_id": "c-new", "text": "hi"},
        ),
        Case("DELETE", f"/api/v1/conversations/{{cid}}/messages/{big}", "message_id"),
        Case("POST", f"/api/v1/friend-requests/{big}/accept", "request_id"),
        Case("DELETE", f"/api/v1/sessions/{big}", "session_id"),
        Case("POST", f"/api/v1/friend-requests/{big}/decline", "request_id"),
        Case(
            "POST",
            "/api/v1/conversations/{cid}/messages",
            "reply_to",
            {"client_id": "c-new", "text": "hi", "reply_to": big},
        ),
        Case(
            "POST",
            "/api/v1/conversations/{cid}/messages",
            "media_ids.0",
            {"client_id": "c-new", "text": "hi", "media_ids": [big]},
        ),
        Case("POST", "/api/v1/conversations/{cid}/read", "seq", {"seq": big}),
        Case("GET", f"/api/v1/conversations/{{cid}}/messages?after_seq={big}", "after_seq"),
        Case("GET", f"/api/v1/conversations/{{cid}}/messages?before_seq={big}", "before_seq"),
    ]


_NOT_IDS = [
    Case("GET", "/api/v1/conversations/-1", "conversation_id"),
    Case("GET", "/api/v1/conversations/0", "conversation_id"),
    Case("GET", "/api/v1/conversations/1.0", "conversation_id"),
    Case("GET", "/api/v1/conversations/%2B1", "conversation_id"),
    Case(
        "POST",
        "/api/v1/conversations/{cid}/messages",
        "reply_to",
        {"client_id": "c-new", "text": "hi", "reply_to": True},
    ),
    Case(
        "POST",
        "/api/v1/conversations/{cid}/messages",
        "reply_to",
        {"client_id": "c-new", "text": "hi", "reply_to": "1"},
    ),
    Case("POST", "/api/v1/conversations/{cid}/read", "seq", {"seq": -1}),
    Case("GET", "/api/v1/users/a%00b", "username"),
    Case("GET", "/api/v1/users?q=a%00b", "q"),
    Case("GET", "/api/v1/users/bob%20", "username"),
    Case("DELETE", "/api/v1/friends/%00%00%00", "username"),
    Case("DELETE", "/api/v1/blocks/%ED%A0%80bob", "username"),
    Case("DELETE", "/api/v1/conversations/{cid}/members/b%00b", "username"),
]

_FORGED_CURSORS = [
    # A time without a zone, an id of the wrong type, a boolean for a number, out of range.
    Case(
        "GET",
        "/api/v1/conversations?cursor=" + cursor({"at": "2026-01-01T00:00:00", "id": 1}),
        "cursor",
    ),
    Case(
        "GET",
        "/api/v1/conversations?cursor=" + cursor({"at": "2026-01-01T00:00:00+00:00", "id": "1"}),
        "cursor",
    ),
    Case(
        "GET",
        "/api/v1/conversations?cursor=" + cursor({"at": "2026-01-01T00:00:00+00:00", "id": HUGE}),
        "cursor",
    ),
    Case(
        "GET",
        "/api/v1/conversations?cursor=" + cursor({"at": "0001-01-01T00:00:00+14:00", "id": 1}),
        "cursor",
    ),
    Case("GET", "/api/v1/conversations?cursor=" + cursor({"at": 1767225600, "id": 1}), "cursor"),
    Case("GET", "/api/v1/conversations/{cid}/messages?cursor=" + cursor({"after": True}), "cursor"),
    Case("GET", "/api/v1/conversations/{cid}/messages?cursor=" + cursor({"before": BIG}), "cursor"),
    Case("GET", "/api/v1/conversations/{cid}/messages?cursor=" + cursor({}), "cursor"),
    Case("GET", "/api/v1/conversations/{cid}/messages?cursor=" + cursor([1]), "cursor"),
    Case("GET", "/api/v1/friends?cursor=" + cursor({"after": 5}), "cursor"),
    Case("GET", "/api/v1/friends?cursor=" + cursor({"after": NUL}), "cursor"),
    Case("GET", "/api/v1/friend-requests?cursor=" + cursor({"before": "9"}), "cursor"),
    Case("GET", "/api/v1/friend-requests?cursor=" + cursor({"before": HUGE}), "cursor"),
    Case("GET", "/api/v1/friend-requests?cursor=%25%25%25", "cursor"),
    Case("GET", "/api/v1/friend-requests?cursor=%00", "cursor"),
    Case("GET", "/api/v1/friends?cursor=" + "A" * 600, "cursor"),
]

TABLES = {
    "nul-in-text": _text_cases(NUL),
    "surrogate-in-text": _text_cases(SURROGATE),
    "ids-past-int32": _id_cases(BIG),
    "ids-past-int64": _id_cases(HUGE),
    "not-ids-or-names": _NOT_IDS,
    "forged-cursors": _FORGED_CURSORS,
}


@pytest.fixture
async def world(client):
    """alice (signed in) is friends with bob, in a group with him that has a message; carol
    has asked alice to be friends."""
    alice = await register(client, "alice")
    bob = await register(client, "bob")
    carol = await register(client, "carol")
    await befriend(client, bob, alice, "alice")
    conversation = await group(client, alice, ["bob"])
    message = await send(client, alice, conversation["id"], "hello", "c-1")
    asked = await client.post("/api/v1/friend-requests", json={"to": "alice"}, headers=carol)
    assert asked.status_code == 201, asked.text
    return {
        "headers": alice,
        "ids": {"cid": conversation["id"], "mid": message["id"], "rid": asked.json()["id"]},
    }


async def _row_counts(app) -> dict[str, int]:
    async with app.state.runtime.sessions() as session:
        return {
            table.name: await session.scalar(select(func.count()).select_from(table))
            for table in Base.metadata.sorted_tables
        }


async def _attempt(app, client, world, case: Case) -> str | None:
    """What is wrong with the answer to `case`, or None if it is a clean 422 naming the field
    and no row changed."""
    before = await _row_counts(app)
    headers = dict(world["headers"]) if case.signed_in else {}
    content = None
    if case.body is not None:
        # ASCII JSON, so a lone surrogate travels as the escape `\ud800`, as a client sends it.
        content = json.dumps(case.body).encode()
        headers["content-type"] = "application/json"
    path = case.path.format(**world["ids"])
    try:
        response = await client.request(case.method, path, content=content, headers=headers)
    except Exception as exc:  # the app answered 500 and re-raised
        return f"500 {type(exc).__name__}: {str(exc)[:200]!a}"
    if response.status_code != 422:
        return f"{response.status_code} {response.text[:200]}"
    error = response.json()["error"]
    if case.field.endswith(".*"):  # the field names a key, the bad input itself
        field_ok = error["field"].startswith(case.field[:-1])
    else:
        field_ok = error["field"] == case.field
    if error["code"] != "invalid" or not field_ok or not error["message"]:
        return f"422 with {error!a}"
    if await _row_counts(app) != before:
        return "422, but something was stored"
    return None


@pytest.mark.parametrize("table", list(TABLES))
async def test_bad_input_is_a_422_naming_the_field_and_stores_nothing(app, client, world, table):
    """One test per table (a world per case would cost seconds); every case is tried and
    every wrong answer reported."""
    wrong = []
    for case in TABLES[table]:
        problem = await _attempt(app, client, world, case)
        if problem is not None:
            wrong.append(f"{case}: {problem}")
    assert wrong == [], "\n".join(wrong)


async def test_cursors_the_server_gave_out_still_work(client, world):
    """Strict parsing refuses forgeries, not the cursors this server hands out."""
    headers = world["headers"]
    url = f"/api/v1/conversations/{world['ids']['cid']}/messages"
    for i in range(3):
        await send(client, headers, world["ids"]["cid"], f"m{i}", f"k{i}")
    first = (await client.get(url + "?limit=2", headers=headers)).json()
    second = await client.get(f"{url}?limit=2&cursor={first['next_cursor']}", headers=headers)
    assert second.status_code == 200
    assert [m["seq"] for m in second.json()["items"]] == [1, 2]


def test_error_messages_name_the_problem():
    with pytest.raises(Invalid) as nul:
        check_text(NUL, "text", max_length=10)
    assert nul.value.field == "text"
    assert "NUL" in nul.value.message
    with pytest.raises(Invalid) as surrogate:
        check_text(SURROGATE, "text", max_length=10)
    assert "surrogate" in surrogate.value.message


@pytest.mark.parametrize(
    ("check", "value", "expected"),
    [
        (check_id, 1, 1),
        (check_id, ID_MAX, ID_MAX),
        (check_id, ID_MAX + 1, Invalid),
        (check_id, HUGE, Invalid),
        (check_id, 0, Invalid),
        (check_id, -5, Invalid),
        (check_id, True, Invalid),
        (check_id, "5", Invalid),
        (check_id, 5.0, Invalid),
        (check_id, None, Invalid),
    ],
)
def test_stream_checks(check, value, expected):
    """The functions for edges that are not HTTP parameters (the stream's `send` frame)."""
    if expected is Invalid:
        with pytest.raises(Invalid) as error:
            check(value, "some_field")
        assert error.value.field == "some_field"
        assert error.value.message.startswith("some_field: ")
    else:
        assert check(value, "some_field") == expected


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("hello 你好 👋", True),
        ("", True),
        ("x" * 10, True),
        ("x" * 11, False),
        (NUL, False),
        (SURROGATE, False),
        ("\udfff", False),
        (b"bytes", False),
        (5, False),
    ],
)
def test_check_text(value, ok):
    if ok:
        assert check_text(value, "text", max_length=10) == value
    else:
        with pytest.raises(Invalid):
            check_text(value, "text", max_length=10)


@pytest.mark.parametrize(
    ("position", "model"),
    [
        (BeforeId(before=5), BeforeId),
        (AfterUsername(after="bob"), AfterUsername),
        (AfterOrBeforeSeq(after=0), AfterOrBeforeSeq),
        (AfterOrBeforeSeq(before=9), AfterOrBeforeSeq),
    ],
)
def test_cursors_round_trip(position, model):
    assert decode_cursor(encode_cursor(position), model) == position


def test_time_cursor_round_trips_from_the_dict_a_service_encodes():
    encoded = encode_cursor({"at": "2026-05-01T10:00:00.123456+00:00", "id": 7})
    position = decode_cursor(encoded, BeforeTimeAndId)
    assert position is not None
    assert position.id == 7
    assert position.at.isoformat() == "2026-05-01T10:00:00.123456+00:00"
