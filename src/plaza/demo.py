"""`plaza demo`: sample people, friendships and a group chat replaying Romeo and Juliet, and
moments with pictures, likes and comments (plaza.demo_moments), and a public account with
articles and subscribers (plaza.demo_public).

The play (public domain) ships inside the package, `plaza/data/romeo_and_juliet.txt`, laid
out as in the Romeo & Juliet Matrix benchmark: an unindented line names the speaker, indented
lines are what they say. The benchmarks replay all of it as written; the demo keeps the lines
of the people in it (no stage directions, act or scene headings, prologue). Running it again
adds nothing twice: people and friendships are looked up first, the group is reused, and every
line's client_id is fixed, so a repeated send is a no-op. Every demo person's password is
DEMO_PASSWORD.
"""

from __future__ import annotations

import re
from collections import Counter
from importlib import resources
from pathlib import Path

from rich.progress import Progress
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from plaza.accounts.models import User
from plaza.accounts.service import friends, users
from plaza.app import create_app
from plaza.bus.memory import MemoryBus
from plaza.chat.models import Message
from plaza.chat.service import conversations, sending
from plaza.config import Settings
from plaza.demo_moments import load_moments
from plaza.demo_public import HANDLE, load_public_accounts
from plaza.runtime import Runtime

DEMO_PASSWORD = "plaza-demo-pass"
GROUP_TITLE = "Verona"
NOT_PEOPLE = {"STAGE DIRECTION", "ACTS", "PROLOGUE"}


def packaged_play() -> Path:
    """The copy of the play inside the package."""
    return Path(str(resources.files("plaza.data") / "romeo_and_juliet.txt"))


def is_person(speaker: str) -> bool:
    return speaker not in NOT_PEOPLE and not speaker.startswith("SCENE ")


def read_play(path: Path | None = None) -> list[tuple[str, str]]:
    """(speaker, line) pairs in order, following the layout described above."""
    path = path or packaged_play()
    lines: list[tuple[str, str]] = []
    speaker = "STAGE DIRECTION"
    just_named = False  # the blank line right after a speaker's name belongs to the name
    for raw in path.read_text(encoding="utf-8").splitlines():
        if not raw.strip():
            if not just_named:
                speaker = "STAGE DIRECTION"
            just_named = False
        elif raw.startswith("ACT"):
            lines.append(("ACTS", raw.strip()))
            just_named = False
        elif raw[0].isspace():
            lines.append((speaker, raw.strip()))
            just_named = False
        else:
            speaker = raw.strip().rstrip(".")
            just_named = True
    return lines


def username_for(speaker: str) -> str:
    name = re.sub(r"[^a-z0-9_]", "_", speaker.lower()).strip("_")[:32]
    return name if len(name) >= 3 else f"{name}_rj"


async def _existing_group(session: AsyncSession, host: User) -> int | None:
    """The demo group of an earlier run, if the host has one."""
    views, _ = await conversations.list_for(session, user=host, cursor=None, limit=200)
    for view in views:
        if view.conversation.kind == "group" and view.conversation.title == GROUP_TITLE:
            return view.conversation.id
    return None


async def _posted_client_ids(session: AsyncSession, conversation_id: int) -> set[str]:
    """The demo lines an earlier run already posted."""
    rows = await session.scalars(
        select(Message.client_id).where(
            Message.conversation_id == conversation_id, Message.client_id.like("demo-%")
        )
    )
    return set(rows)


async def load_demo(settings: Settings, *, script: Path | None, max_messages: int) -> str:
    path = script or packaged_play()
    if not path.exists():
        raise SystemExit(f"cannot read the play at {path}; pass --script")
    play = [(s, line) for s, line in read_play(path) if is_person(s)][:max_messages]
    speakers = list(dict.fromkeys(s for s, _ in play))
    app = create_app(settings)
    runtime: Runtime = app.state.runtime
    bus = MemoryBus()
    try:
        async with runtime.sessions() as session:
            people = {}
            with Progress() as progress:
                task = progress.add_task("People", total=len(speakers))
                for speaker in speakers:
                    name = username_for(speaker)
                    person = await users.find_user(session, username=name)
                    if person is None:
                        person = await users.register(
                            session,
                            passwords=runtime.passwords,
                            clock=runtime.clock,
                            username=name,
                            password=DEMO_PASSWORD,
                            display_name=speaker.title(),
                        )
                    people[speaker] = person
                    progress.advance(task)
                # The one with the most lines hosts: befriends everyone, owns the group.
                host = people[Counter(s for s, _ in play).most_common(1)[0][0]]
                for person in people.values():
                    if person.id != host.id and not await friends.are_friends(
                        session, user_id=host.id, other_id=person.id
                    ):
                        request = await friends.send_request(
                            session,
                            clock=runtime.clock,
                            sender=host,
                            to_username=person.username,
                            message="Come to Verona",
                        )
                        await friends.accept_request(
                            session,
                            clock=runtime.clock,
                            user=person,
                            request_id=request.request.id,
                        )
                conversation_id = await _existing_group(session, host)
                if conversation_id is None:
                    view, _ = await conversations.create(
                        session,
                        clock=runtime.clock,
                        bus=bus,
                        creator=host,
                        kind="group",
                        usernames=[p.username for p in people.values()],
                        title=GROUP_TITLE,
                        max_members=settings.group_max_members,
                    )
                    conversation_id = view.conversation.id
                posted = await _posted_client_ids(session, conversation_id)
                task = progress.add_task("Messages", total=len(play))
                for index, (speaker, line) in enumerate(play):
                    progress.advance(task)
                    if f"demo-{index}" in posted:
                        continue
                    await sending.send(
                        session,
                        clock=runtime.clock,
                        bus=bus,
                        sender=people[speaker],
                        conversation_id=conversation_id,
                        client_id=f"demo-{index}",
                        text=line,
                        reply_to=None,
                        max_chars=settings.message_max_chars,
                    )
        said: dict[int, list[str]] = {}
        for speaker, line in play:
            if 20 <= len(line) <= 120:
                said.setdefault(people[speaker].id, []).append(line)
        busiest = [people[s] for s, _ in Counter(s for s, _ in play).most_common()]
        moments = await load_moments(runtime, app.state.media, settings, busiest, said)
        published = await load_public_accounts(runtime, app.state.media, settings, busiest)
    finally:
        await app.state.media.close()
        await runtime.engine.dispose()
    return (
        f"{len(people)} people, a group '{GROUP_TITLE}' with {len(play)} messages, {moments} "
        f"moments with pictures, {published} articles at /a/{HANDLE}; "
        f"sign in as {host.username} / {DEMO_PASSWORD}"
    )
