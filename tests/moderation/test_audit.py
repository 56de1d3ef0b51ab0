"""The audit log: every moderator's step is in it (who, what, which target, why), newest
first, for admins alone; entries are only ever added."""

from __future__ import annotations

from fastapi import FastAPI

from plaza.app import create_app
from tests.moderation.helpers import case_of, claim, decide, member, report, staff
from tests.test_authorization import _flatten

AUDIT = "/api/v1/moderation/audit"


async def _everything(client, admin, limit: int = 200) -> list[dict]:
    seen: list[dict] = []
    cursor = None
    while True:
        url = f"{AUDIT}?limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        answer = await client.get(url, headers=admin)
        assert answer.status_code == 200, answer.text
        seen += answer.json()["items"]
        cursor = answer.json()["next_cursor"]
        if cursor is None:
            return seen


async def test_every_step_is_logged_and_entries_never_change(app: FastAPI, client) -> None:
    admin = await staff(app, client, "auditor", role="admin")
    moderator = await staff(app, client, "logged_mod")
    reporter, _ = await member(client, "reporter")
    _, person = await member(client, "subject")
    assert (await report(client, reporter, "user", person, "spam", "ads")).status_code == 201
    # A report is a member's, not a moderator's step: nothing logged.
    assert await _everything(client, admin) == []

    case = await case_of(client, moderator, "user", person)
    assert (await claim(client, moderator, case["id"])).status_code == 200
    decided = await decide(
        client,
        moderator,
        case["id"],
        action="strike",
        policy_id="spam",
        clause=1,
        explanation="Advertising in your profile.",
    )
    assert decided.status_code == 200, decided.text
    term = await client.post(
        "/api/v1/moderation/terms",
        json={"policy_id": "spam", "clause": 1, "term": "cheap watches"},
        headers=moderator,
    )
    assert term.status_code == 201
    before = await _everything(client, admin)
    assert [(e["verb"], e["actor"], e["target"]) for e in before] == [
        ("terms.add", "logged_mod", f"term:{term.json()['id']}"),
        ("case.decide", "logged_mod", f"case:{case['id']}"),
        ("case.claim", "logged_mod", f"case:{case['id']}"),
    ]
    why = before[1]["details"]
    assert why["explanation"] == "Advertising in your profile."
    assert why["action"] == "strike" and why["policy_id"] == "spam" and why["clause"] == 1
    assert why["action_id"] == decided.json()["action"]["id"]
    assert why["report_count"] == 1
    # Who reported is in no entry.
    assert "reporter" not in str(before)

    url = f"/api/v1/moderation/terms/{term.json()['id']}"
    removed = await client.delete(url, headers=moderator)
    assert removed.status_code == 204
    after = await _everything(client, admin)
    assert after[1:] == before
    assert after[0]["verb"] == "terms.remove"

    # Page by page, the same entries in the same order.
    assert await _everything(client, admin, limit=1) == after
    assert (await client.get(f"{AUDIT}?cursor=nonsense", headers=admin)).status_code == 422


def test_the_log_can_only_be_read(sqlite_settings) -> None:
    routes = _flatten(create_app(sqlite_settings).routes)
    methods = {method for method, path in routes if path.startswith(AUDIT)}
    assert methods == {"GET"}


async def test_only_admins_read_it(app: FastAPI, client) -> None:
    moderator = await staff(app, client, "not_admin_mod")
    plain, _ = await member(client, "plain")
    admin = await staff(app, client, "real_admin", role="admin")
    assert (await client.get(AUDIT, headers=admin)).status_code == 200
    for who in (moderator, plain):
        answer = await client.get(AUDIT, headers=who)
        assert answer.status_code == 404
        assert answer.json() == {"error": {"code": "not_found", "message": "Not Found"}}
    assert (await client.get(AUDIT)).status_code == 401
