"""Template variables the server passes (or will pass) render as designed: the /people list
`results` with the single `found` fallback, and a pending request on a profile (`pending`)."""

from __future__ import annotations

from types import SimpleNamespace

from plaza.web.templating import templates


def render(name: str, **context) -> str:
    me = SimpleNamespace(username="ann", display_name="Ann", role="user")
    return templates().env.get_template(name).render(user=me, csrf_token="t", **context)


def person(username: str, display_name: str) -> SimpleNamespace:
    return SimpleNamespace(username=username, display_name=display_name, status="active")


def test_people_renders_results_and_the_found_fallback():
    html = render(
        "people.html", q="李", results=[person("li_lei", "李雷"), person("li_na", "李娜")]
    )
    assert html.count('href="/u/') == 2 and "李雷" in html and "@li_na" in html
    html = render("people.html", q="bob", found=person("bob", "Bob"))
    assert 'href="/u/bob"' in html
    html = render("people.html", q="nobody", found=None, results=[])
    assert "Nobody found for “nobody”" in html


def test_profile_shows_a_pending_request():
    context = {"person": person("bob", "Bob"), "is_me": False, "is_friend": False}
    html = render("profile.html", pending=True, blocked=False, **context)
    assert "Request sent" in html and "Add friend" not in html
    html = render("profile.html", blocked=False, **context)
    assert "Add friend" in html and "Request sent" not in html
