"""/docs and /redoc work without the internet: their scripts come from the fastapi-offline
package, not a CDN. Tested on a small app that carries Plaza's real OpenAPI document and the
same `install_docs`, with every request that leaves the machine refused by the browser."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from playwright.sync_api import Route, expect

from plaza.app import STATIC, create_app
from plaza.config import Settings
from plaza.web.docs import install_docs
from tests.e2e.conftest import DESKTOP, PHONE, WAIT_MS, assert_accessible
from tests.processes import free_port

pytestmark = pytest.mark.e2e
SWAGGER_UI_MARKUP = frozenset({"nested-interactive"})


def docs_app(data_dir: Path) -> FastAPI:
    plaza_app = create_app(Settings(data_dir=data_dir))
    app = FastAPI(title="Plaza", docs_url=None, redoc_url=None)
    app.openapi = plaza_app.openapi  # type: ignore[method-assign]
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    install_docs(app)
    return app


@pytest.fixture
def docs_url(tmp_path) -> Iterator[str]:
    port = free_port()
    config = uvicorn.Config(docs_app(tmp_path), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            httpx.get(url + "/favicon.ico", timeout=1)
            break
        except httpx.HTTPError:
            time.sleep(0.1)
    yield url
    server.should_exit = True
    thread.join(10)


def test_docs_assets_are_local(docs_url):
    with httpx.Client(base_url=docs_url, timeout=10) as client:
        docs = client.get("/docs")
        assert docs.status_code == 200
        assert "cdn" not in docs.text.lower()
        assert "/static-docs/swagger-ui-bundle.js" in docs.text
        redoc = client.get("/redoc")
        assert redoc.status_code == 200
        assert "cdn" not in redoc.text.lower() and "fonts.googleapis" not in redoc.text
        assert client.get("/static-docs/swagger-ui-bundle.js").status_code == 200
        assert client.get("/static-docs/redoc.standalone.js").status_code == 200
        icon = client.get("/favicon.ico")
        assert icon.status_code == 200
        assert icon.headers["content-type"].startswith("image/svg+xml")


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_docs_render_without_internet(browser, docs_url, size):
    context = browser.new_context(viewport=DESKTOP if size == "desktop" else PHONE)
    context.set_default_timeout(WAIT_MS)
    outside: list[str] = []

    def refuse_outside(route: Route) -> None:
        if route.request.url.startswith(docs_url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", refuse_outside)
    try:
        page = context.new_page()
        page.goto(docs_url + "/docs")
        expect(page.locator(".swagger-ui .info .title")).to_contain_text("Plaza")
        expect(page.locator(".opblock").first).to_be_visible()
        page.screenshot(path=f"/tmp/shots/{size}-docs.png")
        # Swagger UI (third-party markup) puts a link inside each operation's summary button.
        assert_accessible(page, f"/docs at {size}", known=SWAGGER_UI_MARKUP)
        page.goto(docs_url + "/redoc")
        # ReDoc lays out the whole document (about 150 operations) before its first heading:
        # seconds of one core on a busy machine.
        expect(page.locator("h1").first).to_contain_text("Plaza", timeout=60_000)
        page.screenshot(path=f"/tmp/shots/{size}-redoc.png")
        # ReDoc's "powered by" corner links a logo on its CDN: offline it is only missing.
        assert [u for u in outside if not u.endswith("/redoc/logo-mini.svg")] == []
    finally:
        context.close()
