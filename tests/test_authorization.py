"""The authorization table (design.md §9): every route x {owner, admin, member, friend,
stranger, blocked, signed out}.

How it works
------------
`ROWS` is the table. A row names a route (method + the path template exactly as in
`app.routes`; "WS" for the WebSocket stream), says how to build its request from the shared
scenario (`build(world, actor) -> Call`, which may first create a fresh target so that a write
never spoils another cell), and the status each of the seven actors must get, as the design
wants it: 404 for what one may not see, 401 when signed out, 403 only where the actor can see
the thing but may not act. Page rows expect 303 (to /signin) when signed out; stream rows
expect 101 (accepted, "ready" frame) or the close code, and a stream command (`send`) the
status its HTTP twin would answer (201 for `sent`, 404 for a `not_found` error, ...).

One scenario (`World`) is built per backend and every cell runs against it: one test per
backend, all cells, one readable table of everything that is wrong. Read rows come first and
see the scenario exactly as built; write rows act on fresh objects.

No foreign content: the scenario plants marker strings (a group's title, message texts,
greetings, the usernames of people not everyone knows) and `MARKERS` says which actors may ever
see each. Every answer's raw text is searched for every marker the actor may not see (a marker
the actor itself put in the request does not count). Rows may also name strings an answer
must show (`shows`), so the search is known to look at real content. And a 404 for a hidden
conversation or friend request must read exactly like the 404 for an id nothing has.

Known findings: a cell where today's code disagrees with the design stays in the table with
the designed expectation and is listed in `KNOWN_FINDINGS` with the exact finding. The test
fails on any other mismatch, and also when a known finding starts passing (remove it then).

The scenario
------------
- owner: owns the group G (title and a message are markers), appointed admin as its admin,
  member as a plain member; has a direct chat with friend (a marker message); has a pending
  friend request from requester (greeting is a marker); blocked blocked_q, who had sent them a
  request (its greeting must stay hidden from the owner too).
- admin, member: friends of the owner, in G.
- friend: a friend of the owner, not in G.
- stranger: no relation to anyone.
- blocked: was the owner's friend and had a direct chat with them (the owner's message there
  is a marker both may see); then the owner blocked them. The friendship rows stay (blocks are
  invisible, so the blocked person still sees the owner as a friend); after the block they
  sent a message into the direct chat, which only they may ever see (withheld). Not in G.
- signed out: no token, no cookie.

Rows that concern the relation between the actor and "the owner" use `_person_like_owner`: a
fresh person related to the actor as the owner is (friends with admin/member/friend/blocked,
having blocked blocked, unrelated to stranger; for the owner it is the owner themself), so
befriending, unfriending, blocking and inviting leave the scenario untouched.
"""

from __future__ import annotations

import asyncio
import io
import itertools
import json
import re
import zipfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
import pytest
from PIL import Image
from sqlalchemy import select

from plaza.app import create_app
from plaza.moderation.models import Notice
from plaza.moderation.service import enforcement, lists
from plaza.moderation.service.cases import open_case_of
from plaza.moderation.setup import moderation_of
from tests.helpers import PASSWORD, befriend, register

ACTORS = ("owner", "admin", "member", "friend", "stranger", "blocked", "anon")
SIGNED_IN = ACTORS[:-1]

# Marker strings planted in the scenario, and who may ever see them.
TITLE = "mkTitleOfTheGroup"
GROUP_TEXT = "mkGroupSecretText"
DIRECT_TEXT = "mkFriendDirectText"
OLD_DIRECT_TEXT = "mkBeforeBlockText"
WITHHELD_TEXT = "mkWithheldAfterBlock"
GREETING = "mkGreetingToOwner"
BLOCKED_GREETING = "mkGreetingFromBlockedQ"
MOMENT_TEXT = "mkMomentForFriends"
PRIVATE_MOMENT = "mkPrivateMoment"
FRIEND_COMMENT = "mkCommentByFriend"
LABEL_NAME = "mkLabelOfOwner"
DRAFT_TITLE = "mkDraftOfTheAccount"
PA_HANDLE = "zq_pa"

NAMES = {
    "owner": "zq_owner",
    "admin": "zq_admin",
    "member": "zq_member",
    "friend": "zq_friend",
    "stranger": "zq_stranger",
    "blocked": "zq_blocked",
    "requester": "zq_requester",
    "blocked_q": "zq_blockedq",
}

GROUP = {"owner", "admin", "member"}
MARKERS: dict[str, set[str]] = {
    TITLE: GROUP,
    GROUP_TEXT: GROUP,
    DIRECT_TEXT: {"owner", "friend"},
    OLD_DIRECT_TEXT: {"owner", "blocked"},
    WITHHELD_TEXT: {"blocked"},
    GREETING: {"owner"},
    BLOCKED_GREETING: set(),
    # The owner's moment for all friends; the person they blocked is no longer shown it.
    MOMENT_TEXT: {"owner", "admin", "member", "friend"},
    PRIVATE_MOMENT: {"owner"},
    # friend's comment on it: only friend's own friends (the owner) see it.
    FRIEND_COMMENT: {"owner", "friend"},
    LABEL_NAME: {"owner"},
    # A draft of the owner's public account, which admin edits.
    DRAFT_TITLE: {"owner", "admin"},
    # Display names are "<username> Name", so the username finds both.
    NAMES["admin"]: GROUP,
    NAMES["member"]: GROUP,
    NAMES["friend"]: {"owner", "friend"},
    NAMES["stranger"]: {"stranger"},
    NAMES["blocked"]: {"owner", "blocked"},
    NAMES["requester"]: {"owner"},
    NAMES["blocked_q"]: {"owner"},
}


@pytest.fixture
def settings(settings):
    """The conftest settings, with log-in and registration limits out of the way: the table
    logs in and registers far more often per minute than a person would."""
    return settings.model_copy(
        update={
            "login_per_address": "1000000/60",
            "login_failures_per_address_username": "1000000/60",
            "login_failures_per_username": "1000000/60",
            "register_per_address": "1000000/60",
            "friend_requests_per_person": "1000000/60",
            "public_accounts_per_person": 1000,
            "public_account_writes_per_person": "1000000/60",
            "articles_per_account_per_day": 1000000,
            "reports_per_hour": 1000000,
        }
    )


# --- the scenario --------------------------------------------------------------------------


@dataclass
class World:
    client: httpx.AsyncClient
    app: Any
    heads: dict[str, dict[str, str]] = field(default_factory=dict)
    group: int = 0  # G
    direct_friend: int = 0  # owner <-> friend
    direct_blocked: int = 0  # owner <-> blocked
    direct_message: int = 0  # the owner's message in direct_friend
    moment: int = 0  # the owner's moment for all friends, commented on by friend
    label: int = 0  # the owner's label holding friend
    article: int = 0  # a published article of the owner's public account PA_HANDLE
    draft: int = 0  # a draft there (DRAFT_TITLE); admin is the account's editor
    export: int = 0  # the owner's finished data export (made by the first row that needs it)
    visible: dict[str, set[int]] = field(default_factory=dict)  # actor -> conversations
    counter: itertools.count = field(default_factory=itertools.count)

    def name(self, actor: str) -> str:
        return NAMES[actor]

    def token(self, actor: str) -> str | None:
        head = self.heads.get(actor, {})
        return head["Authorization"].split()[1] if head else None

    def fresh(self, prefix: str = "p") -> str:
        return f"zf_{prefix}{next(self.counter)}"

    async def call(self, who: dict[str, str], method: str, path: str, body: Any = None) -> Any:
        """A setup request that must succeed; returns its JSON (or None)."""
        answer = await self.client.request(method, path, json=body, headers=who)
        assert answer.status_code < 300, f"setup {method} {path}: {answer.text}"
        return answer.json() if answer.content else None

    async def person(self) -> tuple[str, dict[str, str]]:
        name = self.fresh()
        return name, await register(self.client, name, f"{name} Name")

    async def send(self, who: str, conversation_id: int, text: str) -> dict:
        body = {"client_id": self.fresh("c"), "text": text}
        url = f"/api/v1/conversations/{conversation_id}/messages"
        return await self.call(self.heads[who], "POST", url, body)

    async def fresh_group(self) -> int:
        """A group like G (owner, admin as admin, member), for rows that change a group."""
        owner = self.heads["owner"]
        body = {"kind": "group", "members": [NAMES["admin"], NAMES["member"]], "title": "fresh"}
        conv = await self.call(owner, "POST", "/api/v1/conversations", body)
        await self.call(
            owner,
            "PATCH",
            f"/api/v1/conversations/{conv['id']}",
            {"roles": {NAMES["admin"]: "admin"}},
        )
        return conv["id"]


async def build_world(client: httpx.AsyncClient, app: Any) -> World:
    w = World(client=client, app=app)
    for actor in SIGNED_IN:
        w.heads[actor] = await register(client, NAMES[actor], f"{NAMES[actor]} Name")
    w.heads["anon"] = {}
    for extra in ("requester", "blocked_q"):
        w.heads[extra] = await register(client, NAMES[extra], f"{NAMES[extra]} Name")
    owner = w.heads["owner"]
    for actor in ("admin", "member", "friend", "blocked"):
        await befriend(client, w.heads[actor], owner, NAMES["owner"])
    body = {"kind": "group", "members": [NAMES["admin"], NAMES["member"]], "title": TITLE}
    w.group = (await w.call(owner, "POST", "/api/v1/conversations", body))["id"]
    roles = {"roles": {NAMES["admin"]: "admin"}}
    await w.call(owner, "PATCH", f"/api/v1/conversations/{w.group}", roles)
    await w.send("owner", w.group, GROUP_TEXT)
    body = {"kind": "direct", "members": [NAMES["friend"]]}
    w.direct_friend = (await w.call(owner, "POST", "/api/v1/conversations", body))["id"]
    w.direct_message = (await w.send("owner", w.direct_friend, DIRECT_TEXT))["id"]
    body = {"kind": "direct", "members": [NAMES["blocked"]]}
    w.direct_blocked = (await w.call(owner, "POST", "/api/v1/conversations", body))["id"]
    await w.send("owner", w.direct_blocked, OLD_DIRECT_TEXT)
    await w.call(owner, "POST", "/api/v1/blocks", {"username": NAMES["blocked"]})
    await w.send("blocked", w.direct_blocked, WITHHELD_TEXT)
    greet = {"to": NAMES["owner"], "message": GREETING}
    await w.call(w.heads["requester"], "POST", "/api/v1/friend-requests", greet)
    greet = {"to": NAMES["owner"], "message": BLOCKED_GREETING}
    await w.call(w.heads["blocked_q"], "POST", "/api/v1/friend-requests", greet)
    await w.call(owner, "POST", "/api/v1/blocks", {"username": NAMES["blocked_q"]})
    body = {"name": LABEL_NAME, "members": [NAMES["friend"]]}
    w.label = (await w.call(owner, "POST", "/api/v1/labels", body))["id"]
    w.moment = (await w.call(owner, "POST", "/api/v1/moments", {"text": MOMENT_TEXT}))["id"]
    private = {"text": PRIVATE_MOMENT, "visibility": {"mode": "private"}}
    await w.call(owner, "POST", "/api/v1/moments", private)
    comment = {"text": FRIEND_COMMENT}
    await w.call(w.heads["friend"], "POST", f"/api/v1/moments/{w.moment}/comments", comment)
    await _build_public_account(w)
    w.visible = {
        "owner": {w.group, w.direct_friend, w.direct_blocked},
        "admin": {w.group},
        "member": {w.group},
        "friend": {w.direct_friend},
        "stranger": set(),
        "blocked": {w.direct_blocked},
        "anon": set(),
    }
    return w


async def _public_account(w: World, handle: str) -> None:
    """A public account of the owner's with admin as its editor."""
    owner = w.heads["owner"]
    await w.call(owner, "POST", "/api/v1/public-accounts", {"handle": handle, "name": handle})
    editor = {"username": NAMES["admin"]}
    await w.call(owner, "POST", f"/api/v1/public-accounts/{handle}/editors", editor)


async def _article(w: World, title: str, *, publish: bool) -> int:
    url = f"/api/v1/public-accounts/{PA_HANDLE}/articles"
    article = await w.call(w.heads["owner"], "POST", url, {"title": title, "body": "words"})
    if publish:
        await w.call(w.heads["owner"], "POST", f"/api/v1/articles/{article['id']}/publish")
    return int(article["id"])


async def _build_public_account(w: World) -> None:
    await _public_account(w, PA_HANDLE)
    w.article = await _article(w, "a published article", publish=True)
    w.draft = await _article(w, DRAFT_TITLE, publish=False)


async def _person_like_owner(w: World, actor: str) -> tuple[str, dict[str, str]]:
    """A fresh person related to `actor` as the owner is (see the module docstring)."""
    if actor in ("owner", "anon"):
        return NAMES["owner"], w.heads["owner"]
    name, head = await w.person()
    if actor in ("admin", "member", "friend", "blocked"):
        await befriend(w.client, w.heads[actor], head, name)
    if actor == "blocked":
        await w.call(head, "POST", "/api/v1/blocks", {"username": NAMES["blocked"]})
    return name, head


async def _fresh_request_to_owner(w: World, *, then_block: bool = False) -> int:
    _, head = await w.person()
    body = {"to": NAMES["owner"], "message": GREETING}
    request = await w.call(head, "POST", "/api/v1/friend-requests", body)
    if then_block:
        await w.call(w.heads["owner"], "POST", "/api/v1/blocks", {"username": request["from"]})
    return request["id"]


# --- the table -----------------------------------------------------------------------------


@dataclass
class Call:
    method: str
    path: str
    json: Any = None
    cookie: bool = False  # a page: authenticate with the session cookie, not the header
    origin: str | None = None  # the stream: the upgrade's Origin header
    frame: dict[str, Any] | None = None  # the stream: a command to send once ready
    headers: dict[str, str] | None = None  # instead of the actor's own
    files: dict[str, Any] | None = None  # a multipart body (an upload) instead of JSON
    context: dict[str, Any] = field(default_factory=dict)  # for the row's check


Check = Callable[[World, str, Call, "Answer"], Awaitable[list[str]]]


@dataclass
class Row:
    name: str
    method: str  # GET, POST, ..., or WS
    route: str  # exactly as in app.routes
    build: Callable[[World, str], Awaitable[Call]]
    expect: dict[str, int]
    check: Check | None = None  # more assertions, when the status is the expected one
    # Positive controls: actor -> strings the answer must contain when the status is as
    # expected (so the leak search is known to look at the right text).
    shows: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass
class Answer:
    status: int
    text: str
    location: str = ""


def statuses(owner, admin, member, friend, stranger, blocked, anon=401) -> dict[str, int]:
    return dict(zip(ACTORS, (owner, admin, member, friend, stranger, blocked, anon), strict=True))


def signed_in(ok: int, anon: int = 401) -> dict[str, int]:
    return statuses(ok, ok, ok, ok, ok, ok, anon)


def group_members(ok: int) -> dict[str, int]:
    return statuses(ok, ok, ok, 404, 404, 404)


def fixed(method: str, path: str, body: Any = None, **kw: Any):
    """A build for a request that does not depend on the actor; `path` may use {G} etc."""

    async def build(w: World, actor: str) -> Call:
        ids = {"G": w.group, "DF": w.direct_friend, "DB": w.direct_blocked, "DM": w.direct_message}
        ids |= {"M": w.moment}
        return Call(method, path.format(**ids, owner=NAMES["owner"]), body, **kw)

    return build


async def _build_me_update(w: World, actor: str) -> Call:
    name = NAMES.get(actor, "nobody")
    return Call("PATCH", "/api/v1/me", {"display_name": f"{name} Name"})


async def _build_register(w: World, actor: str) -> Call:
    name = w.fresh("r")
    body = {"username": name, "password": PASSWORD, "display_name": name}
    return Call("POST", "/api/v1/accounts", body)


async def _build_log_out(w: World, actor: str) -> Call:
    if actor == "anon":
        return Call("DELETE", "/api/v1/sessions/current")
    body = {"username": NAMES[actor], "password": PASSWORD}
    session = await w.call({}, "POST", "/api/v1/sessions", body)
    head = {"Authorization": f"Bearer {session['token']}"}
    return Call("DELETE", "/api/v1/sessions/current", headers=head)


async def _build_revoke_owner_device(w: World, actor: str) -> Call:
    """A fresh session of the owner's (another device), for each actor to try to end."""
    body = {"username": NAMES["owner"], "password": PASSWORD}
    device = await w.call({}, "POST", "/api/v1/sessions", body)
    head = {"Authorization": f"Bearer {device['token']}"}
    mine = await w.call(head, "GET", "/api/v1/sessions")
    session_id = next(s["id"] for s in mine["items"] if s["current"])
    return Call("DELETE", f"/api/v1/sessions/{session_id}")


async def _build_friend_request(w: World, actor: str) -> Call:
    target, _ = await _person_like_owner(w, actor)
    return Call("POST", "/api/v1/friend-requests", {"to": target, "message": "hello"})


def _decide(verb: str, *, blocked_sender: bool = False):
    async def build(w: World, actor: str) -> Call:
        request_id = await _fresh_request_to_owner(w, then_block=blocked_sender)
        return Call("POST", f"/api/v1/friend-requests/{request_id}/{verb}")

    return build


async def _build_unfriend(w: World, actor: str) -> Call:
    target, _ = await _person_like_owner(w, actor)
    return Call("DELETE", f"/api/v1/friends/{target}")


async def _build_block(w: World, actor: str) -> Call:
    target, _ = await _person_like_owner(w, actor)
    return Call("POST", "/api/v1/blocks", {"username": target})


async def _build_unblock(w: World, actor: str) -> Call:
    target, _ = await _person_like_owner(w, actor)
    if actor not in ("owner", "anon"):
        await w.call(w.heads[actor], "POST", "/api/v1/blocks", {"username": target})
    return Call("DELETE", f"/api/v1/blocks/{target}")


def _start(kind: str):
    async def build(w: World, actor: str) -> Call:
        target, head = await _person_like_owner(w, actor)
        body = {"kind": kind, "members": [target], "title": "with the owner"}
        return Call("POST", "/api/v1/conversations", body, context={"target": head})

    return build


async def _check_target_does_not_see(w: World, actor: str, call: Call, answer: Answer) -> list[str]:
    """A conversation the actor put someone into who blocks them: it must look made to the
    actor, and the person who blocked them must never see it."""
    if actor != "blocked":
        return []
    conversation_id = json.loads(answer.text)["id"]
    head = call.context["target"]
    problems = []
    listed = await w.client.get("/api/v1/conversations", headers=head)
    if conversation_id in [c["id"] for c in listed.json()["items"]]:
        problems.append("the blocker finds the blocked person's conversation in their list")
    got = await w.client.get(f"/api/v1/conversations/{conversation_id}", headers=head)
    if got.status_code != 404:
        problems.append(f"the blocker opens the blocked person's conversation ({got.status_code})")
    return problems


def _on_fresh_group(method: str, suffix: str = "", body: Any = None):
    """`suffix` may name {owner}, {admin}, {member}."""

    async def build(w: World, actor: str) -> Call:
        group_id = await w.fresh_group()
        names = {k: NAMES[k] for k in ("owner", "admin", "member")}
        return Call(method, f"/api/v1/conversations/{group_id}{suffix.format(**names)}", body)

    return build


async def _build_add_friend_to_group(w: World, actor: str) -> Call:
    """Add a fresh friend of the actor to a fresh group (so only the actor's role counts)."""
    group_id = await w.fresh_group()
    name = NAMES["stranger"]
    if actor != "anon":
        name, head = await w.person()
        await befriend(w.client, head, w.heads[actor], NAMES[actor])
    return Call("POST", f"/api/v1/conversations/{group_id}/members", {"username": name})


async def _build_add_owner_to_own_group(w: World, actor: str) -> Call:
    """The actor adds "the owner" (a person related to them as the owner is) to their group."""
    if actor == "anon":
        return Call("POST", f"/api/v1/conversations/{w.group}/members", {"username": "x_y_z"})
    # A group needs one other member: a friend of the actor's who is nobody else.
    partner = NAMES["friend"]
    if actor != "owner":
        partner, head = await w.person()
        await befriend(w.client, head, w.heads[actor], NAMES[actor])
    mine = {"kind": "group", "members": [partner], "title": "mine"}
    group = await w.call(w.heads[actor], "POST", "/api/v1/conversations", mine)
    target, head = await _person_like_owner(w, actor)
    url = f"/api/v1/conversations/{group['id']}/members"
    return Call("POST", url, {"username": target}, context={"target": head})


async def _build_leave(w: World, actor: str) -> Call:
    group_id = await w.fresh_group()
    name = NAMES.get(actor, NAMES["member"])
    return Call("DELETE", f"/api/v1/conversations/{group_id}/members/{name}")


async def _build_send(w: World, actor: str) -> Call:
    body = {"client_id": w.fresh("c"), "text": f"hello from {actor}"}
    return Call("POST", f"/api/v1/conversations/{w.group}/messages", body)


async def _build_send_direct_blocked(w: World, actor: str) -> Call:
    body = {"client_id": w.fresh("c"), "text": f"direct from {actor}"}
    return Call("POST", f"/api/v1/conversations/{w.direct_blocked}/messages", body)


async def _build_reply_across(w: World, actor: str) -> Call:
    body = {"client_id": w.fresh("c"), "text": "reply", "reply_to": w.direct_message}
    return Call("POST", f"/api/v1/conversations/{w.group}/messages", body)


def _recall(*, already_recalled: bool):
    async def build(w: World, actor: str) -> Call:
        message = await w.send("owner", w.group, "to be recalled")
        url = f"/api/v1/conversations/{w.group}/messages/{message['id']}"
        if already_recalled:
            await w.call(w.heads["owner"], "DELETE", url)
        return Call("DELETE", url)

    return build


async def _check_conversation_list(w: World, actor: str, call: Call, answer: Answer) -> list[str]:
    got = {c["id"] for c in json.loads(answer.text)["items"]}
    want = w.visible[actor]
    return [] if got == want else [f"lists conversations {sorted(got)}, expected {sorted(want)}"]


async def _check_blocker_has_nothing_unread(
    w: World, actor: str, call: Call, answer: Answer
) -> list[str]:
    """The owner sent the only message they can see there; what the person they blocked sent
    afterwards must not reach them, not even as an unread count."""
    unread = json.loads(answer.text)["unread"]
    if actor == "owner" and unread != 0:
        return [f"unread is {unread}: the withheld message counts for the blocker"]
    return []


async def _check_ready(w: World, actor: str, call: Call, answer: Answer) -> list[str]:
    ready = orjson.loads(answer.text)
    got = {int(i) for i in ready.get("conversations", {})}
    want = w.visible[actor]
    problems = [] if got == want else [f"ready follows {sorted(got)}, expected {sorted(want)}"]
    if ready.get("user", {}).get("username") != NAMES[actor]:
        problems.append(f"ready names the wrong user: {ready.get('user')}")
    return problems


def _stream_send(conversation: str, reply_to: str | None = None):
    async def build(w: World, actor: str) -> Call:
        ids = {"G": w.group, "DB": w.direct_blocked, "DM": w.direct_message}
        frame = {
            "type": "send",
            "conversation_id": ids[conversation],
            "client_id": w.fresh("s"),
            "text": f"streamed by {actor}",
        }
        if reply_to:
            frame["reply_to"] = ids[reply_to]
        return Call("WS", "/api/v1/stream", frame=frame)

    return build


C = "/api/v1/conversations/{conversation_id}"


def _picture() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (24, 16), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


async def _upload(w: World, who: str) -> dict[str, Any]:
    answer = await w.client.post(
        "/api/v1/media", files={"file": ("p.png", _picture(), "image/png")}, headers=w.heads[who]
    )
    assert answer.status_code == 201, f"setup upload: {answer.text}"
    return answer.json()


async def _build_upload(w: World, actor: str) -> Call:
    return Call("POST", "/api/v1/media", files={"file": ("p.png", _picture(), "image/png")})


def _owners_picture(suffix: str = ""):
    """A fresh picture the owner uploaded and attached to nothing."""

    async def build(w: World, actor: str) -> Call:
        return Call("GET", f"/api/v1/media/{(await _upload(w, 'owner'))['id']}{suffix}")

    return build


async def _policy_check_with_owners_picture(w: World, actor: str) -> Call:
    """A pre-publication check showing a fresh picture the owner uploaded: only theirs."""
    picture = await _upload(w, "owner")
    body = {"surface": "moment", "text": "look", "media_ids": [picture["id"]]}
    return Call("POST", "/api/v1/policy-check", body)


def _picture_sent(sender: str, conversation: str):
    """A fresh picture that `sender` uploaded and sent in a message to the conversation."""

    async def build(w: World, actor: str) -> Call:
        picture = await _upload(w, sender)
        conversation_id = {"G": w.group, "DB": w.direct_blocked}[conversation]
        body = {"client_id": w.fresh("m"), "text": "", "media_ids": [picture["id"]]}
        url = f"/api/v1/conversations/{conversation_id}/messages"
        await w.call(w.heads[sender], "POST", url, body)
        return Call("GET", picture["url"])

    return build


async def _fresh_moment(w: World, text: str = "fresh moment") -> int:
    return (await w.call(w.heads["owner"], "POST", "/api/v1/moments", {"text": text}))["id"]


async def _build_label_owner(w: World, actor: str) -> Call:
    body = {"name": w.fresh("l"), "members": [NAMES["owner"]]}
    return Call("POST", "/api/v1/labels", body)


def _on_fresh_label(method: str, body: Any = None):
    """A fresh label of the owner's holding friend."""

    async def build(w: World, actor: str) -> Call:
        made = {"name": w.fresh("l"), "members": [NAMES["friend"]]}
        label = await w.call(w.heads["owner"], "POST", "/api/v1/labels", made)
        return Call(method, f"/api/v1/labels/{label['id']}", body)

    return build


async def _build_moment_for_owner(w: World, actor: str) -> Call:
    body = {"text": "only you", "visibility": {"mode": "only", "usernames": [NAMES["owner"]]}}
    return Call("POST", "/api/v1/moments", body)


def _on_fresh_moment(method: str, suffix: str = "", body: Any = None):
    async def build(w: World, actor: str) -> Call:
        return Call(method, f"/api/v1/moments/{await _fresh_moment(w)}{suffix}", body)

    return build


async def _build_delete_friends_comment(w: World, actor: str) -> Call:
    """friend's comment on a fresh moment of the owner's: the owner (its moment's author) and
    friend (its writer) may delete it; nobody else even sees it."""
    moment_id = await _fresh_moment(w)
    url = f"/api/v1/moments/{moment_id}/comments"
    comment = await w.call(w.heads["friend"], "POST", url, {"text": "by friend"})
    return Call("DELETE", f"{url}/{comment['id']}")


async def _build_moment_picture(w: World, actor: str) -> Call:
    picture = await _upload(w, "owner")
    body = {"text": "with a picture", "media_ids": [picture["id"]]}
    await w.call(w.heads["owner"], "POST", "/api/v1/moments", body)
    return Call("GET", picture["url"])


PAGE = statuses(200, 200, 200, 200, 200, 200, 303)
EVERYONE_200 = statuses(200, 200, 200, 200, 200, 200, 200)
PA = "/api/v1/public-accounts/{handle}"
A = "/api/v1/articles/{article_id}"


def pa_editors(ok: int) -> dict[str, int]:
    """The account's owner and editor may; the others see the account but may not (403)."""
    return statuses(ok, ok, 403, 403, 403, 403)


def draft_editors(ok: int) -> dict[str, int]:
    """A draft is the owner's and editor's; to anyone else it does not exist (404)."""
    return statuses(ok, ok, 404, 404, 404, 404)


async def _build_create_public_account(w: World, actor: str) -> Call:
    handle = w.fresh("a")
    return Call("POST", "/api/v1/public-accounts", {"handle": handle, "name": "A name"})


def _on_fresh_public_account(method: str, suffix: str, body: Any = None):
    async def build(w: World, actor: str) -> Call:
        handle = w.fresh("a")
        await _public_account(w, handle)
        return Call(method, f"/api/v1/public-accounts/{handle}{suffix}", body)

    return build


def _on_closed_public_account(method: str, suffix: str, body: Any = None):
    """A fresh account of the owner's (admin its editor) that the owner closed."""

    async def build(w: World, actor: str) -> Call:
        handle = w.fresh("a")
        await _public_account(w, handle)
        await w.call(w.heads["owner"], "POST", f"/api/v1/public-accounts/{handle}/close")
        return Call(method, f"/api/v1/public-accounts/{handle}{suffix}", body)

    return build


def _on_article(method: str, suffix: str = ""):
    async def build(w: World, actor: str) -> Call:
        return Call(method, f"/api/v1/articles/{w.article}{suffix}")

    return build


def _on_draft(method: str, suffix: str = ""):
    async def build(w: World, actor: str) -> Call:
        return Call(method, f"/api/v1/articles/{w.draft}{suffix}")

    return build


def _on_fresh_article(method: str, suffix: str = "", body: Any = None, *, publish: bool = False):
    async def build(w: World, actor: str) -> Call:
        article = await _article(w, "fresh", publish=publish)
        return Call(method, f"/api/v1/articles/{article}{suffix}", body)

    return build


FRIENDS_OF_OWNER = statuses(200, 200, 200, 200, 404, 404)
M = "/api/v1/moments/{moment_id}"
MOD = "/api/v1/moderation"
# The moderators' routes: every actor of the table is a member, to whom they do not exist.
NO_MEMBER = statuses(404, 404, 404, 404, 404, 404)


async def _build_report_owner(w: World, actor: str) -> Call:
    """Each actor reports "the owner" (a person related to them as the owner is)."""
    _, head = await _person_like_owner(w, actor)
    me = await w.call(head, "GET", "/api/v1/me")
    return Call("POST", "/api/v1/reports", {"surface": "user", "id": me["id"], "policy_id": "spam"})


def _report(surface: str, ref_id: Callable[[World], int]):
    """A report of a thing of the scenario (the owner's moment, their message to friend)."""

    async def build(w: World, actor: str) -> Call:
        body = {"surface": surface, "id": ref_id(w), "policy_id": "spam"}
        return Call("POST", "/api/v1/reports", body)

    return build


async def _fresh_case(w: World) -> int:
    """An open case: a fresh person reported by the stranger."""
    _, head = await w.person()
    me = await w.call(head, "GET", "/api/v1/me")
    body = {"surface": "user", "id": me["id"], "policy_id": "spam", "details": "spam"}
    await w.call(w.heads["stranger"], "POST", "/api/v1/reports", body)
    async with w.app.state.runtime.sessions() as session:
        found = await open_case_of(session, surface="user", ref_id=me["id"])
    assert found is not None
    return found.id


def _on_list_entry(kind: str, entry: dict[str, str]):
    """A listed keyword or hash (listed once, as a moderator would, through the service)."""

    async def build(w: World, actor: str) -> Call:
        kinds = {"terms": lists.TERMS, "hashes": lists.HASHES}
        runtime = w.app.state.runtime
        async with runtime.sessions() as session:
            found = await session.scalar(select(kinds[kind].model))
            if found is None:
                found = await lists.add(
                    session,
                    kinds[kind],
                    moderation=moderation_of(w.app),
                    clock=runtime.clock,
                    actor_id=None,
                    policy_id="csam" if kind == "hashes" else "spam",
                    clause=1,
                    value=next(iter(entry.values())),
                )
        return Call("DELETE", f"{MOD}/{kind}/{found.id}")

    return build


def _on_case(method: str, suffix: str = "", body: Any = None):
    async def build(w: World, actor: str) -> Call:
        return Call(method, f"{MOD}/cases/{await _fresh_case(w)}{suffix}", body)

    return build


async def _owner_notice(w: World) -> int:
    """A fresh notice of the owner's: a fresh moment of theirs removed through enforcement."""
    moment = await w.call(w.heads["owner"], "POST", "/api/v1/moments", {"text": "removed"})
    runtime = w.app.state.runtime
    async with runtime.sessions() as session:
        done = await enforcement.enforce(
            session,
            moderation=moderation_of(w.app),
            clock=runtime.clock,
            bus=runtime.bus,
            surface="moment",
            ref_id=moment["id"],
            action="remove_content",
            policy_id="spam",
            clause=1,
            explanation="Advertising.",
            source="moderator",
        )
        await session.commit()
        await done.announce()
        notice = await session.scalar(select(Notice).where(Notice.action_id == done.action.id))
    assert notice is not None
    return notice.id


def _on_owner_notice(method: str, suffix: str = "", body: Any = None, *, page: bool = False):
    async def build(w: World, actor: str) -> Call:
        if page:
            return Call(method, f"/notices/{await _owner_notice(w)}{suffix}", cookie=True)
        return Call(method, f"/api/v1/notices/{await _owner_notice(w)}{suffix}", body)

    return build


def _on_appeal(method: str, suffix: str = "", body: Any = None):
    """A fresh appeal of the owner's."""

    async def build(w: World, actor: str) -> Call:
        notice_id = await _owner_notice(w)
        url = f"/api/v1/notices/{notice_id}/appeal"
        appeal = await w.call(w.heads["owner"], "POST", url, {"text": "Not an advert."})
        return Call(method, f"{MOD}/appeals/{appeal['id']}{suffix}", body)

    return build


# --- data export ------------------------------------------------------------------------------


def _owners_export(suffix: str):
    """The owner's export, asked for once and built to the end, for each actor to try."""

    async def build(w: World, actor: str) -> Call:
        if not w.export:
            owner = w.heads["owner"]
            w.export = (await w.call(owner, "POST", "/api/v1/exports"))["id"]
            for _ in range(600):
                state = (await w.call(owner, "GET", f"/api/v1/exports/{w.export}"))["state"]
                if state == "done":
                    break
                await asyncio.sleep(0.05)
        return Call("GET", f"/api/v1/exports/{w.export}{suffix}")

    return build


async def _owners_zip_holds_only_theirs(
    w: World, actor: str, call: Call, answer: Answer
) -> list[str]:
    """Every file of the zip, searched for the markers its owner may not see (the zip is
    compressed, so the answer's raw text shows nothing of them)."""
    response = await w.client.get(call.path, headers=w.heads[actor])
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        text = "\n".join(
            archive.read(name).decode("utf-8", "replace") for name in archive.namelist()
        )
    problems = [
        f"the zip holds {marker!r}"
        for marker, allowed in MARKERS.items()
        if actor not in allowed and marker in text
    ]
    return problems + [
        f"the zip lacks {s!r}" for s in (DIRECT_TEXT, PRIVATE_MOMENT) if s not in text
    ]


ROWS: list[Row] = [
    # --- reads: they see the scenario exactly as built -------------------------------------
    Row("my profile", "GET", "/api/v1/me", fixed("GET", "/api/v1/me"), signed_in(200)),
    Row("my sessions", "GET", "/api/v1/sessions", fixed("GET", "/api/v1/sessions"), signed_in(200)),
    Row(
        "find people",
        "GET",
        "/api/v1/users",
        fixed("GET", "/api/v1/users?q={owner}"),
        signed_in(200),
        shows={a: (NAMES["owner"],) for a in SIGNED_IN},
    ),
    Row(
        "sign out everywhere else",
        "DELETE",
        "/api/v1/sessions/others",
        fixed("DELETE", "/api/v1/sessions/others"),
        signed_in(200),
    ),
    Row(
        "sign out the owner's other device",
        "DELETE",
        "/api/v1/sessions/{session_id}",
        _build_revoke_owner_device,
        statuses(204, 404, 404, 404, 404, 404),
    ),
    Row(
        "change my password (with a wrong current one)",
        "POST",
        "/api/v1/me/password",
        fixed(
            "POST",
            "/api/v1/me/password",
            {"current_password": "not the password", "new_password": "a brand new password"},
        ),
        signed_in(403),
    ),
    Row(
        "the owner's profile (blocks are invisible)",
        "GET",
        "/api/v1/users/{username}",
        fixed("GET", "/api/v1/users/{owner}"),
        signed_in(200),
    ),
    Row(
        "a profile that does not exist",
        "GET",
        "/api/v1/users/{username}",
        fixed("GET", "/api/v1/users/zq_nobody"),
        signed_in(404),
    ),
    Row(
        "incoming friend requests",
        "GET",
        "/api/v1/friend-requests",
        fixed("GET", "/api/v1/friend-requests"),
        signed_in(200),
        shows={"owner": (GREETING, NAMES["requester"])},
    ),
    Row(
        "outgoing friend requests",
        "GET",
        "/api/v1/friend-requests",
        fixed("GET", "/api/v1/friend-requests?direction=outgoing"),
        signed_in(200),
    ),
    Row(
        "my friends",
        "GET",
        "/api/v1/friends",
        fixed("GET", "/api/v1/friends"),
        signed_in(200),
        shows={
            "owner": (NAMES["admin"], NAMES["friend"], NAMES["blocked"]),
            "blocked": (NAMES["owner"],),
        },
    ),
    Row(
        "my blocks",
        "GET",
        "/api/v1/blocks",
        fixed("GET", "/api/v1/blocks"),
        signed_in(200),
        shows={"owner": (NAMES["blocked"], NAMES["blocked_q"])},
    ),
    Row(
        "my conversations",
        "GET",
        "/api/v1/conversations",
        fixed("GET", "/api/v1/conversations"),
        signed_in(200),
        _check_conversation_list,
        shows={
            "owner": (TITLE, GROUP_TEXT, DIRECT_TEXT, OLD_DIRECT_TEXT),
            "member": (TITLE, GROUP_TEXT),
            "friend": (DIRECT_TEXT,),
            "blocked": (WITHHELD_TEXT,),
        },
    ),
    Row(
        "the group",
        "GET",
        C,
        fixed("GET", "/api/v1/conversations/{G}"),
        group_members(200),
        shows={a: (TITLE, GROUP_TEXT, NAMES["admin"], NAMES["member"]) for a in GROUP},
    ),
    Row(
        "the owner-friend direct chat",
        "GET",
        C,
        fixed("GET", "/api/v1/conversations/{DF}"),
        statuses(200, 404, 404, 200, 404, 404),
    ),
    Row(
        "the owner-blocked direct chat",
        "GET",
        C,
        fixed("GET", "/api/v1/conversations/{DB}"),
        statuses(200, 404, 404, 404, 404, 200),
        _check_blocker_has_nothing_unread,
    ),
    Row(
        "a conversation that does not exist",
        "GET",
        C,
        fixed("GET", "/api/v1/conversations/987654"),
        signed_in(404),
    ),
    Row(
        "the group's messages",
        "GET",
        C + "/messages",
        fixed("GET", "/api/v1/conversations/{G}/messages"),
        group_members(200),
        shows={a: (GROUP_TEXT,) for a in GROUP},
    ),
    Row(
        "the group's changes (joins, renames)",
        "GET",
        C + "/changes",
        fixed("GET", "/api/v1/conversations/{G}/changes"),
        group_members(200),
    ),
    Row(
        "the owner-blocked direct chat's messages",
        "GET",
        C + "/messages",
        fixed("GET", "/api/v1/conversations/{DB}/messages"),
        statuses(200, 404, 404, 404, 404, 200),
        shows={"owner": (OLD_DIRECT_TEXT,), "blocked": (OLD_DIRECT_TEXT, WITHHELD_TEXT)},
    ),
    Row(
        "the live stream (token)",
        "WS",
        "/api/v1/stream",
        fixed("WS", "/api/v1/stream"),
        signed_in(101, anon=4401),
        _check_ready,
    ),
    Row(
        "the live stream (cookie, the site's own Origin)",
        "WS",
        "/api/v1/stream",
        fixed("WS", "/api/v1/stream", cookie=True, origin="http://plaza.test"),
        signed_in(101, anon=4401),
        _check_ready,
    ),
    Row(
        # Design §3: a cookie upgrade must come from an allowed Origin. A cookie alone from
        # another site is not a sign-in: 4403 (the origin may not use the cookie).
        "the live stream (cookie, a foreign Origin)",
        "WS",
        "/api/v1/stream",
        fixed("WS", "/api/v1/stream", cookie=True, origin="https://evil.example"),
        signed_in(4403, anon=4401),
    ),
    Row(
        "send to the group through the stream",
        "WS",
        "/api/v1/stream",
        _stream_send("G"),
        group_members(201) | {"anon": 4401},
    ),
    Row(
        "send to the owner-blocked direct chat through the stream",
        "WS",
        "/api/v1/stream",
        _stream_send("DB"),
        statuses(201, 404, 404, 404, 404, 201, 4401),
    ),
    Row(
        "reply through the stream to a message of another chat",
        "WS",
        "/api/v1/stream",
        _stream_send("G", reply_to="DM"),
        statuses(422, 422, 422, 404, 404, 404, 4401),
    ),
    Row(
        "page: the owner's profile",
        "GET",
        "/u/{username}",
        fixed("GET", "/u/{owner}", cookie=True),
        PAGE,
        shows={a: (NAMES["owner"],) for a in SIGNED_IN},
    ),
    Row(
        "page: the group's chat",
        "GET",
        "/chat/{conversation_id}",
        fixed("GET", "/chat/{G}", cookie=True),
        statuses(200, 200, 200, 404, 404, 404, 303),
    ),
    Row("page: chat", "GET", "/chat", fixed("GET", "/chat", cookie=True), PAGE),
    Row("page: my profile", "GET", "/me", fixed("GET", "/me", cookie=True), PAGE),
    Row("page: friends", "GET", "/friends", fixed("GET", "/friends", cookie=True), PAGE),
    Row("page: people", "GET", "/people", fixed("GET", "/people?q={owner}", cookie=True), PAGE),
    Row("page: my notices", "GET", "/notices", fixed("GET", "/notices", cookie=True), PAGE),
    Row(
        "page: the owner's notice",
        "GET",
        "/notices/{notice_id}",
        _on_owner_notice("GET", page=True),
        statuses(200, 404, 404, 404, 404, 404, 303),
    ),
    Row(
        "page: the appeal queue",
        "GET",
        "/moderation/appeals",
        fixed("GET", "/moderation/appeals", cookie=True),
        statuses(404, 404, 404, 404, 404, 404, 303),
    ),
    # --- writes: each cell acts on its own fresh target ------------------------------------
    Row("register", "POST", "/api/v1/accounts", _build_register, signed_in(201, anon=201)),
    Row(
        "log in as the owner, wrong password",
        "POST",
        "/api/v1/sessions",
        fixed("POST", "/api/v1/sessions", {"username": NAMES["owner"], "password": "wrong" * 3}),
        signed_in(401),
    ),
    Row(
        "log in as the owner, right password",
        "POST",
        "/api/v1/sessions",
        fixed("POST", "/api/v1/sessions", {"username": NAMES["owner"], "password": PASSWORD}),
        signed_in(201, anon=201),
    ),
    Row("log out", "DELETE", "/api/v1/sessions/current", _build_log_out, signed_in(204)),
    Row("rename myself", "PATCH", "/api/v1/me", _build_me_update, signed_in(200)),
    Row(
        "befriend the owner",
        "POST",
        "/api/v1/friend-requests",
        _build_friend_request,
        statuses(422, 409, 409, 409, 201, 409),
    ),
    Row(
        "accept a request to the owner",
        "POST",
        "/api/v1/friend-requests/{request_id}/accept",
        _decide("accept"),
        statuses(200, 404, 404, 404, 404, 404),
    ),
    Row(
        "accept a request to the owner from someone they blocked",
        "POST",
        "/api/v1/friend-requests/{request_id}/accept",
        _decide("accept", blocked_sender=True),
        statuses(404, 404, 404, 404, 404, 404),
    ),
    Row(
        "decline a request to the owner",
        "POST",
        "/api/v1/friend-requests/{request_id}/decline",
        _decide("decline"),
        statuses(200, 404, 404, 404, 404, 404),
    ),
    Row(
        "unfriend the owner",
        "DELETE",
        "/api/v1/friends/{username}",
        _build_unfriend,
        statuses(404, 204, 204, 204, 404, 204),
    ),
    Row(
        "block the owner",
        "POST",
        "/api/v1/blocks",
        _build_block,
        statuses(422, 201, 201, 201, 201, 201),
    ),
    Row(
        "unblock the owner",
        "DELETE",
        "/api/v1/blocks/{username}",
        _build_unblock,
        statuses(404, 204, 204, 204, 204, 204),
    ),
    Row(
        "start a group with the owner",
        "POST",
        "/api/v1/conversations",
        _start("group"),
        # For the owner that is a group of one: refused (a group needs another member).
        statuses(422, 201, 201, 201, 403, 201),
        _check_target_does_not_see,
    ),
    Row(
        "start a direct chat with the owner",
        "POST",
        "/api/v1/conversations",
        _start("direct"),
        statuses(422, 201, 201, 201, 403, 201),
    ),
    Row(
        "rename a group",
        "PATCH",
        C,
        _on_fresh_group("PATCH", body={"title": "renamed"}),
        statuses(200, 200, 403, 404, 404, 404),
    ),
    Row(
        "make the plain member an admin",
        "PATCH",
        C,
        _on_fresh_group("PATCH", body={"roles": {NAMES["member"]: "admin"}}),
        statuses(200, 403, 403, 404, 404, 404),
    ),
    Row(
        "add a friend of mine to the group",
        "POST",
        C + "/members",
        _build_add_friend_to_group,
        statuses(201, 201, 403, 404, 404, 404),
    ),
    Row(
        "add someone to the owner-friend direct chat",
        "POST",
        C + "/members",
        fixed("POST", "/api/v1/conversations/{DF}/members", {"username": NAMES["stranger"]}),
        statuses(422, 404, 404, 422, 404, 404),
    ),
    Row(
        "add the owner to my own group",
        "POST",
        C + "/members",
        _build_add_owner_to_own_group,
        statuses(409, 201, 201, 201, 403, 201),
        _check_target_does_not_see,
    ),
    Row(
        "remove the plain member (the member: leave)",
        "DELETE",
        C + "/members/{username}",
        _on_fresh_group("DELETE", "/members/{member}"),
        statuses(204, 204, 204, 404, 404, 404),
    ),
    Row(
        "remove the admin (the admin: leave)",
        "DELETE",
        C + "/members/{username}",
        _on_fresh_group("DELETE", "/members/{admin}"),
        statuses(204, 204, 403, 404, 404, 404),
    ),
    Row(
        "remove the owner (the owner: leave)",
        "DELETE",
        C + "/members/{username}",
        _on_fresh_group("DELETE", "/members/{owner}"),
        statuses(204, 403, 403, 404, 404, 404),
    ),
    Row("leave a group", "DELETE", C + "/members/{username}", _build_leave, group_members(204)),
    Row("send to the group", "POST", C + "/messages", _build_send, group_members(201)),
    Row(
        "send to the owner-blocked direct chat (looks sent to the blocked)",
        "POST",
        C + "/messages",
        _build_send_direct_blocked,
        statuses(201, 404, 404, 404, 404, 201),
    ),
    Row(
        "reply in the group to a message of another chat",
        "POST",
        C + "/messages",
        _build_reply_across,
        statuses(422, 422, 422, 404, 404, 404),
    ),
    Row(
        "recall the owner's message",
        "DELETE",
        C + "/messages/{message_id}",
        _recall(already_recalled=False),
        statuses(204, 403, 403, 404, 404, 404),
    ),
    Row(
        "recall the owner's already recalled message",
        "DELETE",
        C + "/messages/{message_id}",
        _recall(already_recalled=True),
        statuses(204, 403, 403, 404, 404, 404),
    ),
    Row(
        "recall, through the group, a message of another chat",
        "DELETE",
        C + "/messages/{message_id}",
        fixed("DELETE", "/api/v1/conversations/{G}/messages/{DM}"),
        signed_in(404),
    ),
    Row(
        "mark the group read",
        "POST",
        C + "/read",
        fixed("POST", "/api/v1/conversations/{G}/read"),
        group_members(200),
    ),
    Row(
        "mark the owner-blocked direct chat read",
        "POST",
        C + "/read",
        fixed("POST", "/api/v1/conversations/{DB}/read"),
        statuses(200, 404, 404, 404, 404, 200),
    ),
    # --- labels and moments ---------------------------------------------------------------
    Row(
        "my labels",
        "GET",
        "/api/v1/labels",
        fixed("GET", "/api/v1/labels"),
        signed_in(200),
        shows={"owner": (LABEL_NAME, NAMES["friend"])},
    ),
    Row(
        "label the owner",
        "POST",
        "/api/v1/labels",
        _build_label_owner,
        # Not a friend of one's own; the blocked person still has the friendship (blocks
        # are invisible).
        statuses(422, 201, 201, 201, 422, 201),
    ),
    Row(
        "rename the owner's label",
        "PUT",
        "/api/v1/labels/{label_id}",
        _on_fresh_label("PUT", {"name": "renamed"}),
        statuses(200, 404, 404, 404, 404, 404),
    ),
    Row(
        "delete the owner's label",
        "DELETE",
        "/api/v1/labels/{label_id}",
        _on_fresh_label("DELETE"),
        statuses(204, 404, 404, 404, 404, 404),
    ),
    Row(
        "my timeline",
        "GET",
        "/api/v1/moments/timeline",
        fixed("GET", "/api/v1/moments/timeline"),
        signed_in(200),
        shows={
            "owner": (MOMENT_TEXT, PRIVATE_MOMENT, FRIEND_COMMENT),
            "member": (MOMENT_TEXT,),
            "friend": (MOMENT_TEXT, FRIEND_COMMENT),
        },
    ),
    Row(
        "the owner's moments",
        "GET",
        "/api/v1/users/{username}/moments",
        fixed("GET", "/api/v1/users/{owner}/moments"),
        signed_in(200),
        shows={"owner": (PRIVATE_MOMENT,), "admin": (MOMENT_TEXT,), "friend": (FRIEND_COMMENT,)},
    ),
    Row(
        "the owner's moment",
        "GET",
        M,
        fixed("GET", "/api/v1/moments/{M}"),
        FRIENDS_OF_OWNER,
        shows={"owner": (FRIEND_COMMENT,), "member": (MOMENT_TEXT,)},
    ),
    Row(
        "a moment that does not exist",
        "GET",
        M,
        fixed("GET", "/api/v1/moments/987654"),
        signed_in(404),
    ),
    Row(
        "new moments from friends",
        "GET",
        "/api/v1/moments/unseen",
        fixed("GET", "/api/v1/moments/unseen"),
        signed_in(200),
    ),
    Row(
        "mark moments seen",
        "POST",
        "/api/v1/moments/seen",
        fixed("POST", "/api/v1/moments/seen"),
        signed_in(204),
    ),
    Row(
        "post a moment",
        "POST",
        "/api/v1/moments",
        fixed("POST", "/api/v1/moments", {"text": "hello"}),
        signed_in(201),
    ),
    Row(
        "post a moment only the owner sees",
        "POST",
        "/api/v1/moments",
        _build_moment_for_owner,
        statuses(422, 201, 201, 201, 422, 201),
    ),
    Row(
        "delete the owner's moment",
        "DELETE",
        M,
        _on_fresh_moment("DELETE"),
        statuses(204, 403, 403, 403, 404, 404),
    ),
    Row(
        "like the owner's moment",
        "POST",
        M + "/like",
        _on_fresh_moment("POST", "/like"),
        FRIENDS_OF_OWNER,
    ),
    Row(
        "unlike the owner's moment",
        "DELETE",
        M + "/like",
        _on_fresh_moment("DELETE", "/like"),
        FRIENDS_OF_OWNER,
    ),
    Row(
        "comment on the owner's moment",
        "POST",
        M + "/comments",
        _on_fresh_moment("POST", "/comments", {"text": "nice"}),
        statuses(201, 201, 201, 201, 404, 404),
    ),
    Row(
        "delete friend's comment on the owner's moment",
        "DELETE",
        M + "/comments/{comment_id}",
        _build_delete_friends_comment,
        statuses(204, 404, 404, 204, 404, 404),
    ),
    # --- public accounts --------------------------------------------------------------------
    # The owner owns PA_HANDLE; admin is its editor; everyone else only reads it.
    Row(
        "create a public account",
        "POST",
        "/api/v1/public-accounts",
        _build_create_public_account,
        signed_in(201),
    ),
    Row(
        "the public accounts directory",
        "GET",
        "/api/v1/public-accounts",
        fixed("GET", f"/api/v1/public-accounts?q={PA_HANDLE}"),
        EVERYONE_200,
        shows={a: (PA_HANDLE,) for a in ACTORS},
    ),
    Row(
        "a public account",
        "GET",
        PA,
        fixed("GET", f"/api/v1/public-accounts/{PA_HANDLE}"),
        EVERYONE_200,
    ),
    Row(
        "change a public account",
        "PATCH",
        PA,
        fixed("PATCH", f"/api/v1/public-accounts/{PA_HANDLE}", {"description": "about"}),
        pa_editors(200),
    ),
    Row(
        "mark a public account verified",
        "PUT",
        PA + "/verified",
        fixed("PUT", f"/api/v1/public-accounts/{PA_HANDLE}/verified", {"verified": True}),
        statuses(403, 403, 403, 403, 403, 403),
    ),
    Row(
        "a public account's editors",
        "GET",
        PA + "/editors",
        fixed("GET", f"/api/v1/public-accounts/{PA_HANDLE}/editors"),
        pa_editors(200),
    ),
    Row(
        "add an editor",
        "POST",
        PA + "/editors",
        _on_fresh_public_account("POST", "/editors", {"username": NAMES["stranger"]}),
        statuses(201, 403, 403, 403, 403, 403),
    ),
    Row(
        "remove an editor",
        "DELETE",
        PA + "/editors/{username}",
        _on_fresh_public_account("DELETE", f"/editors/{NAMES['admin']}"),
        statuses(204, 204, 403, 403, 403, 403),
    ),
    Row(
        "a public account's statistics",
        "GET",
        PA + "/stats",
        fixed("GET", f"/api/v1/public-accounts/{PA_HANDLE}/stats"),
        pa_editors(200),
    ),
    Row(
        "subscribe",
        "POST",
        PA + "/subscription",
        fixed("POST", f"/api/v1/public-accounts/{PA_HANDLE}/subscription"),
        signed_in(200),
    ),
    Row(
        "unsubscribe",
        "DELETE",
        PA + "/subscription",
        fixed("DELETE", f"/api/v1/public-accounts/{PA_HANDLE}/subscription"),
        signed_in(200),
    ),
    Row(
        "my subscriptions",
        "GET",
        "/api/v1/subscriptions",
        fixed("GET", "/api/v1/subscriptions"),
        signed_in(200),
    ),
    Row("my feed", "GET", "/api/v1/feed", fixed("GET", "/api/v1/feed"), signed_in(200)),
    Row(
        "write a draft",
        "POST",
        PA + "/articles",
        fixed("POST", f"/api/v1/public-accounts/{PA_HANDLE}/articles", {"title": "new"}),
        pa_editors(201),
    ),
    Row(
        "a public account's articles",
        "GET",
        PA + "/articles",
        fixed("GET", f"/api/v1/public-accounts/{PA_HANDLE}/articles"),
        EVERYONE_200,
    ),
    Row(
        "a public account's drafts",
        "GET",
        PA + "/articles",
        fixed("GET", f"/api/v1/public-accounts/{PA_HANDLE}/articles?drafts=true"),
        EVERYONE_200,
        shows={"owner": (DRAFT_TITLE,), "admin": (DRAFT_TITLE,)},
    ),
    Row(
        "preview an article",
        "POST",
        "/api/v1/articles/preview",
        fixed("POST", "/api/v1/articles/preview", {"body": "**hi**"}),
        signed_in(200),
    ),
    Row("a published article", "GET", A, _on_article("GET"), EVERYONE_200),
    Row(
        "a draft",
        "GET",
        A,
        _on_draft("GET"),
        statuses(200, 200, 404, 404, 404, 404, 404),
        shows={"owner": (DRAFT_TITLE,), "admin": (DRAFT_TITLE,)},
    ),
    Row(
        "edit a draft",
        "PATCH",
        A,
        _on_fresh_article("PATCH", body={"body": "more"}),
        draft_editors(200),
    ),
    Row(
        "edit a published article",
        "PATCH",
        A,
        _on_fresh_article("PATCH", body={"body": "more"}, publish=True),
        pa_editors(200),
    ),
    Row("remove a draft", "DELETE", A, _on_fresh_article("DELETE"), draft_editors(204)),
    Row(
        "publish a draft",
        "POST",
        A + "/publish",
        _on_fresh_article("POST", "/publish"),
        draft_editors(200),
    ),
    Row(
        "a published article's revisions",
        "GET",
        A + "/revisions",
        _on_article("GET", "/revisions"),
        pa_editors(200),
    ),
    Row("like an article", "POST", A + "/like", _on_article("POST", "/like"), signed_in(200)),
    Row("unlike an article", "DELETE", A + "/like", _on_article("DELETE", "/like"), signed_in(200)),
    # --- a publisher's exit (issue #13): closing, the moved notice, the export --------------
    # The owner's alone: who sees the account gets 403; a closed one only its owner sees.
    Row(
        "close a public account",
        "POST",
        PA + "/close",
        _on_fresh_public_account("POST", "/close"),
        statuses(200, 403, 403, 403, 403, 403),
    ),
    Row(
        "a closed public account's moved notice",
        "PUT",
        PA + "/moved",
        _on_closed_public_account("PUT", "/moved", {"to": "https://example.org/moved"}),
        statuses(200, 404, 404, 404, 404, 404),
    ),
    Row(
        "a public account's export",
        "GET",
        PA + "/export",
        fixed("GET", f"/api/v1/public-accounts/{PA_HANDLE}/export"),
        statuses(200, 403, 403, 403, 403, 403),
    ),
    Row(
        "a closed public account's export",
        "GET",
        PA + "/export",
        _on_closed_public_account("GET", "/export"),
        statuses(200, 404, 404, 404, 404, 404),
    ),
    # --- media ----------------------------------------------------------------------------
    Row(
        "a picture of the owner's moment",
        "GET",
        "/api/v1/media/{media_id}",
        _build_moment_picture,
        FRIENDS_OF_OWNER,
    ),
    Row("upload a picture", "POST", "/api/v1/media", _build_upload, signed_in(201)),
    Row(
        "the owner's unattached picture",
        "GET",
        "/api/v1/media/{media_id}",
        _owners_picture(),
        statuses(200, 404, 404, 404, 404, 404),
    ),
    Row(
        "the owner's unattached picture's thumbnail",
        "GET",
        "/api/v1/media/{media_id}/thumbnail",
        _owners_picture("/thumbnail"),
        statuses(200, 404, 404, 404, 404, 404),
    ),
    Row(
        "a picture the owner sent to the group",
        "GET",
        "/api/v1/media/{media_id}",
        _picture_sent("owner", "G"),
        group_members(200),
    ),
    Row(
        "a picture the blocked person sent to the owner (withheld)",
        "GET",
        "/api/v1/media/{media_id}",
        _picture_sent("blocked", "DB"),
        statuses(404, 404, 404, 404, 404, 200),
    ),
    Row(
        "a picture that does not exist",
        "GET",
        "/api/v1/media/{media_id}",
        fixed("GET", "/api/v1/media/987654"),
        signed_in(404),
    ),
    Row(
        "the content policies",
        "GET",
        "/api/v1/policies",
        fixed("GET", "/api/v1/policies"),
        EVERYONE_200,
        shows={a: ("Spam and scams",) for a in ACTORS},
    ),
    # --- my standing (issue #12: strikes and standing): everyone signed in, their own -----
    Row(
        "my standing",
        "GET",
        "/api/v1/standing",
        fixed("GET", "/api/v1/standing"),
        signed_in(200),
        shows={a: ("strikes_to_suspend",) for a in SIGNED_IN},
    ),
    Row(
        "page: my standing",
        "GET",
        "/standing",
        fixed("GET", "/standing", cookie=True),
        PAGE,
        shows={a: ("How strikes work",) for a in SIGNED_IN},
    ),
    # --- trust and safety: reports, and the moderators' routes (members find none) -------
    Row(
        "report the owner",
        "POST",
        "/api/v1/reports",
        _build_report_owner,
        # Oneself: 422 own_content; anyone else, the person they blocked included (blocks are
        # invisible, and the blocked person's profile still shows).
        statuses(422, 201, 201, 201, 201, 201),
    ),
    Row(
        "report the owner's moment",
        "POST",
        "/api/v1/reports",
        _report("moment", lambda w: w.moment),
        # Those who see it may report it; its author may not (own_content).
        statuses(422, 201, 201, 201, 404, 404),
    ),
    Row(
        "report the owner's direct message",
        "POST",
        "/api/v1/reports",
        _report("message", lambda w: w.direct_message),
        statuses(422, 404, 404, 201, 404, 404),
    ),
    Row(
        "the moderators' queue",
        "GET",
        MOD + "/cases",
        fixed("GET", MOD + "/cases?state=all"),
        NO_MEMBER,
    ),
    Row("a case", "GET", MOD + "/cases/{case_id}", _on_case("GET"), NO_MEMBER),
    Row(
        "claim a case",
        "POST",
        MOD + "/cases/{case_id}/claim",
        _on_case("POST", "/claim"),
        NO_MEMBER,
    ),
    Row(
        "decide a case",
        "POST",
        MOD + "/cases/{case_id}/decision",
        _on_case("POST", "/decision", {"action": "no_action", "explanation": "fine"}),
        NO_MEMBER,
    ),
    Row("the audit log", "GET", MOD + "/audit", fixed("GET", MOD + "/audit"), NO_MEMBER),
    # --- notices and appeals (issue #12) --------------------------------------------------
    Row("my notices", "GET", "/api/v1/notices", fixed("GET", "/api/v1/notices"), signed_in(200)),
    Row(
        "the owner's notice",
        "GET",
        "/api/v1/notices/{notice_id}",
        _on_owner_notice("GET"),
        statuses(200, 404, 404, 404, 404, 404),
    ),
    Row(
        "appeal the owner's notice",
        "POST",
        "/api/v1/notices/{notice_id}/appeal",
        _on_owner_notice("POST", "/appeal", {"text": "It was not spam."}),
        statuses(201, 404, 404, 404, 404, 404),
    ),
    Row(
        "the appeal queue",
        "GET",
        MOD + "/appeals",
        fixed("GET", MOD + "/appeals?state=all"),
        NO_MEMBER,
    ),
    Row("an appeal", "GET", MOD + "/appeals/{appeal_id}", _on_appeal("GET"), NO_MEMBER),
    Row(
        "claim an appeal",
        "POST",
        MOD + "/appeals/{appeal_id}/claim",
        _on_appeal("POST", "/claim"),
        NO_MEMBER,
    ),
    Row(
        "decide an appeal",
        "POST",
        MOD + "/appeals/{appeal_id}/decision",
        _on_appeal("POST", "/decision", {"outcome": "uphold", "explanation": "It was."}),
        NO_MEMBER,
    ),
    # --- issue #11 leftovers and #12 item 8: releasing a claim, the audit log's filters ---
    Row(
        "release a claimed case",
        "POST",
        MOD + "/cases/{case_id}/release",
        _on_case("POST", "/release"),
        NO_MEMBER,
    ),
    Row(
        "the audit log, filtered",
        "GET",
        MOD + "/audit",
        fixed("GET", MOD + "/audit?verb=case.claim&from=2026-01-01T00:00:00Z"),
        NO_MEMBER,
    ),
    Row("the keyword lists", "GET", MOD + "/terms", fixed("GET", MOD + "/terms"), NO_MEMBER),
    Row(
        "list a keyword",
        "POST",
        MOD + "/terms",
        fixed("POST", MOD + "/terms", {"policy_id": "spam", "clause": 1, "term": "buy now"}),
        NO_MEMBER,
    ),
    Row(
        "remove a keyword",
        "DELETE",
        MOD + "/terms/{term_id}",
        _on_list_entry("terms", {"term": "cheap pills"}),
        NO_MEMBER,
    ),
    Row("the hash lists", "GET", MOD + "/hashes", fixed("GET", MOD + "/hashes"), NO_MEMBER),
    Row(
        "list a hash",
        "POST",
        MOD + "/hashes",
        fixed("POST", MOD + "/hashes", {"policy_id": "csam", "clause": 1, "hash": "a" * 64}),
        NO_MEMBER,
    ),
    Row(
        "remove a hash",
        "DELETE",
        MOD + "/hashes/{hash_id}",
        _on_list_entry("hashes", {"hash": "b" * 64}),
        NO_MEMBER,
    ),
    # --- the pre-publication check (issue #13): any member, with their own pictures only ---
    Row(
        "a policy check",
        "POST",
        "/api/v1/policy-check",
        fixed("POST", "/api/v1/policy-check", {"surface": "moment", "text": "A quiet day."}),
        signed_in(200),
        shows={a: ('"outcome":"allow"',) for a in SIGNED_IN},
    ),
    Row(
        "a policy check with the owner's picture",
        "POST",
        "/api/v1/policy-check",
        _policy_check_with_owners_picture,
        statuses(200, 422, 422, 422, 422, 422),
    ),
    # --- the transparency report: public, for everyone, signed in or not ------------------
    Row(
        "the transparency report",
        "GET",
        "/api/v1/transparency",
        fixed("GET", "/api/v1/transparency?from=2026-01-01&to=2026-01-31"),
        EVERYONE_200,
        shows={a: ("Automated detection",) for a in ACTORS},
    ),
    Row(
        "the transparency report as CSV",
        "GET",
        "/api/v1/transparency",
        fixed("GET", "/api/v1/transparency?format=csv"),
        EVERYONE_200,
        shows={a: ("section,key,count",) for a in ACTORS},
    ),
    Row(
        "page: the transparency report",
        "GET",
        "/transparency",
        fixed("GET", "/transparency", cookie=True),
        EVERYONE_200,
        shows={a: ("Transparency report",) for a in ACTORS},
    ),
    # --- the public decision log (#13): public, for everyone, signed in or not ------------
    Row(
        "the decision log",
        "GET",
        "/api/v1/decisions",
        fixed("GET", "/api/v1/decisions?from=2026-01-01&to=2026-01-31&limit=5"),
        EVERYONE_200,
        shows={a: ("next_cursor",) for a in ACTORS},
    ),
    Row(
        "a day of the decision log as JSON Lines",
        "GET",
        "/api/v1/decisions/{day}.jsonl",
        fixed("GET", "/api/v1/decisions/2026-01-15.jsonl"),
        EVERYONE_200,
    ),
    Row(
        "page: the decision log",
        "GET",
        "/decisions",
        fixed("GET", "/decisions", cookie=True),
        EVERYONE_200,
        shows={a: ("Decision log",) for a in ACTORS},
    ),
    # --- data export: one's own only; a zip of what the owner may see, nothing more ---------
    Row(
        "my data exports", "GET", "/api/v1/exports", fixed("GET", "/api/v1/exports"), signed_in(200)
    ),
    Row(
        "the owner's data export",
        "GET",
        "/api/v1/exports/{export_id}",
        _owners_export(""),
        statuses(200, 404, 404, 404, 404, 404),
    ),
    Row(
        "the owner's data export's zip",
        "GET",
        "/api/v1/exports/{export_id}/download",
        _owners_export("/download"),
        statuses(200, 404, 404, 404, 404, 404),
        check=_owners_zip_holds_only_theirs,
    ),
    # After the rows above: the owner's export is done by now, so this one may start.
    Row(
        "start a data export",
        "POST",
        "/api/v1/exports",
        fixed("POST", "/api/v1/exports"),
        signed_in(202),
    ),
    Row("page: export my data", "GET", "/exports", fixed("GET", "/exports", cookie=True), PAGE),
]


# Cells where today's code disagrees with the design: (row name, actor) -> the finding.
# Each must still fail; when one passes, the test says so: delete its line.
KNOWN_FINDINGS: dict[tuple[str, str], str] = {}


# --- running a cell ------------------------------------------------------------------------


# A stream command's answer as the status its HTTP twin would give.
COMMAND_STATUS = {"not_found": 404, "invalid": 422, "forbidden": 403, "rate_limited": 429}


async def _stream(app: Any, call: Call, token: str | None) -> Answer:
    """Open the WebSocket on the ASGI app directly: 101 and the ready frame, or the close
    code and what came before it (403: closed before it was accepted). With `call.frame`,
    send it once ready and answer as its HTTP twin would: 201 for `sent`, the error's status
    (`COMMAND_STATUS`) for an `error` frame."""
    cookie, origin = call.cookie, call.origin
    query = f"token={token}".encode() if token and not cookie else b""
    headers = [(b"host", b"plaza.test")]
    if token and cookie:
        headers.append((b"cookie", f"plaza_session={token}".encode()))
    if origin:
        headers.append((b"origin", origin.encode()))
    scope = {
        "type": "websocket",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "scheme": "ws",
        "path": "/api/v1/stream",
        "raw_path": b"/api/v1/stream",
        "root_path": "",
        "query_string": query,
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("plaza.test", 80),
        "subprotocols": [],
        "extensions": {},
        "state": {},
    }
    inbox: asyncio.Queue = asyncio.Queue()
    outbox: asyncio.Queue = asyncio.Queue()
    await inbox.put({"type": "websocket.connect"})
    task = asyncio.create_task(app(scope, inbox.get, outbox.put))
    frames: list[str] = []
    accepted = False
    try:
        while True:
            message = await asyncio.wait_for(outbox.get(), 10)
            if message["type"] == "websocket.accept":
                accepted = True
            elif message["type"] == "websocket.send":
                text = message.get("text") or (message.get("bytes") or b"").decode()
                frames.append(text)
                kind = orjson.loads(text).get("type")
                if kind == "ready" and call.frame is None:
                    return Answer(101, text)
                if kind == "ready":
                    await inbox.put({"type": "websocket.receive", "text": json.dumps(call.frame)})
                elif kind == "sent" and call.frame is not None:
                    return Answer(201, text)
                elif kind == "error" and accepted and frames[0] != text:
                    code = orjson.loads(text).get("code", "")
                    status = COMMAND_STATUS.get(code, 403 if code.startswith("account_") else 400)
                    return Answer(status, text)
            elif message["type"] == "websocket.close":
                code = message.get("code", 1000) if accepted else 403
                return Answer(code, "\n".join(frames))
            else:
                return Answer(0, f"unexpected {message} (accepted={accepted})")
    finally:
        await inbox.put({"type": "websocket.disconnect", "code": 1000})
        await asyncio.wait_for(task, 10)


async def _run(w: World, actor: str, call: Call) -> Answer:
    if call.method == "WS":
        return await _stream(w.app, call, w.token(actor))
    token = w.token(actor)
    if call.cookie:
        headers = {"Cookie": f"plaza_session={token}"} if token else {}
    else:
        headers = call.headers if call.headers is not None else w.heads[actor]
    w.client.cookies.clear()
    answer = await w.client.request(
        call.method, call.path, json=call.json, files=call.files, headers=headers
    )
    # A picture's bytes are no text to search for markers.
    binary = answer.headers.get("content-type", "").startswith("image/")
    text = "" if binary else answer.text
    return Answer(answer.status_code, text, answer.headers.get("location", ""))


GHOST = 987654  # an id nothing has
HIDDEN_ID = re.compile(
    r"^(/api/v1/(?:conversations|friend-requests|media|moments|labels|articles)/)(\d+)"
)


async def _same_as_ghost(w: World, actor: str, call: Call, answer: Answer) -> list[str]:
    """A 404 for something hidden must read exactly like the 404 for something that does not
    exist, or the difference tells that it exists. The moderators' routes are hidden whole:
    their 404 must read like the one for an address no route serves."""
    if answer.status == 404 and call.path.startswith(MOD + "/"):
        nowhere = call.path.replace(MOD, f"/api/v1/{GHOST}", 1)
        other = await w.client.request(call.method, nowhere, json=call.json, headers=w.heads[actor])
        if other.status_code == 404 and other.json() == json.loads(answer.text):
            return []
        return [f"404 differs from one for no route ({other.status_code} {other.text[:100]})"]
    match = HIDDEN_ID.match(call.path)
    if answer.status != 404 or match is None or actor == "anon" or call.method == "WS":
        return []
    if match.group(1) in ("/api/v1/conversations/", "/api/v1/moments/"):
        probe = await w.client.get(match.group(0), headers=w.heads[actor])
        if probe.status_code != 404:
            return []  # the actor sees the conversation or moment; this 404 is about inside
    ghost = HIDDEN_ID.sub(rf"\g<1>{GHOST}", call.path)
    other = await w.client.request(call.method, ghost, json=call.json, headers=w.heads[actor])
    if other.status_code == 404 and other.json() == json.loads(answer.text):
        return []
    return [f"404 differs from one for nothing ({other.status_code} {other.text[:100]})"]


def _leaks(actor: str, call: Call, answer: Answer) -> list[str]:
    asked = call.path + json.dumps(call.json)
    return [
        f"shows {marker!r}"
        for marker, allowed in MARKERS.items()
        if actor not in allowed and marker in answer.text and marker not in asked
    ]


def _shape(row: Row, call: Call, answer: Answer) -> list[str]:
    """API errors carry the one error shape; a signed-out page sends the person to sign in."""
    if answer.status == 303:
        want = f"/signin?next={call.path.split('?')[0]}"
        return [] if answer.location == want else [f"redirects to {answer.location!r}"]
    if row.route.startswith("/api/v1") and row.method != "WS" and 400 <= answer.status < 500:
        try:
            error = json.loads(answer.text)["error"]
            assert isinstance(error["code"], str) and isinstance(error["message"], str)
        except (ValueError, KeyError, TypeError, AssertionError):
            return [f"error body is not {{error: {{code, message}}}}: {answer.text[:120]}"]
    return []


async def _cell(w: World, row: Row, actor: str) -> list[str]:
    call = await row.build(w, actor)
    answer = await _run(w, actor, call)
    problems = []
    want = row.expect[actor]
    if answer.status != want:
        detail = answer.text[:160].replace("\n", " ")
        problems.append(f"expected {want}, got {answer.status}: {detail}")
    problems += _leaks(actor, call, answer)
    problems += _shape(row, call, answer)
    problems += await _same_as_ghost(w, actor, call, answer)
    if answer.status == want and answer.status < 300:
        if row.check is not None:
            problems += await row.check(w, actor, call, answer)
        problems += [
            f"does not show {s!r}" for s in row.shows.get(actor, ()) if s not in answer.text
        ]
    return problems


@pytest.mark.slow
@pytest.mark.timeout(600)  # every route and page for seven actors: minutes on a busy machine
async def test_authorization_table(client, app, backend):
    """Every row x every actor on one scenario; see the module docstring."""
    w = await build_world(client, app)
    found: dict[tuple[str, str], list[str]] = {}
    for row in ROWS:
        for actor in ACTORS:
            problems = await _cell(w, row, actor)
            if problems:
                found[(row.name, actor)] = problems
    unexpected = {k: v for k, v in found.items() if k not in KNOWN_FINDINGS}
    fixed_now = [k for k in KNOWN_FINDINGS if k not in found]
    lines = []
    for (name, actor), problems in unexpected.items():
        row = next(r for r in ROWS if r.name == name)
        lines.append(f"  {row.method} {row.route} [{name}] as {actor}: {'; '.join(problems)}")
    for name, actor in fixed_now:
        lines.append(
            f"  [{name}] as {actor} now passes: remove it from KNOWN_FINDINGS "
            f"({KNOWN_FINDINGS[(name, actor)]})"
        )
    cells = len(ROWS) * len(ACTORS)
    assert not lines, f"{backend}: {len(lines)} of {cells} cells disagree:\n" + "\n".join(lines)


def _flatten(routes, prefix: str = ""):
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            context = getattr(route, "include_context", None)
            yield from _flatten(inner.routes, prefix + getattr(context, "prefix", ""))
        elif hasattr(route, "path"):
            methods = getattr(route, "methods", None) or {"WS"}
            for method in sorted(set(methods) - {"HEAD"}):
                yield method, prefix + route.path


def test_every_api_route_has_rows(sqlite_settings):
    """A new /api/v1 route fails here until the table covers it."""
    app = create_app(sqlite_settings)
    every = set(_flatten(app.routes))
    routes = {(m, p) for m, p in every if p.startswith("/api/v1")}
    covered = {(r.method, r.route) for r in ROWS}
    missing = sorted(routes - covered)
    assert not missing, (
        "These /api/v1 routes have no row in tests/test_authorization.py ROWS:\n"
        + "\n".join(f"  {m} {p}" for m, p in missing)
        + "\nAdd at least one Row per route: Row(name, method, path template exactly as above, "
        "build, expect) where build(world, actor) returns the Call (create a fresh target in "
        "build if the call changes anything) and expect gives all seven actors' statuses per "
        "design.md §9 (use statuses()/signed_in()/group_members()). If today's code disagrees, "
        "keep the designed status and add the cell to KNOWN_FINDINGS with the exact finding."
    )
    stale = sorted(covered - every)
    assert not stale, f"rows name routes the app does not have: {stale}"


def test_table_is_well_formed():
    names = [r.name for r in ROWS]
    assert len(names) == len(set(names)), "row names must be unique"
    for row in ROWS:
        assert set(row.expect) == set(ACTORS), row.name
    for name, actor in KNOWN_FINDINGS:
        assert name in names and actor in ACTORS, (name, actor)
