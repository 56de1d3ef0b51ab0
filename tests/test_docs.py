"""The README's configuration table stays complete as settings are added."""

from __future__ import annotations

from pathlib import Path

from plaza.config import Settings

README = Path(__file__).resolve().parent.parent / "README.md"


def test_every_setting_is_documented_in_the_readme():
    text = README.read_text()
    missing = [n for n in Settings.model_fields if f"`PLAZA_{n.upper()}`" not in text]
    assert missing == []


def test_the_api_document_describes_the_stream_and_the_bearer_scheme(sqlite_settings):
    from plaza.app import create_app

    document = create_app(sqlite_settings).openapi()
    description = document["info"]["description"]
    assert "/api/v1/stream" in description and '"type": "resume"' in description
    assert "4401" in description  # the close codes are there too
    schemes = document["components"]["securitySchemes"]
    assert any(s.get("scheme") == "bearer" for s in schemes.values())
