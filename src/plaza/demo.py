"""`plaza demo`: sample people, friendships and a group chat replaying Romeo and Juliet.

The play is read at run time from ../shared/data/romeo_and_juliet.txt (laid out as in the
Romeo & Juliet Matrix benchmark: an unindented line names the speaker, indented lines are
what they say). Every demo person's password is DEMO_PASSWORD.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from rich.progress import Progress

from plaza.accounts.service import friends, users
from plaza.app import build_runtime
from plaza.bus.memory import MemoryBus
from plaza.chat.service import conversations, sending
from plaza.config import Settings

DEMO_PASSWORD = "plaza-demo-pass"
DEFAULT_SCRIPT = Path("../shared/data/romeo_and_juliet.txt")


def read_play(path: Path) -> list[tuple[str, str]]:
    """(speaker, line) pairs in order, following the layout described above."""
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


async def load_demo(settings: Settings, *, script: Path | None, max_messages: int) -> str:
    path = script or DEFAULT_SCRIPT
    if not path.exists():
        raise SystemExit(f"cannot read the play at {path}; pass --script")
    play = read_play(path)[:max_messages]
    speakers = list(dict.fromkeys(s for s, _ in play))
    runtime = build_runtime(settings)
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
                view, _ = await conversations.create(
                    session,
                    clock=runtime.clock,
                    bus=bus,
                    creator=host,
                    kind="group",
                    usernames=[p.username for p in people.values()],
                    title="Verona",
                    max_members=settings.group_max_members,
                )
                task = progress.add_task("Messages", total=len(play))
                for index, (speaker, line) in enumerate(play):
                    await sending.send(
                        session,
                        clock=runtime.clock,
                        bus=bus,
                        sender=people[speaker],
                        conversation_id=view.conversation.id,
                        client_id=f"demo-{index}",
                        text=line,
                        reply_to=None,
                        max_chars=settings.message_max_chars,
                    )
                    progress.advance(task)
    finally:
        await runtime.engine.dispose()
    return (
        f"{len(people)} people, a group 'Verona' with {len(play)} messages; sign in as "
        f"{host.username} / {DEMO_PASSWORD}"
    )
