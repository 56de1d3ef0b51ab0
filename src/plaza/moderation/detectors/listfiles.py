"""The operators' list files (keywords, image hashes): one entry a line, comments, and errors
that name the line, so a bad file is refused whole with a message saying where to look."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator

from plaza.errors import Invalid


class ListFileError(Invalid):
    """A list file was refused; `line_no` (1-based) says which line and `reason` why."""

    code = "invalid_list_file"

    def __init__(self, line_no: int, reason: str) -> None:
        super().__init__(f"line {line_no}: {reason}")
        self.line_no = line_no
        self.reason = reason


def list_lines(data: str | bytes) -> Iterator[tuple[int, str]]:
    """(line number, stripped text) of each line that is neither blank nor a `#` comment.

    Bytes are decoded as UTF-8 line by line, so a bad byte is reported with its line. Lines
    holding NUL or other control characters are refused: they are never part of a term or a
    hash, and usually mean a binary file was given by mistake.
    """
    if isinstance(data, bytes):
        lines = [_decoded(number, raw) for number, raw in enumerate(data.split(b"\n"), 1)]
    else:
        lines = data.split("\n")
    for number, line in enumerate(lines, start=1):
        if number == 1:
            line = line.removeprefix("\ufeff")
        line = line.removesuffix("\r").strip()
        if not line or line.startswith("#"):
            continue
        bad = next((ch for ch in line if unicodedata.category(ch) in ("Cc", "Cs")), None)
        if bad is not None:
            raise ListFileError(number, f"control character U+{ord(bad):04X} in the line")
        yield number, line


def _decoded(line_no: int, raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ListFileError(line_no, f"not UTF-8 (byte {exc.start + 1})") from None
