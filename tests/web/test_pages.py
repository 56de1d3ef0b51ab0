"""The web shell: cookie sessions, CSRF on every form and cookie-authenticated write, escaping."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.helpers import PASSWORD, register


@pytest.fixture
async def browser_like(app) -> httpx.AsyncClient:
    """A client that keeps cookies, as a browser does."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://plaza.test") as client:
        yield client


def csrf_of(page: httpx.Response) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, "the form carries a CSRF token"
    return match.group(1)


async def sign_up(client: httpx.AsyncClient, username: str, display_name: str) -> httpx.Response:
    page = await client.get("/signup")
    return await client.post(
        "/signup",
        data={
            "csrf_token": csrf_of(page),
            "username": username,
            "password": PASSWORD,
            "display_name": display_name,
        },
    )


async def test_sign_up_sets_an_httponly_lax_session_cookie(browser_like):
    answer = await sign_up(browser_like, "webby", "Webby")
    assert answer.status_code == 303 and answer.headers["location"] == "/chat"
    cookie = next(c for c in answer.headers.get_list("set-cookie") if "plaza_session=" in c)
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    me = await browser_like.get("/me")
    assert me.status_code == 200 and "Webby" in me.text


async def test_forms_without_the_csrf_token_are_refused(browser_like):
    await browser_like.get("/signup")
    forged = await browser_like.post(
        "/signup",
        data={"username": "forged", "password": PASSWORD, "display_name": "Forged"},
        headers={"accept": "text/html"},
    )
    assert forged.status_code == 403
    assert "CSRF" in forged.text


async def test_cookie_authenticated_api_writes_need_the_csrf_header(browser_like, client):
    await sign_up(browser_like, "cookie_user", "Cookie")
    await register(client, "other_user")
    body = {"to": "other_user", "message": "hi"}
    without = await browser_like.post("/api/v1/friend-requests", json=body)
    assert without.status_code == 403
    assert without.json()["error"]["code"] == "csrf"
    # The double-submit cookie is not enough once signed in: a sibling subdomain could set it.
    planted = browser_like.cookies["plaza_csrf"]
    forged = await browser_like.post(
        "/api/v1/friend-requests", json=body, headers={"X-CSRF-Token": planted}
    )
    assert forged.status_code == 403
    page = await browser_like.get("/chat")
    token = re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)
    with_header = await browser_like.post(
        "/api/v1/friend-requests", json=body, headers={"X-CSRF-Token": token}
    )
    assert with_header.status_code == 201


async def test_the_csrf_token_is_tied_to_the_session(browser_like):
    """A token from one session is worthless in another: signing in again changes it."""
    await sign_up(browser_like, "tied_user", "Tied")
    first = csrf_of(await browser_like.get("/me"))
    await browser_like.post("/signout", data={"csrf_token": first})
    page = await browser_like.get("/signin")
    await browser_like.post(
        "/signin",
        data={"csrf_token": csrf_of(page), "username": "tied_user", "password": PASSWORD},
    )
    second = csrf_of(await browser_like.get("/me"))
    assert second != first
    stale = await browser_like.post(
        "/me",
        data={"csrf_token": first, "display_name": "Hijacked"},
        headers={"accept": "text/html"},
    )
    assert stale.status_code == 403
    assert "Hijacked" not in (await browser_like.get("/me")).text


async def test_user_text_is_escaped_in_pages(browser_like):
    await sign_up(browser_like, "mallory", '<script>alert("x")</script>')
    page = await browser_like.get("/u/mallory")
    assert "<script>alert" not in page.text
    assert "&lt;script&gt;alert" in page.text


async def test_pages_need_sign_in_and_say_where_to(browser_like):
    answer = await browser_like.get("/friends")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/signin?next=/friends"


async def test_an_unknown_page_is_an_html_404_for_browsers(browser_like):
    answer = await browser_like.get("/nowhere", headers={"accept": "text/html"})
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("text/html")


async def test_my_profile_lists_sessions_and_signs_out_the_others(app, browser_like):
    await sign_up(browser_like, "two_devices", "Two")
    phone = await browser_like.post(
        "/api/v1/sessions",
        json={"username": "two_devices", "password": PASSWORD},
        headers={"user-agent": "PhoneBrowser/1.0"},
    )
    phone_headers = {"Authorization": f"Bearer {phone.json()['token']}"}
    page = await browser_like.get("/me")
    assert "PhoneBrowser/1.0" in page.text and "this device" in page.text
    done = await browser_like.post(
        "/me", data={"csrf_token": csrf_of(page), "action": "sign_out_others"}
    )
    assert "1 other session(s) signed out." in done.text
    assert (await browser_like.get("/api/v1/me", headers=phone_headers)).status_code == 401
    assert "PhoneBrowser/1.0" not in (await browser_like.get("/me")).text


async def test_changing_the_password_on_the_profile_page(browser_like):
    await sign_up(browser_like, "changer", "Changer")
    page = await browser_like.get("/me")
    wrong = await browser_like.post(
        "/me",
        data={
            "csrf_token": csrf_of(page),
            "action": "password",
            "current_password": "not my password",
            "new_password": "brand new secret words",
        },
    )
    assert wrong.status_code == 403 and "the current password is wrong" in wrong.text
    changed = await browser_like.post(
        "/me",
        data={
            "csrf_token": csrf_of(page),
            "action": "password",
            "current_password": PASSWORD,
            "new_password": "brand new secret words",
        },
    )
    assert "Password changed" in changed.text
    signed_in = await browser_like.post(
        "/api/v1/sessions", json={"username": "changer", "password": "brand new secret words"}
    )
    assert signed_in.status_code == 201


async def test_pages_take_odd_names_without_a_server_error(browser_like):
    """Names from forms and paths never reach the database unchecked (a NUL is refused by
    PostgreSQL): they are names nobody has."""
    await sign_up(browser_like, "odd_names", "Odd")
    page = await browser_like.get("/friends")
    for target in ("bad\x00name", "x" * 500, "名字"):
        answer = await browser_like.post(
            "/friends/actions",
            data={"csrf_token": csrf_of(page), "action": "block", "target": target},
        )
        assert answer.status_code == 303, (target, answer.text)
        assert "no user called" in answer.headers["location"].replace("+", " ")
    profile = await browser_like.get("/u/bad%00name", headers={"accept": "text/html"})
    assert profile.status_code == 404
    signin_page = await browser_like.get("/signin")
    answer = await browser_like.post(
        "/signin",
        data={"csrf_token": csrf_of(signin_page), "username": "a\x00b", "password": "whatever-1"},
    )
    assert answer.status_code == 401
