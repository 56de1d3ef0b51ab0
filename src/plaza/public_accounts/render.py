"""Markdown to safe HTML: the one renderer of article bodies (publishing and preview alike).

The Markdown (CommonMark, with tables and strikethrough) is rendered by markdown-it-py with raw
HTML turned off, and the result is then sanitized by nh3 (Ammonia) against an allowlist, so a
renderer bug cannot let anything through either: no script, style, iframe, object, form or
event-handler attribute; links only to http(s) and mailto; pictures only from this server's
media (`/api/v1/media/<id>`, written `![alt](/api/v1/media/<id>)`). Links get
`rel="noopener noreferrer nofollow"`.

`media_ids(html)` lists the pictures a rendered body shows, so publishing can attach them
(surface "article") and refuse ids that are not the editor's uploads.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import nh3
from markdown_it import MarkdownIt

TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5",
    "h6", "hr", "i", "img", "li", "ol", "p", "pre", "s", "strong", "sub", "sup", "table",
    "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "td": {"align"},
    "th": {"align"},
    "ol": {"start"},
    "abbr": {"title"},
}
URL_SCHEMES = {"http", "https", "mailto"}
MEDIA_SRC = re.compile(r"^/api/v1/media/([1-9][0-9]{0,9})(/thumbnail)?$")
_IMG_SRC = re.compile(r'<img [^>]*?src="/api/v1/media/([1-9][0-9]{0,9})(?:/thumbnail)?"')

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_markdown.enable(["table", "strikethrough"])


def _attribute(tag: str, name: str, value: str) -> str | None:
    """Keep pictures from our media only, and links that go somewhere harmless."""
    if tag == "img" and name == "src":
        return value if MEDIA_SRC.fullmatch(value) else None
    if tag == "a" and name == "href":
        scheme = urlsplit(value).scheme.lower()
        if scheme and scheme not in URL_SCHEMES:
            return None
        if value.startswith("//"):  # protocol-relative: another host, unannounced
            return None
    return value


def sanitize(html: str) -> str:
    """Anything HTML, made safe by the allowlist."""
    return nh3.clean(
        html,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        attribute_filter=_attribute,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def render(markdown: str) -> str:
    """The body as the sanitized HTML that readers get."""
    return sanitize(_markdown.render(markdown))


def media_ids(html: str) -> list[int]:
    """The media ids of the pictures a rendered body shows, in order, each once."""
    seen: dict[int, None] = {}
    for match in _IMG_SRC.finditer(html):
        seen.setdefault(int(match.group(1)), None)
    return list(seen)
