"""JSON routes of chat: conversations, members, messages, read markers."""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from plaza.chat.schemas import (
    ChangeOut,
    ConversationIn,
    ConversationOut,
    ConversationUpdate,
    MemberIn,
    MessageIn,
    MessageOut,
    ReadIn,
    ReadOut,
)
from plaza.chat.service import conversations, groups, messages
from plaza.chat.service.sending import Draft
from plaza.deps import CurrentSender, CurrentUser, DbSession, PageLimit, RuntimeDep
from plaza.errors import Invalid
from plaza.pagination import AfterOrBeforeSeq, AfterRev, Page, decode_cursor, encode_cursor
from plaza.validation import PathId, PathUsername, QueryCursor, QuerySeq
from plaza.web.openapi import errors

router = APIRouter(prefix="/api/v1", tags=["chat"])
EXISTING_DIRECT = "The direct conversation with this person already existed: here it is."
RETRIED_SEND = "A message with this `client_id` was already sent: here it is, unchanged."


@router.post(
    "/conversations",
    status_code=201,
    response_model=ConversationOut,
    responses=errors(404, 429) | {200: {"model": ConversationOut, "description": EXISTING_DIRECT}},
)
async def create_conversation(
    body: ConversationIn, user: CurrentUser, session: DbSession, runtime: RuntimeDep
):
    """Start a direct chat with a friend (the existing one is returned, with 200) or a group."""
    view, created = await conversations.create(
        session,
        clock=runtime.clock,
        bus=runtime.bus,
        creator=user,
        kind=body.kind,
        usernames=body.members,
        title=body.title,
        max_members=runtime.settings.group_max_members,
        limits=runtime.chat_sends.limits,
    )
    out = ConversationOut.of(view)
    if created:
        return out
    return JSONResponse(out.model_dump(mode="json"), status_code=200)


@router.get("/conversations", response_model=Page[ConversationOut])
async def list_conversations(
    user: CurrentUser, session: DbSession, limit: PageLimit, cursor: QueryCursor = None
):
    views, next_cursor = await conversations.list_for(
        session, user=user, cursor=cursor, limit=limit
    )
    return Page(items=[ConversationOut.of(v) for v in views], next_cursor=next_cursor)


@router.get("/conversations/{conversation_id}", response_model=ConversationOut)
async def get_conversation(conversation_id: PathId, user: CurrentUser, session: DbSession):
    return ConversationOut.of(
        await conversations.get_view(session, user=user, conversation_id=conversation_id)
    )


@router.patch("/conversations/{conversation_id}", response_model=ConversationOut)
async def update_conversation(
    conversation_id: PathId,
    body: ConversationUpdate,
    user: CurrentUser,
    session: DbSession,
    runtime: RuntimeDep,
):
    """Rename a group, or (owner) appoint and dismiss admins."""
    view = await groups.update(
        session,
        clock=runtime.clock,
        bus=runtime.bus,
        actor=user,
        conversation_id=conversation_id,
        title=body.title,
        roles=body.roles,
    )
    return ConversationOut.of(view)


@router.post(
    "/conversations/{conversation_id}/members",
    status_code=201,
    response_model=ConversationOut,
    responses=errors(409, 429),
)
async def add_member(
    conversation_id: PathId,
    body: MemberIn,
    user: CurrentUser,
    session: DbSession,
    runtime: RuntimeDep,
):
    view = await groups.add_member(
        session,
        clock=runtime.clock,
        bus=runtime.bus,
        actor=user,
        conversation_id=conversation_id,
        username=body.username,
        max_members=runtime.settings.group_max_members,
        limits=runtime.chat_sends.limits,
    )
    return ConversationOut.of(view)


@router.delete("/conversations/{conversation_id}/members/{username}", status_code=204)
async def remove_member(
    conversation_id: PathId,
    username: PathUsername,
    user: CurrentUser,
    session: DbSession,
    runtime: RuntimeDep,
):
    """Remove a member (owner/admins), or leave (your own username)."""
    await groups.remove_member(
        session,
        clock=runtime.clock,
        bus=runtime.bus,
        actor=user,
        conversation_id=conversation_id,
        username=username,
    )
    return Response(status_code=204)


@router.post(
    "/conversations/{conversation_id}/messages",
    status_code=201,
    response_model=MessageOut,
    responses=errors(429) | {200: {"model": MessageOut, "description": RETRIED_SEND}},
)
async def send_message(
    conversation_id: PathId, body: MessageIn, sender: CurrentSender, runtime: RuntimeDep
):
    """Send a message, with up to PLAZA_MEDIA_MAX_PER_ITEM pictures (`media_ids`, uploaded
    with POST /api/v1/media; the text may then be empty). Idempotent on `client_id`: a retry
    returns the first message (200)."""
    # The batch writes on its own session, and checks the token and reads the sender there;
    # this request holds no connection meanwhile (SQLite has just one).
    draft = Draft(
        sender.user_id,
        conversation_id,
        body.client_id,
        body.text,
        body.reply_to,
        media_ids=tuple(body.media_ids),
        token_hash=sender.token_hash,
        article_id=body.article_id,
    )
    message, created = await runtime.chat_sends.send(draft)
    # The use case built the answer (the same JSON the stream sends); written as it is, with
    # no second validation pass: this is the hottest route.
    return Response(
        orjson.dumps(message), status_code=201 if created else 200, media_type="application/json"
    )


@router.get("/conversations/{conversation_id}/messages", response_model=Page[MessageOut])
async def list_messages(
    conversation_id: PathId,
    user: CurrentUser,
    session: DbSession,
    limit: PageLimit,
    after_seq: QuerySeq = None,
    before_seq: QuerySeq = None,
    cursor: QueryCursor = None,
):
    """History in seq order. `after_seq` pages forward; otherwise the newest page below
    `before_seq` (default: the latest) pages backward. `next_cursor` continues either way."""
    position = decode_cursor(cursor, AfterOrBeforeSeq)
    if position is not None:
        after_seq, before_seq = position.after, position.before
    if after_seq is not None and before_seq is not None:
        raise Invalid("give after_seq or before_seq, not both", field="after_seq")
    items, next_seq = await messages.history(
        session,
        user=user,
        conversation_id=conversation_id,
        after_seq=after_seq,
        before_seq=before_seq,
        limit=limit,
    )
    next_cursor = None
    if next_seq is not None:
        key = "after" if after_seq is not None else "before"
        next_cursor = encode_cursor({key: next_seq})
    return Page(items=[MessageOut(**m) for m in items], next_cursor=next_cursor)


@router.get("/conversations/{conversation_id}/changes", response_model=Page[ChangeOut])
async def list_changes(
    conversation_id: PathId,
    user: CurrentUser,
    session: DbSession,
    limit: PageLimit,
    from_seq: QuerySeq = None,
    to_seq: QuerySeq = None,
    cursor: QueryCursor = None,
):
    """Group changes (joins, leaves, removals, renames) made while the conversation held
    `from_seq`..`to_seq` messages, oldest first: the system lines between a page of messages
    (a change carries the seq of the last message before it)."""
    items, next_rev = await messages.changes(
        session,
        user=user,
        conversation_id=conversation_id,
        from_seq=from_seq or 0,
        to_seq=to_seq,
        after_rev=position.after if (position := decode_cursor(cursor, AfterRev)) else None,
        limit=limit,
    )
    next_cursor = encode_cursor({"after": next_rev}) if next_rev is not None else None
    return Page(items=[ChangeOut(**item) for item in items], next_cursor=next_cursor)


@router.delete("/conversations/{conversation_id}/messages/{message_id}", status_code=204)
async def recall_message(
    conversation_id: PathId,
    message_id: PathId,
    user: CurrentUser,
    session: DbSession,
    runtime: RuntimeDep,
):
    """Recall your own message within the recall window (default 2 minutes)."""
    await messages.recall(
        session,
        clock=runtime.clock,
        bus=runtime.bus,
        user=user,
        conversation_id=conversation_id,
        message_id=message_id,
        window_seconds=runtime.settings.recall_window_seconds,
    )
    return Response(status_code=204)


@router.post("/conversations/{conversation_id}/read", response_model=ReadOut)
async def mark_read(
    conversation_id: PathId,
    user: CurrentUser,
    session: DbSession,
    runtime: RuntimeDep,
    body: ReadIn | None = None,
):
    """Mark messages read up to `seq` (default: all)."""
    seq = await messages.mark_read(
        session,
        bus=runtime.bus,
        user=user,
        conversation_id=conversation_id,
        seq=body.seq if body else None,
    )
    return ReadOut(conversation_id=conversation_id, last_read_seq=seq)
