"""The API document is the contract (design.md §9): a bounded schemathesis pass over every
operation of /openapi.json, signed out and signed in, on SQLite and on PostgreSQL.

Each case is sent in-process to the ASGI app and fails the test when the answer is a 5xx, when
its status is not one the document lists for the route, or when its body, content type or
headers contradict the document. Cases come from both of schemathesis' modes: valid requests
(positive) and requests the document says are invalid (negative, which must then be a 4xx).
Generating a case costs more than answering it, and the derandomized cases do not depend on the
database, so each case is generated once and sent to the app on SQLite and to the app on
PostgreSQL, each with the same world (the same rows behind the same ids).

The pass is bounded and deterministic (`derandomize`): PLAZA_FUZZ_EXAMPLES (default 8) cases
per operation and mode, more for a deeper run on a developer machine. Failures are collected
rather than raised, so Hypothesis does not spend the time budget shrinking them, and are
reported together with a curl command each.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from PIL import Image
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from plaza.app import create_app
from plaza.config import Settings
from plaza.errors import RateLimited
from tests.conftest import BACKENDS, settings_for
from tests.helpers import PASSWORD

EXAMPLES = int(os.environ.get("PLAZA_FUZZ_EXAMPLES", "8"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# Routes that may end the caller's session: each of their cases gets a session of its own.
ENDS_SESSION = {
    ("DELETE", "/api/v1/sessions/current"),
    ("DELETE", "/api/v1/sessions/others"),
    ("DELETE", "/api/v1/sessions/{session_id}"),
    ("POST", "/api/v1/me/password"),
}


@dataclass
class Report:
    """What the pass found, by kind, with a curl command per failure (every 5xx, then the
    first 40 others)."""

    cases: int = 0
    statuses: Counter = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    kinds: Counter = field(default_factory=Counter)

    def add(self, case, response, error: FailureGroup) -> None:
        for failure in error.exceptions:
            self.kinds[f"{type(failure).__name__}: {failure.title}"] += 1
        self.failures.append(f"{case.operation.label} -> {response.status_code}\n{error}")

    def crash(self, case, error: Exception) -> None:
        self.statuses[500] += 1
        self.kinds[f"Server error: {type(error).__name__}"] += 1
        where = error.__traceback__
        while where is not None and where.tb_next is not None:
            where = where.tb_next
        frame = f"{where.tb_frame.f_code.co_filename}:{where.tb_lineno}" if where else "?"
        self.failures.append(
            f"{case.operation.label} -> 500 {type(error).__name__}: {error} at {frame}\n"
            f"{case.as_curl_command()}"
        )

    def summary(self) -> str:
        kinds = "\n".join(f"  {n:4d} {k}" for k, n in self.kinds.most_common())
        crashes = [f for f in self.failures if " -> 500 " in f.split("\n", 1)[0]]
        others = [f for f in self.failures if f not in crashes]
        shown = "\n".join(crashes + others[:40])
        return (
            f"{len(self.failures)} failing of {self.cases} cases; statuses {dict(self.statuses)}\n"
            f"{kinds}\n\n{shown}"
        )


@dataclass
class World:
    """A registered person with friends, a group with messages and a pending request, so that
    generated ids and names sometimes hit real rows."""

    client: asgi.ASGIClient
    headers: dict[str, str]
    path_values: dict[str, object]

    # An admin (a moderator who may also read the audit log), for the moderation routes.
    moderator: dict[str, str] = field(default_factory=dict)

    def fresh_headers(self) -> dict[str, str]:
        """A session of its own, for a case that may end sessions."""
        return {"Authorization": f"Bearer {_log_in(self.client, 'alice')}"}

    def renew(self) -> None:
        """A new shared session, after cases that may have ended it (sign out elsewhere)."""
        self.headers["Authorization"] = f"Bearer {_log_in(self.client, 'alice')}"


def _log_in(client, username: str) -> str:
    response = client.post("/api/v1/sessions", json={"username": username, "password": PASSWORD})
    assert response.status_code == 201, response.text
    return response.json()["token"]


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (24, 16), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def _make_admin(settings: Settings, username: str) -> None:
    """An admin, as `plaza user create NAME --role admin` makes one (on a runtime of its own,
    outside the app's event loop)."""
    from plaza.accounts.service import users
    from plaza.app import build_runtime

    async def create() -> None:
        runtime = build_runtime(settings)
        try:
            async with runtime.sessions() as session:
                await users.register(
                    session,
                    passwords=runtime.passwords,
                    clock=runtime.clock,
                    username=username,
                    password=PASSWORD,
                    display_name=username,
                    role="admin",
                )
        finally:
            await runtime.bus.close()
            await runtime.engine.dispose()

    asyncio.run(create())


def _moderation(client, settings: Settings, world: World) -> None:
    """An admin, a case (alice reported dave), a listed keyword and hash, for the moderation
    routes' ids."""
    _make_admin(settings, "root_admin")
    world.moderator = {"Authorization": f"Bearer {_log_in(client, 'root_admin')}"}
    dave = client.post("/api/v1/sessions", json={"username": "dave", "password": PASSWORD}).json()[
        "user"
    ]["id"]
    reported = client.post(
        "/api/v1/reports",
        json={"surface": "user", "id": dave, "policy_id": "spam"},
        headers=world.headers,
    )
    assert reported.status_code == 201, reported.text
    queue = client.get("/api/v1/moderation/cases", headers=world.moderator)
    assert queue.status_code == 200, queue.text
    world.path_values["case_id"] = queue.json()["items"][0]["id"]
    for kind, key, entry in (
        ("terms", "term_id", {"term": "buy now"}),
        ("hashes", "hash_id", {"hash": "c" * 64}),
    ):
        listed = client.post(
            f"/api/v1/moderation/{kind}",
            json={"policy_id": "spam", "clause": 1, **entry},
            headers=world.moderator,
        )
        assert listed.status_code == 201, listed.text
        world.path_values[key] = listed.json()["id"]


def _populate(client) -> World:
    tokens = {}
    for name in ("alice", "bob", "carol", "dave"):
        response = client.post(
            "/api/v1/accounts",
            json={"username": name, "password": PASSWORD, "display_name": name.title()},
        )
        assert response.status_code == 201, response.text
        tokens[name] = {"Authorization": f"Bearer {_log_in(client, name)}"}
    alice = tokens["alice"]
    for friend in ("bob", "carol"):
        asked = client.post(
            "/api/v1/friend-requests", json={"to": "alice", "message": "hi"}, headers=tokens[friend]
        )
        assert asked.status_code == 201, asked.text
        accepted = client.post(
            f"/api/v1/friend-requests/{asked.json()['id']}/accept", headers=alice
        )
        assert accepted.status_code == 200, accepted.text
    pending = client.post(
        "/api/v1/friend-requests", json={"to": "alice", "message": "hello"}, headers=tokens["dave"]
    )
    assert pending.status_code == 201, pending.text
    group = client.post(
        "/api/v1/conversations",
        json={"kind": "group", "members": ["bob", "carol"], "title": "g"},
        headers=alice,
    )
    assert group.status_code == 201, group.text
    conversation_id = group.json()["id"]
    message_id = None
    for i in range(3):
        sent = client.post(
            f"/api/v1/conversations/{conversation_id}/messages",
            json={"client_id": f"c{i}", "text": f"message {i}"},
            headers=alice,
        )
        assert sent.status_code == 201, sent.text
        message_id = sent.json()["id"]
    direct = client.post(
        "/api/v1/conversations", json={"kind": "direct", "members": ["bob"]}, headers=alice
    )
    assert direct.status_code == 201, direct.text
    picture = client.post(
        "/api/v1/media", files={"file": ("p.png", _png(), "image/png")}, headers=alice
    )
    assert picture.status_code == 201, picture.text
    label = client.post("/api/v1/labels", json={"name": "pals", "members": ["bob"]}, headers=alice)
    assert label.status_code == 201, label.text
    moment = client.post("/api/v1/moments", json={"text": "a moment"}, headers=alice)
    assert moment.status_code == 201, moment.text
    comment = client.post(
        f"/api/v1/moments/{moment.json()['id']}/comments",
        json={"text": "hi"},
        headers=tokens["bob"],
    )
    assert comment.status_code == 201, comment.text
    account = client.post(
        "/api/v1/public-accounts", json={"handle": "alice_news", "name": "News"}, headers=alice
    )
    assert account.status_code == 201, account.text
    article = client.post(
        "/api/v1/public-accounts/alice_news/articles",
        json={"title": "t", "body": "**b**"},
        headers=alice,
    )
    assert article.status_code == 201, article.text
    article_id = article.json()["id"]
    published = client.post(f"/api/v1/articles/{article_id}/publish", headers=alice)
    assert published.status_code == 200, published.text
    export = client.post("/api/v1/exports", headers=alice)
    assert export.status_code == 202, export.text
    spare = {"Authorization": f"Bearer {_log_in(client, 'alice')}"}
    mine = client.get("/api/v1/sessions", headers=spare)
    assert mine.status_code == 200, mine.text
    spare_id = next(s["id"] for s in mine.json()["items"] if s["current"])
    return World(
        client=client,
        headers=alice,
        path_values={
            "conversation_id": conversation_id,
            "message_id": message_id,
            "request_id": pending.json()["id"],
            "username": "bob",
            "session_id": spare_id,
            "media_id": picture.json()["id"],
            "label_id": label.json()["id"],
            "moment_id": moment.json()["id"],
            "comment_id": comment.json()["id"],
            "handle": "alice_news",
            "article_id": article_id,
            "export_id": export.json()["id"],
        },
    )


@dataclass
class Served:
    """The app on one database engine, its world, and what the pass found there."""

    backend: str
    app: object
    world: World
    report: Report = field(default_factory=Report)


@pytest.fixture
def served(tmp_path, request) -> Iterator[tuple[schemathesis.BaseSchema, list[Served]]]:
    with contextlib.ExitStack() as stack:
        all_settings = {}
        for backend in BACKENDS:
            (tmp_path / backend).mkdir()
            all_settings[backend] = stack.enter_context(
                settings_for(backend, tmp_path / backend, request)
            )
        # Before the databases are given back: nothing may stay connected to them.
        stack.callback(asgi.shutdown_lifespans)
        served = []
        for backend, settings in all_settings.items():
            app = create_app(settings.model_copy(update={"rate_limit_enabled": False}))
            client = stack.enter_context(asgi.get_client(app))
            world = _populate(client)
            _moderation(client, settings, world)
            served.append(Served(backend, app, world))
        # A generated case names rows by id; it must name the same rows on both engines.
        assert served[0].world.path_values == served[1].world.path_values
        schema = schemathesis.openapi.from_asgi("/openapi.json", served[0].app)
        assert schema.raw_schema == served[1].world.client.get("/openapi.json").json()
        # Unknown query parameters are ignored, as HTTP APIs do; the document does not forbid them.
        schema.config.generation.update(allow_extra_parameters=False)
        yield schema, served


def _operations(schema) -> list:
    return [result.ok() for result in schema.get_all_operations()]


def _run(
    operation, strategy, served: list[Served], headers_for: Callable[[World], dict[str, str]]
) -> None:

    @hypothesis_settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def one(case) -> None:
        for each in served:
            _send(case, each, headers_for(each.world))

    # Unsatisfiable: nothing in the route can be made invalid (no parameters and no body).
    with contextlib.suppress(Unsatisfiable):
        one()


def _send(case, served: Served, headers: dict[str, str]) -> None:
    report = served.report
    report.cases += 1
    try:
        response = case.call(headers=headers, app=served.app)
    except Exception as error:  # the app's 500 handler answers, then re-raises
        report.crash(case, error)
        return
    report.statuses[response.status_code] += 1
    # A body over PLAZA_MAX_BODY_BYTES is refused with 413 before it is parsed: a rejection
    # too, though not one of the statuses schemathesis's own check expects.
    rejected_as_too_large = response.status_code == 413
    negative = case.meta.generation.mode.is_negative and not rejected_as_too_large
    extra = [negative_data_rejection] if negative else []
    try:
        case.validate_response(response, checks=CHECKS + extra, headers=headers)
    except FailureGroup as error:
        report.add(case, response, error)


def _signed_out(world: World) -> dict[str, str]:
    return {}


def _shared_session(world: World) -> dict[str, str]:
    return world.headers.copy()


def _moderator_session(world: World) -> dict[str, str]:
    return world.moderator.copy()


@pytest.mark.slow
@pytest.mark.timeout(600)  # every route, on both databases: minutes on a busy machine
@pytest.mark.parametrize("who", ["signed-out", "signed-in", "moderator"])
def test_every_answer_is_one_the_document_promises(served, who):
    """Every operation signed out and signed in as a member; the moderation routes again as
    an admin (to a member they do not exist)."""
    schema, backends = served
    world = backends[0].world  # the same ids and names as the others'
    signed_in = who != "signed-out"
    headers = world.moderator if who == "moderator" else world.headers
    for operation in _operations(schema):
        key = (operation.method.upper(), operation.path)
        if who == "moderator" and not operation.path.startswith("/api/v1/moderation"):
            continue
        headers_for: Callable[[World], dict[str, str]]
        if not signed_in:
            headers_for = _signed_out
        elif who == "moderator":
            headers_for = _moderator_session
        elif key in ENDS_SESSION:
            headers_for = World.fresh_headers
        else:
            headers_for = _shared_session
        known = {
            p.name: world.path_values[p.name]
            for p in operation.path_parameters
            if p.name in world.path_values
        }
        # Signed in, the Authorization header is given, not generated (nor left out as invalid);
        # each engine's own session replaces it when the case is sent.
        fixed = headers if signed_in else None
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            strategy = operation.as_strategy(generation_mode=mode, headers=fixed)
            _run(operation, strategy, backends, headers_for)
        if signed_in and known:
            # The same route on rows that exist, so lookups get past their 404.
            strategy = operation.as_strategy(path_parameters=known, headers=fixed)
            _run(operation, strategy, backends, headers_for)
        if signed_in and key in ENDS_SESSION:
            for each in backends:
                each.world.renew()
    summaries = "\n\n".join(f"{each.backend}: {each.report.summary()}" for each in backends)
    print(summaries)
    assert not any(each.report.failures for each in backends), summaries


def test_rate_limited_answers_match_the_document(settings):
    """A 429 carries Retry-After and the error shape, as the document says."""
    settings = settings.model_copy(update={"login_per_address": "2/60"})
    app = create_app(settings)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operation = schema["/api/v1/sessions"]["POST"]
    try:
        with asgi.get_client(app):
            for _ in range(3):
                case = operation.Case(body={"username": "nobody", "password": "x" * 12})
                response = case.call()
            assert response.status_code == RateLimited.status
            case.validate_response(response, checks=CHECKS)
    finally:
        asgi.shutdown_lifespans()
