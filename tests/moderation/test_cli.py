"""`plaza moderation keywords|hashes import`: an operator imports a list file into a running
server's database; a bad line refuses the whole file, naming the line; entries already
listed and repeats are skipped and counted; the server's moderators see what was imported."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from plaza.config import Settings
from tests.moderation.helpers import staff
from tests.processes import plaza_command

pytestmark = pytest.mark.slow
PDQ_A = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
PDQ_B = "0" * 63 + "1"


def plaza(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    """`plaza moderation ARGS` against the test's database."""
    return plaza_command(settings, "moderation", *args)


def said(result: subprocess.CompletedProcess[str]) -> str:
    """What the command told the operator, as one line (the console wraps long messages)."""
    return " ".join(result.stderr.split())


async def test_keywords_import(app, client, settings: Settings, tmp_path: Path) -> None:
    moderator = await staff(app, client, "cli_mod")
    listed = await client.post(
        "/api/v1/moderation/terms",
        json={"policy_id": "illegal_goods", "clause": 1, "term": "heroin"},
        headers=moderator,
    )
    assert listed.status_code == 201, listed.text
    words = tmp_path / "drugs.txt"
    words.write_text("# street names\ncocaine\n\nheroin\n可卡因\ncocaine\n冰毒\n", encoding="utf-8")
    done = plaza(settings, "keywords", "import", str(words), "--policy", "illegal_goods")
    assert done.returncode == 0, done.stderr
    # heroin was listed already and cocaine is there twice: 3 added, 2 skipped.
    assert "Imported 3 terms into policy illegal_goods, clause 1; skipped 2" in said(done)

    terms = await client.get("/api/v1/moderation/terms?policy_id=illegal_goods", headers=moderator)
    assert sorted(t["term"] for t in terms.json()["items"]) == [
        "cocaine",
        "heroin",
        "冰毒",
        "可卡因",
    ]

    news = tmp_path / "news.txt"
    news.write_text("cocaine bust\n", encoding="utf-8")
    exception = plaza(
        settings,
        "keywords",
        "import",
        str(news),
        "--policy",
        "illegal_goods",
        "--clause",
        "2",
        "--exception",
    )
    assert exception.returncode == 0, exception.stderr
    terms = await client.get("/api/v1/moderation/terms?policy_id=illegal_goods", headers=moderator)
    newest = terms.json()["items"][0]
    assert newest["term"] == "cocaine bust" and newest["exception"] is True
    assert newest["clause"] == 2

    admin = await staff(app, client, "cli_admin", role="admin")
    log = (await client.get("/api/v1/moderation/audit", headers=admin)).json()["items"]
    imported = [e for e in log if e["verb"] == "terms.import"]
    assert [e["details"]["added"] for e in imported] == [1, 3]
    assert imported[1]["actor"] is None and imported[1]["target"] == "policy:illegal_goods"
    assert imported[1]["details"]["source"] == "drugs.txt"


async def test_a_bad_line_imports_nothing(app, client, settings: Settings, tmp_path: Path) -> None:
    moderator = await staff(app, client, "careful_mod")
    good = [f"term{n}" for n in range(1500)]
    words = tmp_path / "words.txt"
    words.write_bytes(("\n".join([*good, "fine", "bad\x07bell", "after"]) + "\n").encode())
    refused = plaza(settings, "keywords", "import", str(words), "--policy", "spam")
    assert refused.returncode == 1
    assert "line 1502" in said(refused) and "nothing was imported" in said(refused)
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("ok\ncaf\xe9\n".encode("latin-1"))
    refused = plaza(settings, "keywords", "import", str(latin1), "--policy", "spam")
    assert refused.returncode == 1 and "line 2" in said(refused) and "UTF-8" in said(refused)
    # Refused for what is cited, before the file is read (this one would fail as latin-1).
    for args, says in (
        (("--policy", "nope"), "no policy 'nope'"),
        (("--policy", "spam", "--clause", "9"), "policy 'spam' has no clause 9"),
    ):
        wrong = plaza(settings, "keywords", "import", str(latin1), *args)
        assert wrong.returncode == 1 and says in said(wrong), wrong.stderr
    listed = await client.get("/api/v1/moderation/terms", headers=moderator)
    assert listed.json()["items"] == []


async def test_hashes_import(app, client, settings: Settings, tmp_path: Path) -> None:
    moderator = await staff(app, client, "hash_cli_mod")
    hashes = tmp_path / "hashes.txt"
    hashes.write_text(f"# known pictures\n{PDQ_A.upper()}\n{PDQ_B}\n{PDQ_A}\n", encoding="utf-8")
    done = plaza(settings, "hashes", "import", str(hashes), "--policy", "csam")
    assert done.returncode == 0, done.stderr
    assert "Imported 2 hashes into policy csam, clause 1; skipped 1" in said(done)
    listed = await client.get("/api/v1/moderation/hashes?policy_id=csam", headers=moderator)
    assert sorted(h["hash"] for h in listed.json()["items"]) == sorted([PDQ_A, PDQ_B])

    broken = tmp_path / "broken.txt"
    broken.write_text(f"{PDQ_A}\n{PDQ_A[:40]}\n", encoding="utf-8")
    refused = plaza(settings, "hashes", "import", str(broken), "--policy", "csam")
    assert refused.returncode == 1 and "line 2" in said(refused)
    again = plaza(settings, "hashes", "import", str(hashes), "--policy", "csam")
    assert again.returncode == 0 and "Imported 0 hashes" in said(again)
    # Each import is audited as the operator's (no actor); the refused one is not.
    admin = await staff(app, client, "hash_cli_admin", role="admin")
    log = await client.get("/api/v1/moderation/audit?verb=hashes.import", headers=admin)
    imported = log.json()["items"]
    assert [(e["actor"], e["target"], e["details"]["added"]) for e in imported] == [
        (None, "policy:csam", 0),
        (None, "policy:csam", 2),
    ]
