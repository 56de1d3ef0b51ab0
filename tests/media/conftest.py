"""An S3-compatible server for the storage tests: moto in server mode, a real HTTP server on a
free loopback port, started once per test session. Locally a failure to start it skips the S3
tests, loudly; under CI=true it fails them (tests/services.py's rule)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest

from tests.processes import free_port

START_SECONDS = 30


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_for(endpoint, process)
        yield endpoint
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()


def _wait_for(endpoint: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            httpx.get(f"{endpoint}/moto-api/", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    errors = b""
    if process.poll() is not None and process.stderr is not None:
        errors = process.stderr.read()
    message = f"moto's S3 server did not start on {endpoint}: {errors.decode(errors='replace')}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture
def s3_media_url(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """PLAZA_MEDIA_URL for a fresh bucket of the moto server (credentials from the
    environment, as in production; moto accepts any)."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "plaza-test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "plaza-test-secret")
    bucket = f"plaza-{uuid.uuid4().hex[:12]}"
    response = httpx.put(f"{moto_endpoint}/{bucket}")
    assert response.status_code == 200, response.text
    return f"s3://{bucket}/media?endpoint={moto_endpoint}&region=us-east-1"


@pytest.fixture(params=["local", "s3"])
def storage_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)
