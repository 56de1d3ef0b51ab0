"""The timeline's SQL: narrows moments to those a viewer may see, so a page is one indexed
query however many moments exist.

This is the one place where the visibility rule is also written in SQL, for speed. The rows
it returns are still checked with `plaza.moments.policies.can_view_moment` before they are
shown (a drift could only hide a moment, never show one), and
tests/moments/test_sql_agrees.py proves on generated worlds that both give the same answer.

The statements are built once per dialect with bound parameters (the viewer, their labels,
the authors) and reused: building and cache-keying a fresh statement per request cost more
than the database spent running it. Rows are Core rows (the moment's columns and its
author's names, `MOMENT_COLUMNS`), not ORM objects.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import (
    ARRAY,
    BindParameter,
    ColumnElement,
    Integer,
    Select,
    String,
    and_,
    any_,
    bindparam,
    exists,
    func,
    not_,
    or_,
    select,
)
from sqlalchemy.orm import QueryableAttribute

from plaza.accounts.models import User
from plaza.moments import policies
from plaza.moments.models import Moment, MomentAudienceLabel, MomentAudienceUser
from plaza.moments.policies import ViewerFacts

# A page row: these columns of the moment, then its author's username and display name
# (plaza.moments.service.page.moment_row reads them).
MOMENT_COLUMNS = (
    Moment.id,
    Moment.author_id,
    Moment.text,
    Moment.visibility,
    Moment.created_at,
    Moment.moderation,
)


# A statement of any columns.
AnySelect = Select[*tuple[Any, ...]]


class Query(NamedTuple):
    """A statement and the values of its parameters: `session.execute(*query)`."""

    statement: AnySelect
    params: dict[str, Any]


def among(
    column: QueryableAttribute[int] | ColumnElement[int], name: str, dialect: str
) -> ColumnElement[bool]:
    """`column` is one of the ids bound as `name`: on PostgreSQL one array parameter
    (`= ANY`), which plans in a fraction of the time of hundreds of IN parameters; on SQLite
    an IN list, whose length tells its planner whether to walk the authors' index or the
    newest moments."""
    if dialect == "postgresql":
        return column == any_(bindparam(name, type_=ARRAY(Integer)))
    return column.in_(bindparam(name, expanding=True))


def _viewer() -> BindParameter[int]:
    return bindparam("viewer", type_=Integer)


def _named(dialect: str) -> ColumnElement[bool]:
    """The moment's list names the viewer, in person or through a label they are in (the
    labels come from the viewer's facts, as for the rule)."""
    in_person = exists().where(
        MomentAudienceUser.moment_id == Moment.id, MomentAudienceUser.user_id == _viewer()
    )
    if dialect == "postgresql":
        in_labels = among(MomentAudienceLabel.label_id, "labels", dialect)
    else:  # one JSON parameter: a list's row is found by its key, no plan to choose
        labels = func.json_each(bindparam("labels", type_=String)).table_valued("value")
        in_labels = MomentAudienceLabel.label_id.in_(select(labels.c.value))
    by_label = exists().where(MomentAudienceLabel.moment_id == Moment.id, in_labels)
    return or_(in_person, by_label)


def unmoderated() -> ColumnElement[bool]:
    """Moderation hides nothing of the moment from the viewer: it is theirs, or it is
    neither held nor removed."""
    return or_(Moment.author_id == _viewer(), Moment.moderation.is_(None))


def visible_by_mode(dialect: str) -> ColumnElement[bool]:
    """The mode's part of the rule, for a moment by a friend (or by the viewer)."""
    named = _named(dialect)
    return or_(
        Moment.author_id == _viewer(),
        Moment.visibility == "friends",
        and_(Moment.visibility == "only", named),
        and_(Moment.visibility == "except", not_(named)),
    )


def _viewer_params(viewer: ViewerFacts, dialect: str) -> dict[str, Any]:
    labels = sorted(viewer.labels)
    return {
        "viewer": viewer.user_id,
        "labels": labels if dialect == "postgresql" else json.dumps(labels),
    }


def _with_authors(page: AnySelect) -> AnySelect:
    """The page's rows with their authors' names. The join is outside the page's query so
    that it cannot change the page's plan (joined inside, SQLite walked users first and
    sorted every moment of every friend)."""
    rows = page.subquery("page")
    return (
        select(*rows.c, User.username, User.display_name)
        .join(User, User.id == rows.c.author_id)
        .order_by(rows.c.id.desc())
    )


def _bounded(query: AnySelect, before: bool, after: bool) -> AnySelect:
    if before:
        query = query.where(Moment.id < bindparam("before", type_=Integer))
    if after:
        query = query.where(Moment.id > bindparam("after", type_=Integer))
    return query.order_by(Moment.id.desc()).limit(bindparam("limit", type_=Integer))


@cache
def _timeline_statement(dialect: str, before: bool, after: bool) -> AnySelect:
    query = select(*MOMENT_COLUMNS).where(
        among(Moment.author_id, "authors", dialect), visible_by_mode(dialect), unmoderated()
    )
    return _with_authors(_bounded(query, before, after))


def timeline_query(
    viewer: ViewerFacts,
    *,
    before: int | None,
    limit: int,
    friends_only: bool = False,
    after: int | None = None,
    dialect: str,
) -> Query:
    """Newest first: the moments of the viewer and their friends, minus anyone blocked either
    way (`policies.timeline_authors`), that the viewer may see by mode; with `friends_only`,
    not the viewer's own; ids between `after` and `before` when given."""
    authors = policies.timeline_authors(viewer)
    if friends_only:
        authors.discard(viewer.user_id)
    params = {
        **_viewer_params(viewer, dialect),
        "authors": sorted(authors),
        "limit": limit,
        "before": before,
        "after": after,
    }
    statement = _timeline_statement(dialect, before is not None, after is not None)
    return Query(statement, params)


@cache
def _person_statement(dialect: str, friend: bool, before: bool) -> AnySelect:
    query = select(*MOMENT_COLUMNS).where(
        Moment.author_id == bindparam("author", type_=Integer),
        visible_by_mode(dialect) if friend else Moment.visibility == "friends",
        unmoderated(),
    )
    return _with_authors(_bounded(query, before, False))


def person_query(
    viewer: ViewerFacts,
    author_id: int,
    *,
    before: int | None,
    limit: int,
    dialect: str,
) -> Query:
    """Newest first: the moments of one author that a friend (or the author) may see by mode,
    or for a stranger the "friends" ones (the preview). Blocks are decided before."""
    friend = author_id in viewer.friends or viewer.user_id == author_id
    params = {**_viewer_params(viewer, dialect), "author": author_id, "limit": limit}
    params["before"] = before
    return Query(_person_statement(dialect, friend, before is not None), params)
