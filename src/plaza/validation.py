"""The shared types that every input is checked with at the edge (design.md §9).

A value that the database cannot take must never reach it: an id past the column's range, a NUL
character (PostgreSQL refuses it; SQLite would store it), an unpaired surrogate (not encodable
as UTF-8) would each be a 500. Routes declare their parameters and bodies with these `Annotated`
types, so a bad value is a 422 in Plaza's error shape naming the field, and the OpenAPI document
states the same limits. The stream and other non-HTTP edges use the `check_*` functions, which
apply the very same types and raise `Invalid`.

- `Id`: a row id, 1..2,147,483,647: PostgreSQL's INTEGER, applied on SQLite too, so both backends
  answer alike. `PathId` is the same for a path parameter.
- `Seq`: a message sequence number, 0..2,147,483,647 (`QuerySeq` for a query parameter).
- `Text`: a string without NUL or unpaired surrogates; give it a maximum length where it is used,
  `Annotated[Text, Field(max_length=1000)]`.
- `Username` / `PathUsername`: a reference to a person, `[A-Za-z0-9_]{3,32}`, lower-cased (usernames
  are stored lower-case and compared regardless of case).
- `QueryCursor`: an opaque cursor as a query parameter (see `plaza.pagination`).
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    TypeAdapter,
    ValidationError,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from plaza.errors import Invalid

ID_MAX = 2**31 - 1
SEQ_MAX = 2**31 - 1
USERNAME_PATTERN = "^[A-Za-z0-9_]{3,32}$"
_USERNAME = re.compile(USERNAME_PATTERN)
_DIGITS = re.compile("[0-9]+")
CURSOR_MAX = 512


def clean_text(value: str) -> str:
    """`value` if it has no NUL character and no unpaired surrogate, else a validation error."""
    if "\x00" in value:
        raise PydanticCustomError("text_nul", "must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise PydanticCustomError(
            "text_surrogate", "must not contain unpaired surrogates (it is not valid Unicode)"
        ) from None
    return value


def _digits(value: Any) -> Any:
    """A path or query integer is written in plain digits: not "1.0", "+1", "1_000" or " 1"."""
    if isinstance(value, str) and not _DIGITS.fullmatch(value):
        raise PydanticCustomError("int_digits", "must be a whole number written in digits")
    return value


def _username(value: str) -> str:
    if not _USERNAME.fullmatch(value):
        raise PydanticCustomError("username", "must be 3 to 32 characters of a-z, 0-9 and _")
    return value.lower()


_USERNAME_SCHEMA = WithJsonSchema(
    {"type": "string", "pattern": USERNAME_PATTERN, "minLength": 3, "maxLength": 32}
)

Id = Annotated[int, Field(strict=True, ge=1, le=ID_MAX)]
Seq = Annotated[int, Field(strict=True, ge=0, le=SEQ_MAX)]
Text = Annotated[str, AfterValidator(clean_text)]
Username = Annotated[str, AfterValidator(_username), _USERNAME_SCHEMA]

PathId = Annotated[int, BeforeValidator(_digits), Path(ge=1, le=ID_MAX)]
PathUsername = Annotated[str, AfterValidator(_username), _USERNAME_SCHEMA, Path()]
QuerySeq = Annotated[int | None, BeforeValidator(_digits), Query(ge=0, le=SEQ_MAX)]
QueryCursor = Annotated[
    str | None,
    AfterValidator(lambda v: v if v is None else clean_text(v)),
    Query(max_length=CURSOR_MAX, description="the `next_cursor` of the previous page"),
]


# Checks for edges that are not FastAPI parameters (the stream's frames): the same types, strict
# (a JSON `true` is not an id, a string is not a number), raising `Invalid` naming the field.


def check_id(value: Any, field: str) -> int:
    """`value` as a row id, or `Invalid` naming `field`."""
    return int(_check(_adapter(Id), value, field))


def check_text(value: Any, field: str, *, max_length: int, min_length: int = 0) -> str:
    """`value` as text of `min_length` to `max_length` characters, or `Invalid` naming `field`."""
    return str(_check(_text_adapter(min_length, max_length), value, field))


def _check(adapter: TypeAdapter[Any], value: Any, field: str) -> Any:
    try:
        return adapter.validate_python(value, strict=True)
    except ValidationError as exc:
        problem = exc.errors()[0]["msg"]
        raise Invalid(f"{field}: {problem}", field=field) from None


@cache
def _adapter(kind: Any) -> TypeAdapter[Any]:
    return TypeAdapter(kind)


@lru_cache(maxsize=64)
def _text_adapter(min_length: int, max_length: int) -> TypeAdapter[Any]:
    return TypeAdapter(Annotated[Text, Field(min_length=min_length, max_length=max_length)])
