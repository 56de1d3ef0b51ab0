# ruff: noqa: E501  (the vectors are kept on one line each, as published)
"""The article renderer and sanitizer against hostile Markdown and HTML: a corpus of XSS
vectors in the style of OWASP's cheat sheet. Whatever goes in, what comes out has no script,
no event handler, no frame, no `javascript:`/`vbscript:`/`data:` URL and no picture from
anywhere but this server's media; ordinary Markdown still renders."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from plaza.public_accounts.render import media_ids, render, sanitize

XSS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/xss.js></SCRIPT>",
    "<IMG SRC=\"javascript:alert('XSS');\">",
    "<IMG SRC=javascript:alert('XSS')>",
    "<IMG SRC=JaVaScRiPt:alert('XSS')>",
    '<IMG """><SCRIPT>alert("XSS")</SCRIPT>">',
    "<IMG SRC=&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;&#97;&#108;&#101;&#114;&#116;&#40;&#39;&#88;&#83;&#83;&#39;&#41;>",
    "<IMG SRC=\"jav\tascript:alert('XSS');\">",
    "<IMG SRC=\" &#14;  javascript:alert('XSS');\">",
    "<IMG SRC=# onmouseover=\"alert('xxs')\">",
    '<img src=x onerror="alert(1)">',
    "<svg/onload=alert('XSS')>",
    '<BODY ONLOAD=alert("XSS")>',
    '<iframe src="https://evil.example"></iframe>',
    "<IFRAME SRC=\"javascript:alert('XSS');\"></IFRAME>",
    '<object data="https://evil.example/x.swf"></object>',
    '<embed src="data:image/svg+xml;base64,PHN2Zz48c2NyaXB0PmFsZXJ0KDEpPC9zY3JpcHQ+PC9zdmc+">',
    '<a href="javascript:alert(1)">click</a>',
    '<a href="JAVASCRIPT:alert(1)">click</a>',
    '<a href="vbscript:msgbox(1)">click</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">click</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](data:text/html,<script>alert(1)</script>)",
    "[click](vbscript:msgbox(1))",
    "![x](javascript:alert(1))",
    "![x](https://evil.example/tracker.png)",
    "![x](data:image/png;base64,iVBORw0KGgo=)",
    "![x](//evil.example/p.png)",
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<style>body{background:url('javascript:alert(1)')}</style>",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<link rel="stylesheet" href="https://evil.example/x.css">',
    "<form action=https://evil.example><input type=submit></form>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>",
    "<<script>script>alert(1)<</script>/script>",
    "<scr<script>ipt>alert(1)</script>",
    '<a href="&#x6A;avascript:alert(1)">x</a>',
    "<details open ontoggle=alert(1)>",
    '<base href="javascript:alert(1)//">',
    "<!--<img src=x onerror=alert(1)>-->",
    '<a href="https://ok.example" onclick="alert(1)">ok</a>',
    '<p onmouseover="alert(1)">text</p>',
    '<img src="/api/v1/media/1" onerror="alert(1)">',
    '<img src="/api/v1/media/1?x=" onload=alert(1)>',
]

SAFE_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5",
    "h6", "hr", "i", "img", "li", "ol", "p", "pre", "s", "strong", "sub", "sup", "table",
    "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
SAFE_ATTRIBUTES = {"href", "title", "src", "alt", "align", "start", "rel"}
OUR_PICTURE = re.compile(r"/api/v1/media/[0-9]+(/thumbnail)?")
# http(s), mailto, or a reference on this server (no scheme, not "//host").
SAFE_LINK = re.compile(r"(?!//)(https?:|mailto:|(?![a-z][a-z0-9+.\-]*:))", re.I)


class Elements(HTMLParser):
    """What a browser would build from the HTML: tags with their (decoded) attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, attrs))


def _safe(html: str) -> None:
    parser = Elements()
    parser.feed(html)
    parser.close()
    for tag, attrs in parser.found:
        assert tag in SAFE_TAGS, (tag, html)
        for name, value in attrs:
            assert name in SAFE_ATTRIBUTES, (name, html)
            value = "".join((value or "").split())  # browsers skip whitespace in schemes
            if tag == "img" and name == "src":
                assert OUR_PICTURE.fullmatch(value), html
            if name == "href":
                assert SAFE_LINK.match(value), html


def test_the_corpus_is_big_enough():
    assert len(XSS) >= 30


@pytest.mark.parametrize("vector", XSS)
def test_no_vector_survives_markdown_rendering(vector):
    _safe(render(vector))
    _safe(render(f"Some text\n\n{vector}\n\nmore"))


@pytest.mark.parametrize("vector", XSS)
def test_no_vector_survives_the_sanitizer_alone(vector):
    """Raw HTML is off in the renderer; the sanitizer stands on its own too."""
    _safe(sanitize(vector))


def test_ordinary_markdown_renders():
    html = render(
        "# Title\n\nSome **bold**, *em*, ~~gone~~ and `code`.\n\n"
        "- one\n- two\n\n> quoted\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
        "[a link](https://example.org/page) and ![a picture](/api/v1/media/42)"
    )
    for part in ("<h1>Title</h1>", "<strong>bold</strong>", "<em>em</em>", "<s>gone</s>",
                 "<code>code</code>", "<li>one</li>", "<blockquote>", "<table>", "<td>1</td>"):  # fmt: skip
        assert part in html, (part, html)
    assert '<a href="https://example.org/page" rel="noopener noreferrer nofollow">' in html
    assert '<img src="/api/v1/media/42" alt="a picture">' in html


def test_a_foreign_picture_loses_its_source_and_media_ids_lists_ours():
    html = render(
        "![ours](/api/v1/media/7) ![theirs](https://evil.example/p.png) "
        "![again](/api/v1/media/7) ![thumb](/api/v1/media/9/thumbnail)"
    )
    assert "evil.example" not in html
    assert media_ids(html) == [7, 9]
