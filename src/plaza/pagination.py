"""Opaque cursors: the one pagination style of every list in the API.

A cursor is URL-safe base64 of a small JSON object that only the server interprets; clients
pass `next_cursor` back as `cursor` and stop when it is null.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any, Generic, TypeVar

import orjson
from pydantic import BaseModel

from plaza.errors import Invalid

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


def encode_cursor(position: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(position)).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> dict[str, Any] | None:
    """The position a cursor names, or None for the first page; a forged cursor is a 422."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        position = orjson.loads(raw)
    except (binascii.Error, ValueError, orjson.JSONDecodeError):
        raise Invalid("cursor is not one this server gave out", field="cursor") from None
    if not isinstance(position, dict):
        raise Invalid("cursor is not one this server gave out", field="cursor")
    return position


def cursor_int(position: dict[str, Any] | None, key: str) -> int | None:
    """An integer field of a decoded cursor, validated."""
    if position is None:
        return None
    value = position.get(key)
    if not isinstance(value, int):
        raise Invalid("cursor is not one this server gave out", field="cursor")
    return value
