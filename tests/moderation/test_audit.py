"""The audit log: every moderator's step is in it (who, what, which target, why), newest
first, for admins alone; entries are only ever added."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

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


async def test_the_log_is_filtered_by_verb_actor_target_and_time(
    app: FastAPI, client, clock
) -> None:
    admin = await staff(app, client, "filtering_admin", role="admin")
    ana = await staff(app, client, "ana_mod")
    ben = await staff(app, client, "ben_mod")
    start = clock.now()
    listed = {}
    for who, term in ((ana, "first"), (ben, "second"), (ana, "third")):
        answer = await client.post(
            "/api/v1/moderation/terms",
            json={"policy_id": "spam", "clause": 1, "term": f"{term} term"},
            headers=who,
        )
        assert answer.status_code == 201
        listed[term] = answer.json()["id"]
        clock.advance(3600)
    gone = await client.delete(f"/api/v1/moderation/terms/{listed['first']}", headers=ben)
    assert gone.status_code == 204

    async def shown(query: str) -> list[tuple[str, str, str]]:
        answer = await client.get(f"{AUDIT}?{query}", headers=admin)
        assert answer.status_code == 200, answer.text
        return [(e["verb"], e["actor"], e["target"]) for e in answer.json()["items"]]

    first, second, third = (f"term:{listed[t]}" for t in ("first", "second", "third"))
    assert await shown("verb=terms.add") == [
        ("terms.add", "ana_mod", third),
        ("terms.add", "ben_mod", second),
        ("terms.add", "ana_mod", first),
    ]
    assert await shown("actor=BEN_MOD") == [
        ("terms.remove", "ben_mod", first),
        ("terms.add", "ben_mod", second),
    ]
    assert await shown(f"target={first}") == [
        ("terms.remove", "ben_mod", first),
        ("terms.add", "ana_mod", first),
    ]
    # from is inclusive, to exclusive: the second hour alone.
    hour = (start.replace(microsecond=0) + timedelta(hours=1)).isoformat()
    two = (start.replace(microsecond=0) + timedelta(hours=2)).isoformat()
    window = urlencode({"from": hour, "to": two})
    assert await shown(window) == [("terms.add", "ben_mod", second)]
    assert await shown(f"{window}&actor=ana_mod") == []
    assert await shown("verb=terms.add&actor=ana_mod&limit=1") == [("terms.add", "ana_mod", third)]

    bad = {
        "verb=Terms.Add!": "verb",
        "actor=no": "actor",
        "actor=nobody_at_all": "unknown_actor",
        "target=": "target",
        "from=yesterday": "from",
        "from=2026-01-01T00:00:00": "from",  # no zone
        urlencode({"from": two, "to": hour}): "reversed_range",
    }
    for query, expected in bad.items():
        answer = await client.get(f"{AUDIT}?{query}", headers=admin)
        assert answer.status_code == 422, (query, answer.text)
        assert expected in answer.text, (query, answer.text)
