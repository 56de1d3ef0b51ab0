"""Spam checks over facts the caller gathered: one sender's rate across conversations and
posts, the same or nearly the same text from many accounts, link-heavy text, and a brand-new
account writing to many strangers.

Pure: the caller counts (sends in a window, strangers written to, similar texts by other
authors through its own `near_duplicates.DuplicateIndex`) and this module judges. Scores start
at 0.5 when an observation reaches its threshold and reach 1.0 at twice the threshold; what a
score leads to is the policy's business.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from plaza.moderation.detectors.signals import Rule, Signal


@dataclass(frozen=True, slots=True)
class SpamContext:
    """What the caller knows about one piece of content and its sender, counted up to now."""

    text: str
    sender_recent_sends: int  # messages, posts and comments by the sender in the window
    window_seconds: int  # the window those sends were counted over
    account_age_seconds: float
    strangers_messaged_recently: int  # people who are not friends, written to in the window
    similar_authors: int  # other accounts that recently wrote (nearly) the same text


@dataclass(frozen=True, slots=True)
class SpamThresholds:
    """Where each check starts to signal; the engine fills these from settings."""

    rate_sends: int = 60  # sends per rate_window_seconds, across conversations and posts
    rate_window_seconds: int = 60
    duplicate_authors: int = 5  # other accounts with (nearly) the same text
    links: int = 5  # links in one text
    new_account_seconds: float = 86_400.0  # an account younger than this is new
    new_account_strangers: int = 10  # strangers a new account wrote to in the window


def _escalating(observed: float, threshold: float) -> float:
    """0.5 at the threshold, 1.0 at twice the threshold and beyond."""
    return round(min(1.0, 0.5 + 0.5 * (observed - threshold) / threshold), 3)


def spam_signals(ctx: SpamContext, thresholds: SpamThresholds, rule: Rule) -> list[Signal]:
    """The spam checks that `ctx` trips, each a signal filed under `rule`."""
    signals = []

    def signal(detector: str, score: float, **evidence: str | int | float) -> None:
        signals.append(Signal(rule.policy_id, rule.clause, detector, score, evidence))

    if ctx.window_seconds > 0 and thresholds.rate_sends > 0:
        rate = ctx.sender_recent_sends / ctx.window_seconds
        limit = thresholds.rate_sends / thresholds.rate_window_seconds
        if rate >= limit:
            score = _escalating(rate, limit)
            sends, window = ctx.sender_recent_sends, ctx.window_seconds
            signal("spam.rate", score, count=sends, window_seconds=window)
    if ctx.similar_authors >= thresholds.duplicate_authors > 0:
        score = _escalating(ctx.similar_authors, thresholds.duplicate_authors)
        signal("spam.duplicate", score, authors=ctx.similar_authors)
    links = count_links(ctx.text)
    if links.links >= thresholds.links > 0:
        signal("spam.links", _escalating(links.links, thresholds.links), links=links.links,
               hosts=links.hosts)  # fmt: skip
    strangers = ctx.strangers_messaged_recently
    if ctx.account_age_seconds < thresholds.new_account_seconds and (
        strangers >= thresholds.new_account_strangers > 0
    ):
        score = _escalating(strangers, thresholds.new_account_strangers)
        signal("spam.strangers", score, strangers=strangers,
               account_age_seconds=int(ctx.account_age_seconds))  # fmt: skip
    return signals


@dataclass(frozen=True, slots=True)
class LinkCount:
    links: int
    hosts: int  # distinct hosts ("www." ignored)


# A URL with a scheme, or a bare domain of ASCII labels ending in an alphabetic top-level
# domain ("example.com/x", "shop.example.co.uk"): "e.g." and "3.14" are not links, and an
# e-mail address is not counted as one.
_LINK = re.compile(
    r"\b(?:https?|ftp)://(?:[^\s/?#@]*@)?(?P<host>[^\s/?#:]+)\S*"
    r"|(?<![\w@.-])(?P<domain>(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+"
    r"(?:[a-z]{2,24}|xn--[a-z0-9-]{1,59}))(?![\w@-])(?::\d{1,5})?(?:/\S*)?"
)


# Every link has a dot or a colon in it once normalized. These are the characters that are one
# or become one under NFKC (full-width and small forms, "․", "⒈", "㏂"...) and the Chinese full
# stop (tests/moderation/detectors/test_spam.py derives the list from Unicode's data again). A
# text with none of them, as most chat messages, skips the normalization and the pattern.
LINK_MARKS = (
    ".:\u2024\u2025\u2026\u2488\u2489\u248a\u248b\u248c\u248d\u248e\u248f\u2490\u2491"
    "\u2492\u2493\u2494\u2495\u2496\u2497\u2498\u2499\u249a\u249b\u2a74\u3002\u33c2\u33c7"
    "\u33d8\ufe13\ufe19\ufe30\ufe52\ufe55\uff0e\uff1a\U0001f100"
)
_LINK_MARK = re.compile(f"[{re.escape(LINK_MARKS)}]")


def count_links(text: str) -> LinkCount:
    """Links in `text`, written plainly or full-width, with the Chinese full stop as a dot."""
    if _LINK_MARK.search(text) is None:
        return LinkCount(0, 0)
    plain = unicodedata.normalize("NFKC", text).casefold().replace("。", ".")
    links = 0
    hosts = set()
    for match in _LINK.finditer(plain):
        links += 1
        host = match.group("host") or match.group("domain")
        hosts.add(host.removeprefix("www."))
    return LinkCount(links, len(hosts))
