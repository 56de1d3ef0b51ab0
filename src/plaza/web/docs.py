"""The API documentation pages, served without the internet.

FastAPI's own /docs and /redoc load Swagger UI and ReDoc from a CDN, so on a server without
internet access (or behind a strict firewall) they are blank. The `fastapi-offline` package
bundles both (swagger-ui-bundle.js, swagger-ui.css, redoc.standalone.js); we serve its files
from /static-docs and build the pages with FastAPI's helpers pointing there. Create the app
with `docs_url=None, redoc_url=None` and call `install_docs(app)`.
"""

from __future__ import annotations

import re
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = Path(fastapi_offline.__file__).resolve().parent / "static"
STATIC = Path(__file__).resolve().parent / "static"
ASSETS_URL = "/static-docs"
FAVICON_URL = "/static/favicon.svg"
OAUTH2_REDIRECT_URL = "/docs/oauth2-redirect"

# Swagger UI's own theme has text below WCAG AA contrast; darken it (plaza's docs.css).
_EXTRA_HEAD = '<link rel="stylesheet" href="/static/docs.css">'


def _localized(page: HTMLResponse, *, extra_head: str = "") -> HTMLResponse:
    """The generated page with a language, Plaza's extra styles, and a main landmark."""
    body = bytes(page.body).decode()
    body = body.replace("<html>", '<html lang="en">', 1)
    body = body.replace("</head>", f"{extra_head}\n</head>", 1)
    landmark = '<main><div id="swagger-ui"></div></main>'
    body = re.sub(r'<div id="swagger-ui">\s*</div>', landmark, body)
    return HTMLResponse(body)


def install_docs(app: FastAPI) -> None:
    """Add /docs (Swagger UI), /redoc (ReDoc) and /favicon.ico, all served locally."""
    openapi_url = app.openapi_url or "/openapi.json"
    title = app.title
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS), name="static-docs")

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        page = get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{title} API",
            oauth2_redirect_url=OAUTH2_REDIRECT_URL,
            swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=FAVICON_URL,
            swagger_ui_parameters={"syntaxHighlight": {"theme": "idea"}},
        )
        return _localized(page, extra_head=_EXTRA_HEAD)

    @app.get(OAUTH2_REDIRECT_URL, include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        page = get_redoc_html(
            openapi_url=openapi_url,
            title=f"{title} API",
            redoc_js_url=f"{ASSETS_URL}/redoc.standalone.js",
            redoc_favicon_url=FAVICON_URL,
            with_google_fonts=False,
        )
        return _localized(page)

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon() -> FileResponse:
        return FileResponse(STATIC / "favicon.svg", media_type="image/svg+xml")
