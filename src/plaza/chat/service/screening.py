"""Screening the messages a batch has just stored (plaza.moderation.service.screening), in
the batch's own transaction, before it commits: each verdict concerns its own message alone,
so one sender's held message (or a failure screening it, which the batch's split-and-retry
isolates like any other) is never another's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncConnection

from plaza.chat.service import moderation_state, statements
from plaza.chat.service.events import NewMessage
from plaza.moderation.service.screening import screen
from plaza.moderation.setup import Moderation
from plaza.moderation.verdicts import Content, Verdict

if TYPE_CHECKING:
    from plaza.chat.service.sending import Draft

SURFACE = "message"


async def screen_stored(
    connection: AsyncConnection,
    moderation: Moderation,
    drafts: Sequence[Draft],
    stored: list[tuple[int, NewMessage, int]],
) -> tuple[list[tuple[int, NewMessage, int]], list[Verdict]]:
    """Screen each stored message in the batch's transaction; a verdict concerns its own
    message alone (held or removed: seen by its sender only, announced to them only). The
    detectors nearly always say nothing, and then this costs no statement.

    A message names no strangers (`Content.strangers` stays 0): a direct chat is between
    friends, and only friends can be put in a group, so nobody reaches people they do not
    know by their own choice here; counting a group's other members would hold every new
    member's first few messages in a group of their friend's friends."""
    screened = []
    states = []
    acted = []
    with moderation_state.storing(message.id for _, message, _ in stored):
        for index, message, rev in stored:
            draft = drafts[index]
            verdict = await screen(
                connection,
                moderation=moderation,
                content=Content(
                    surface=SURFACE,
                    ref_id=message.id,
                    author_id=message.sender_id,
                    text=message.text,
                    media_ids=draft.media_ids,
                ),
            )
            draft.moderation = verdict.state
            if verdict.state is not None:
                states.append({"message_id": message.id, "state": verdict.state})
                message = replace(message, moderation=verdict.state)
            if verdict.after_commit:
                acted.append(verdict)
            screened.append((index, message, rev))
    if states:
        await connection.execute(statements.SET_MODERATION, states)
    return screened, acted
