"""Browser tests: Debian's Chromium driven by Playwright (sync API) against a real `plaza serve`.

One server for the session and one browser for each run of consecutive browser tests (they are
collected together, so each xdist worker runs them back to back): starting Playwright and
Chromium costs about a second of CPU. Playwright's sync API keeps an event loop running while it
is started, which would break the asyncio tests that the same worker runs next, so it is stopped
after the last browser test before any other test. Each person gets a browser context of their
own (cookies and storage are per context), and every test makes up fresh usernames, so tests
never share a person. The browser is Debian's /usr/bin/chromium; Playwright never downloads one.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright

from tests.processes import ServerProcess

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
PASSWORD = "correct horse battery"
WAIT_MS = 10_000  # the longest any one expectation may wait

expect.set_options(timeout=WAIT_MS)


@dataclass
class Person:
    username: str
    display_name: str
    password: str = PASSWORD


def make_person(first_name: str) -> Person:
    """A person with a username unique to this run (3-32 letters, digits or _)."""
    return Person(username=f"{first_name.lower()}_{uuid.uuid4().hex[:10]}", display_name=first_name)


@pytest.fixture(scope="session")
def server(tmp_path_factory) -> Iterator[ServerProcess]:
    process = ServerProcess(tmp_path_factory.mktemp("e2e-server")).start()
    try:
        yield process
    finally:
        process.stop()


class _Chromium:
    """Playwright and one Chromium, started by the first browser test of a run and kept until
    the next test is not one (see pytest_runtest_teardown below)."""

    def __init__(self) -> None:
        self.playwright: Playwright | None = None
        self.browser: Browser | None = None

    def get(self) -> Browser:
        if self.browser is None or not self.browser.is_connected():
            self.stop()
            self.playwright = sync_playwright().start()
            self.browser = self.playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
        return self.browser

    def stop(self) -> None:
        if self.browser is not None:
            self.browser.close()
            self.browser = None
        if self.playwright is not None:
            self.playwright.stop()
            self.playwright = None


_chromium = _Chromium()


@pytest.fixture
def browser() -> Browser:
    if not CHROMIUM.exists():
        reason = f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return _chromium.get()


def _uses_browser(item: pytest.Item | None) -> bool:
    return item is not None and "browser" in getattr(item, "fixturenames", ())


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """After the test's own fixtures (its browser contexts) are closed: stop Playwright unless
    the next test uses the browser too."""
    try:
        return (yield)
    finally:
        if not _uses_browser(nextitem):
            _chromium.stop()


DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def new_page(browser: Browser, server: ServerProcess) -> Iterator[Callable[..., Page]]:
    """Opens a page in a fresh browser context (one per person); all closed after the test.
    `new_page(phone=True)` is a 390x844 touch screen."""
    contexts = []

    def open_page(phone: bool = False) -> Page:
        if phone:
            context = browser.new_context(
                base_url=server.url, viewport=PHONE, is_mobile=True, has_touch=True
            )
        else:
            context = browser.new_context(base_url=server.url, viewport=DESKTOP)
        context.set_default_timeout(WAIT_MS)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def new_phone_page(new_page) -> Callable[[], Page]:
    """A page on a phone-size screen (390x844, touch) in a fresh context."""
    return lambda: new_page(phone=True)


def open_chat(page: Page, person: Person, path: str = "/chat") -> None:
    """Signs in through the form, opens `path` and waits until the live stream is ready."""
    page.goto("/signin?next=" + path)
    sign_in(page, person)
    expect(page).to_have_url(re.compile(re.escape(path) + "$"))
    expect(page.locator("#status")).to_have_text("live")
    if path != "/chat":  # the conversation has loaded
        expect(page.locator("#history-edge")).to_be_attached()


def assert_accessible(page: Page, what: str, *, known: frozenset[str] = frozenset()) -> None:
    """axe-core (bundled by axe-playwright-python) finds no serious or critical violation,
    except the rules in `known` (only for third-party markup we do not write)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    bad = [
        v
        for v in results.response["violations"]
        if v["impact"] in {"serious", "critical"} and v["id"] not in known
    ]
    report = "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} -> "
        + "; ".join(
            f"{', '.join(map(str, n['target']))}: {n.get('failureSummary', '')}"
            for n in v["nodes"][:5]
        )
        for v in bad
    )
    assert not bad, f"{what}: {report}"


SHOTS = Path("/tmp/shots")
SIZES = {"phone": {"width": 360, "height": 740}, "desktop": {"width": 1280, "height": 800}}


def check_page(page: Page, area: str, name: str, size: str) -> None:
    """A page as a person sees it at `size` (a key of SIZES): a screenshot to look at under
    /tmp/shots, no serious axe violation, and nothing wider than the screen. On a phone the
    layout viewport widens to fit content that is too wide, so the fit is compared with the
    screen's own width, not just with innerWidth."""
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{size}-{area}-{name}.png"), full_page=True)
    assert_accessible(page, f"{name} at {size}")
    width = SIZES[size]["width"]
    fit = page.evaluate("[innerWidth, document.scrollingElement.scrollWidth]")
    assert fit == [width, width], f"{name} at {size}: [innerWidth, scrollWidth] = {fit}"


def sign_up(page: Page, person: Person) -> None:
    page.goto("/signup")
    page.get_by_label("Username").fill(person.username)
    page.get_by_label("Display name").fill(person.display_name)
    page.get_by_label("Password").fill(person.password)
    page.get_by_role("button", name="Sign up").click()
    expect(page).to_have_url(re.compile(r"/chat$"))


def sign_in(page: Page, person: Person, password: str | None = None) -> None:
    """Fills and submits the /signin form (the page must already show it)."""
    page.get_by_label("Username").fill(person.username)
    page.get_by_label("Password").fill(password or person.password)
    page.get_by_role("button", name="Sign in").click()


def api_register(server: ServerProcess, person: Person) -> str:
    """Creates the account through the JSON API and returns a session token."""
    with httpx.Client(base_url=server.url + "/api/v1", timeout=10) as client:
        body = {
            "username": person.username,
            "password": person.password,
            "display_name": person.display_name,
        }
        client.post("/accounts", json=body).raise_for_status()
        credentials = {"username": person.username, "password": person.password}
        answer = client.post("/sessions", json=credentials)
        answer.raise_for_status()
        return answer.json()["token"]


def api_befriend(server: ServerProcess, a: Person, b: Person) -> tuple[str, str]:
    """Registers both people and makes them friends through the JSON API; returns their
    session tokens."""
    token_a, token_b = api_register(server, a), api_register(server, b)
    with httpx.Client(base_url=server.url + "/api/v1", timeout=10) as client:
        sent = client.post(
            "/friend-requests",
            json={"to": b.username, "message": "hello"},
            headers={"Authorization": f"Bearer {token_a}"},
        )
        sent.raise_for_status()
        client.post(
            f"/friend-requests/{sent.json()['id']}/accept",
            headers={"Authorization": f"Bearer {token_b}"},
        ).raise_for_status()
    return token_a, token_b


def api_direct_chat(server: ServerProcess, token: str, with_person: Person) -> int:
    """Starts (or reuses) a direct conversation through the JSON API; returns its id."""
    answer = httpx.post(
        server.url + "/api/v1/conversations",
        json={"kind": "direct", "members": [with_person.username]},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    answer.raise_for_status()
    return answer.json()["id"]


def ann_and_bob_in_a_chat(server: ServerProcess) -> tuple[Person, Person, str, int]:
    """Two new friends, Ann and Bob, with a direct chat: (ann, bob, Ann's token, the chat id)."""
    ann, bob = make_person("Ann"), make_person("Bob")
    token_a, _ = api_befriend(server, ann, bob)
    return ann, bob, token_a, api_direct_chat(server, token_a, bob)
