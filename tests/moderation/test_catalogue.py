"""The policy catalogue: the shipped one is valid and public; a broken one stops start-up
with a message naming the line."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from plaza.moderation import catalogue
from plaza.moderation.catalogue import CatalogueError
from tests.processes import PLAZA

SHIPPED = catalogue.SHIPPED.read_text(encoding="utf-8")


def test_the_shipped_catalogue_has_the_issue_s_policies() -> None:
    policies = catalogue.load()
    assert [p.id for p in policies.policies] == [
        "spam",
        "sexual",
        "violence",
        "illegal_goods",
        "harassment",
        "csam",
    ]
    csam = policies.policy("csam")
    assert csam is not None and csam.severity == 4
    # Child sexual exploitation is found by hash matching alone.
    assert {a.detector for a in csam.actions} == {"image.hash"}
    assert policies.policy("nope") is None


def test_actions_follow_detector_score_and_surface() -> None:
    sexual = catalogue.load().policy("sexual")
    assert sexual is not None
    on_moment = sexual.action_for("keywords", 1.0, "moment")
    assert on_moment is not None and on_moment.outcome == "remove"
    assert on_moment.clause == 3 and "sexually explicit text" in sexual.clauses[3]
    # Private messages are not scanned for sexual words by the shipped catalogue.
    assert sexual.action_for("keywords", 1.0, "message") is None
    # Below the threshold, a signal is recorded and allowed.
    assert sexual.action_for("image.nudity", 0.5, "moment") is None
    nudity = sexual.action_for("image.nudity", 0.9, "moment")
    assert nudity is not None and nudity.outcome == "hold"


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    assert old in SHIPPED
    path = tmp_path / "policies.toml"
    path.write_text(SHIPPED.replace(old, new, 1), encoding="utf-8")
    return path


def _line(text: str, needle: str, occurrence: int = 1) -> int:
    lines = [
        n + 1
        for n, line in enumerate(text.splitlines())
        if needle in line and not line.startswith("#")
    ]
    return lines[occurrence - 1]


@pytest.mark.parametrize(
    ("old", "new", "needle", "says"),
    [
        ("severity = 3", "severity = 9", "severity = 9", "less than or equal to 4"),
        ('outcome = "remove"', 'outcome = "delete"', 'outcome = "delete"', "'hold', 'remove'"),
        ('detector = "keywords"', 'detector = "keyword"', 'detector = "keyword"', "keywords"),
        ("min_score = 0.5", "min_score = 1.5", "min_score = 1.5", "less than or equal to 1"),
        ('id = "violence"', 'id = "Violence!"', 'id = "Violence!"', "pattern"),
        (
            'dsa_category = "STATEMENT_CATEGORY_VIOLENCE"',
            'dsa_category = "STATEMENT_CATEGORY_GORE"',
            "STATEMENT_CATEGORY_GORE",
            "STATEMENT_CATEGORY_VIOLENCE",
        ),
        # A missing key is reported at its table's header, the line above the policy's id.
        ('title = "Harassment and threats"\n', "", "[[policy]]", "title"),
    ],
)
def test_a_broken_catalogue_names_its_line(
    tmp_path: Path, old: str, new: str, needle: str, says: str
) -> None:
    path = _broken(tmp_path, old, new)
    with pytest.raises(CatalogueError) as caught:
        catalogue.load(path)
    message = str(caught.value)
    text = path.read_text(encoding="utf-8")
    occurrence = 5 if needle == "[[policy]]" else 1  # harassment is the fifth policy
    assert f"{path}, line {_line(text, needle, occurrence)}:" in message, message
    assert says in message


def test_each_policy_names_its_dsa_category_or_gets_the_default(tmp_path: Path) -> None:
    shipped = catalogue.load()
    assert {p.id: p.dsa_category for p in shipped.policies} == {
        "spam": "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
        "sexual": "STATEMENT_CATEGORY_PORNOGRAPHY_OR_SEXUALIZED_CONTENT",
        "violence": "STATEMENT_CATEGORY_VIOLENCE",
        "illegal_goods": "STATEMENT_CATEGORY_UNSAFE_AND_ILLEGAL_PRODUCTS",
        "harassment": "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH",
        "csam": "STATEMENT_CATEGORY_PROTECTION_OF_MINORS",
    }
    unnamed = catalogue.load(
        _broken(tmp_path, 'dsa_category = "STATEMENT_CATEGORY_VIOLENCE"\n', "")
    ).policy("violence")
    assert unnamed is not None and unnamed.dsa_category == catalogue.DEFAULT_DSA_CATEGORY
    assert catalogue.DEFAULT_DSA_CATEGORY == "STATEMENT_CATEGORY_SCOPE_OF_PLATFORM_SERVICE"


def test_rules_beyond_the_shape_are_checked(tmp_path: Path) -> None:
    cases = [
        ('id = "harassment"', 'id = "spam"', "policy ids repeat: spam"),
        ("number = 2\n", "number = 1\n", "clause numbers repeat"),
        ("clause = 4\n", "clause = 9\n", "cites clause 9"),
        ("\n[[policy]]\n", "\n[[policy]\n", "not valid TOML"),
    ]
    for old, new, says in cases:
        with pytest.raises(CatalogueError, match=says):
            catalogue.load(_broken(tmp_path, old, new))


def test_serve_refuses_an_invalid_catalogue_before_migrating(tmp_path: Path) -> None:
    path = _broken(tmp_path, "severity = 2", "severity = 0")
    done = subprocess.run(
        [*PLAZA, "serve", "--data-dir", str(tmp_path / "data")],
        env={**os.environ, "PLAZA_POLICIES": str(path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    message = " ".join(done.stderr.split())
    assert f"line {_line(path.read_text(), 'severity = 0')}" in message, done.stderr
    assert "greater than or equal to 1" in message
    assert not (tmp_path / "data" / "plaza.db").exists()


async def test_the_policies_are_public(client) -> None:
    answer = await client.get("/api/v1/policies")
    assert answer.status_code == 200
    body = answer.json()
    assert body["next_cursor"] is None
    spam = next(p for p in body["items"] if p["id"] == "spam")
    assert spam["title"] == "Spam and scams"
    assert spam["clauses"][0] == {
        "number": 1,
        "text": "Do not send the same or nearly the same content to many people or places.",
    }
    assert "message" in spam["surfaces"] and spam["severity"] == 2
