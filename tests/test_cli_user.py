"""`plaza user status`: an operator suspends or reinstates someone; a refusal exits 1."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests import helpers
from tests.processes import PLAZA

pytestmark = pytest.mark.slow
ENV = {
    **os.environ,
    "PLAZA_DATABASE_URL": "",
    "PLAZA_REDIS_URL": "",
    "PLAZA_ARGON2_TIME_COST": "1",
    "PLAZA_ARGON2_MEMORY_KIB": "64",
}


def plaza(data_dir: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*PLAZA, *args, "--data-dir", str(data_dir)],
        input=stdin,
        env={k: v for k, v in ENV.items() if v},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_suspend_and_reinstate(tmp_path: Path) -> None:
    data = tmp_path / "data"
    created = plaza(data, "user", "create", "mallory_x", "--password-stdin", stdin=helpers.PASSWORD)
    assert created.returncode == 0, created.stderr
    suspended = plaza(data, "user", "status", "mallory_x", "suspended")
    assert suspended.returncode == 0, suspended.stderr
    assert "mallory_x is now suspended" in suspended.stderr
    wrong = plaza(data, "user", "status", "mallory_x", "banished")
    assert wrong.returncode == 1 and "status must be one of" in wrong.stderr
    nobody = plaza(data, "user", "status", "nobody_here", "active")
    assert nobody.returncode == 1 and "no user called" in nobody.stderr
    back = plaza(data, "user", "status", "mallory_x", "active")
    assert back.returncode == 0 and "mallory_x is now active" in back.stderr
