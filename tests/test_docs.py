"""The README's configuration table stays complete as settings are added."""

from __future__ import annotations

from pathlib import Path

from plaza.config import Settings

README = Path(__file__).resolve().parent.parent / "README.md"


def test_every_setting_is_documented_in_the_readme():
    text = README.read_text()
    missing = [n for n in Settings.model_fields if f"`PLAZA_{n.upper()}`" not in text]
    assert missing == []
