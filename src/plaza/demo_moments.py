"""`plaza demo`'s moments: the busiest people of the play befriend each other and post moments
with pictures (gradients with a line of theirs, drawn with Pillow and stored through the
media upload use case, so they are checked and thumbnailed like any upload), shared with all
friends, with a label, or kept private; the others like and comment, and authors answer.

Run once per database: a second run finds the host's moments and adds nothing.
"""

from __future__ import annotations

import io
import itertools

from PIL import Image, ImageDraw, ImageFont
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from plaza.accounts.models import User
from plaza.accounts.service import friends, labels
from plaza.clock import Clock
from plaza.config import Settings
from plaza.media.setup import MediaRuntime
from plaza.media.uploads import upload
from plaza.moments.models import Moment
from plaza.moments.service import interactions, posting
from plaza.runtime import Runtime

CIRCLE = 6  # the busiest speakers, all friends with each other
PALETTES = [
    ((255, 94, 98), (255, 195, 113)),
    ((67, 206, 162), (24, 90, 157)),
    ((142, 45, 226), (74, 0, 224)),
    ((247, 151, 30), (255, 210, 0)),
    ((0, 180, 219), (0, 131, 176)),
    ((238, 156, 167), (255, 221, 225)),
]
COMMENTS = ["Beautiful!", "Where is this?", "Fair Verona indeed", "Wish I were there"]


def picture(text: str, palette: tuple[tuple[int, int, int], tuple[int, int, int]]) -> bytes:
    """A 640x480 diagonal gradient with `text` written across it, as PNG."""
    first, last = palette
    middle = tuple((a + b) // 2 for a, b in zip(first, last, strict=True))
    corners = Image.new("RGB", (2, 2))
    corners.putdata([first, middle, middle, last])
    image = corners.resize((640, 480), Image.Resampling.BILINEAR)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=30)
    words, lines, line = text.split(), [], ""
    for word in words:
        if len(line) + len(word) > 32:
            lines.append(line)
            line = ""
        line = f"{line} {word}".strip()
    lines.append(line)
    for i, text_line in enumerate(lines[:6]):
        draw.text((40, 60 + i * 44), text_line, fill=(255, 255, 255), font=font)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


async def _befriend_all(runtime: Runtime, people: list[User]) -> None:
    async with runtime.sessions() as session:
        for a, b in itertools.combinations(people, 2):
            if await friends.are_friends(session, user_id=a.id, other_id=b.id):
                continue
            request = await friends.send_request(
                session, clock=runtime.clock, sender=a, to_username=b.username, message="Hi"
            )
            if request.request.status == "pending":
                await friends.accept_request(
                    session, clock=runtime.clock, user=b, request_id=request.request.id
                )


async def load_moments(
    runtime: Runtime,
    media: MediaRuntime,
    settings: Settings,
    people: list[User],
    lines: dict[int, list[str]],
) -> int:
    """Moments by `people` (the busiest first, who hosts), using their `lines`; returns how many
    the circle has (an earlier run's, unchanged, when there are some)."""
    host, circle = people[0], people[:CIRCLE]
    clock: Clock = runtime.clock
    async with runtime.sessions() as session:
        earlier = await session.scalar(
            select(func.count())
            .select_from(Moment)
            .where(Moment.author_id.in_([p.id for p in circle]))
        )
        if earlier:
            return earlier
    await _befriend_all(runtime, circle)
    limits = posting.PostLimits(
        max_chars=settings.moments_text_max_chars, max_media=settings.media_max_per_item
    )
    posted = 0
    async with runtime.sessions() as session:
        family = await labels.create_label(
            session,
            clock=clock,
            owner=host,
            name="Close friends",
            usernames=[p.username for p in circle[1:3]],
            limits=labels.LabelLimits.of(settings),
        )
        for index, author in enumerate(circle * 2):
            said = lines.get(author.id) or ["What light through yonder window breaks?"]
            text = said[index % len(said)]
            media_ids = []
            for n in range(1 + index % 3):
                palette = PALETTES[(index + n) % len(PALETTES)]
                ref = await upload(
                    session,
                    media=media,
                    clock=clock,
                    uploader_id=author.id,
                    data=picture(said[(index + n) % len(said)], palette),
                )
                media_ids.append(ref.id)
            mode, chosen = "friends", []
            if author.id == host.id and index == CIRCLE:
                mode, chosen = "only", [family.label.id]
            elif index == 2 * CIRCLE - 1:
                mode = "private"
            view = await posting.create(
                session,
                clock=clock,
                author=author,
                draft=posting.Draft(text, media_ids, mode, [], chosen),
                limits=limits,
            )
            posted += 1
            if mode != "friends":
                continue
            await _react(runtime, session, view.moment.id, author, circle, index)
    return posted


async def _react(
    runtime: Runtime,
    session: AsyncSession,
    moment_id: int,
    author: User,
    circle: list[User],
    index: int,
) -> None:
    """Likes from most of the circle, a comment or two, and the author's answer."""
    others = [p for p in circle if p.id != author.id]
    for liker in others[: 2 + index % 3]:
        await interactions.set_like(
            session, clock=runtime.clock, bus=None, user=liker, moment_id=moment_id, liked=True
        )
    commenter = others[index % len(others)]
    comment = await interactions.add_comment(
        session,
        clock=runtime.clock,
        bus=None,
        user=commenter,
        moment_id=moment_id,
        text=COMMENTS[index % len(COMMENTS)],
        reply_to=None,
        max_chars=1000,
    )
    await interactions.add_comment(
        session,
        clock=runtime.clock,
        bus=None,
        user=author,
        moment_id=moment_id,
        text="Thank you!",
        reply_to=comment.comment.id,
        max_chars=1000,
    )
