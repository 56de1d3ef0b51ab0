"""The WebSocket stream `GET /api/v1/stream`, shared by every surface.

Protocol (JSON text frames):
- server -> `{"type": "ready", "user": {...}, "conversations": {"<id>": rev, ...}, "moments":
  {"<my id>": rev}}` at once (`moments` is my own topic of `moment.liked` and
  `moment.commented` events);
- client -> `{"type": "resume", "conversations": {"<id>": last_rev_seen, ...}, "moments":
  {"<my id>": last_rev_seen}}` (optional; if none arrives within a moment the stream goes
  live from the current revisions);
- server -> events `{"type": ..., ...}`; those of a conversation carry `conversation_id`, `seq`
  and `rev`, and arrive in `rev` order without gaps or duplicates;
- client -> `{"type": "ping"}`, server -> `{"type": "pong"}` (WebSocket pings also run);
- client -> `{"type": "send", "conversation_id", "client_id", "text", "reply_to"?, "ref"?}`,
  server -> `{"type": "sent", "client_id", "message": {...}}` once committed (the same rules
  and idempotency as `POST /conversations/{id}/messages`, without an HTTP request per
  message), or `{"type": "error", "client_id", "code", "message"}`;
- any frame the server cannot handle (binary, not JSON, not an object, unknown type, a
  command that fails) is answered with `{"type": "error", "code", "message"}` (echoing `ref`
  and `client_id` when present) and the socket stays open; a command over a rate limit is
  answered with `{"type": "error", "code": "rate_limited", "retry_after": seconds, ...}`;
  the server then reads no further frames of that socket for up to a second (a slow-down),
  and refuses its commands the same way until `retry_after` has passed.
- server -> `{"type": "hold", "reason": "database unavailable"}` when the database cannot be
  reached while this socket needs it (a replay): keep your state and wait, do not reload; the
  socket stays open and its positions hold. `{"type": "resumed"}` follows once it answers
  again and the missed events have been sent. Meanwhile a `send` is answered
  `{"type": "error", "code": "unavailable", ...}`: send it again later with the same client_id.
Close codes: 4401 not signed in, or the session ended (signed out, revoked from another
device, password changed, account suspended or closed, expired; the close reason says which):
sign in again; 4403 the page's origin may not use the session cookie; 4008 too slow
(reconnect and resume); 1012 server restarting (uvicorn closes sockets on SIGTERM; reconnect
and resume); 1013 try again later: the database cannot be reached to open the stream
(preceded by `{"type": "error", "code": "unavailable"}`; reconnect after a pause and resume).

Authentication: the `Authorization: Bearer` header, a `token` query parameter, or the web
client's session cookie. A cookie is sent by the browser whatever page opens the socket, so a
cookie-authenticated upgrade must come from the server's own origin (or one listed in
`PLAZA_ALLOWED_ORIGINS`): a WebSocket is not covered by CORS.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from typing import Any

import orjson
from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from plaza.accounts.service.sessions import StreamSignIn, stream_sign_in
from plaza.deps import bearer_token
from plaza.errors import PlazaError, RateLimited, Unavailable, database_unavailable
from plaza.live.connection import Connection, State
from plaza.live.direct import EXTENSION as DIRECT
from plaza.live.frames import Frame
from plaza.live.hub import Command, Hub
from plaza.live.session_end import SESSION_ENDED_CLOSE
from plaza.runtime import Runtime
from plaza.web.csrf import SESSION_COOKIE

router = APIRouter(tags=["live"])
log = logging.getLogger(__name__)
RESUME_WAIT_SECONDS = 2.0
CLOSE_WAIT_SECONDS = 1.0
FORBIDDEN_ORIGIN_CLOSE = 4403
TRY_AGAIN_LATER_CLOSE = 1013
# The longest a rate-limited socket's frames go unread before the reader reads on.
RATE_LIMIT_PAUSE_SECONDS = 1.0


def _token(websocket: WebSocket) -> tuple[str | None, bool]:
    """The session token and whether it came from the cookie. Header as for the API;
    browsers cannot set headers on a WebSocket, hence the query parameter and the cookie."""
    token = bearer_token(websocket) or websocket.query_params.get("token")
    if token:
        return token, False
    cookie = websocket.cookies.get(SESSION_COOKIE)
    return cookie, cookie is not None


def _origin_allowed(websocket: WebSocket, extra: str) -> bool:
    """The page that opens a cookie-authenticated socket must be one of ours."""
    origin = websocket.headers.get("origin")
    if not origin:
        return False
    host = websocket.headers.get("host", "")
    allowed = {f"http://{host}", f"https://{host}"}
    allowed.update(o.strip().rstrip("/") for o in extra.split(",") if o.strip())
    return origin.rstrip("/") in allowed


async def _authenticate(runtime: Runtime, token: str) -> StreamSignIn | None:
    """The session of `token`, or None; Unavailable when the database cannot be reached."""
    try:
        return await stream_sign_in(runtime.engine, clock=runtime.clock, token=token)
    except Exception as exc:
        if not database_unavailable(exc):
            raise
        raise Unavailable() from exc


async def _refuse(websocket: WebSocket, code: int, error: str, message: str) -> None:
    await websocket.accept()
    await websocket.send_text(_event(type="error", code=error, message=message).text)
    await websocket.close(code, reason=message[:120])


def _event(**fields) -> Frame:
    return Frame(orjson.dumps(fields))


async def _read_frames(websocket: WebSocket, conn: Connection, hub: Hub) -> None:
    """Handle client frames one at a time, so commands (sends) keep the client's order.

    A frame that cannot be handled (binary, not JSON, not an object, unknown type, a handler
    that fails) is answered with an error event; the socket stays open.

    A command refused by a rate limit slows the socket down: the reader stops reading for up
    to `RATE_LIMIT_PAUSE_SECONDS` (TCP back-pressure), and until the limit's window ends,
    further commands are refused here, without reaching the service. It does not stop reading
    for the whole window: uvicorn stops reading the socket while the app does not receive, and
    the client's pings and pongs would wait behind its flood until a keepalive timeout closed
    the socket.
    """
    loop = asyncio.get_running_loop()
    limited_until = 0.0
    while conn.state is not State.CLOSED:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(message.get("code", 1000), message.get("reason"))
        raw = message.get("text")
        if raw is None:
            conn.send_now(_event(type="error", code="bad_frame", message="send JSON text frames"))
            continue
        pause = 0.0
        try:
            frame = orjson.loads(raw)
            kind = frame.get("type") if isinstance(frame, dict) else None
            if kind == "resume":
                conn.resume(hub.topic_positions(frame))
            elif kind == "ping":
                conn.send_now(_event(type="pong"))
            elif isinstance(kind, str) and (handler := hub.command(kind)) is not None:
                wait = limited_until - loop.time()
                if wait > 0:
                    refusal = RateLimited(
                        "too many commands; slow down", retry_after=max(1, math.ceil(wait))
                    )
                    conn.send_now(_reply(_error(refusal), frame))
                else:
                    retry_after = await _run_command(conn, handler, frame)
                    if retry_after:
                        limited_until = loop.time() + retry_after
                        pause = min(float(retry_after), RATE_LIMIT_PAUSE_SECONDS)
            else:
                raise ValueError("frames are {type: resume|ping|send}")
        except (ValueError, orjson.JSONDecodeError) as exc:
            conn.send_now(_event(type="error", code="bad_frame", message=str(exc)))
        if pause > 0:
            await asyncio.sleep(pause)


def _error(exc: PlazaError) -> dict[str, Any]:
    reply: dict[str, Any] = {"type": "error", "code": exc.code, "message": exc.message}
    if exc.field:
        reply["field"] = exc.field
    if isinstance(exc, RateLimited):
        reply["retry_after"] = exc.retry_after
    return reply


def _reply(reply: dict, frame: dict) -> Frame:
    """The reply echoes the frame's `ref` and `client_id` so the client can match them to
    what it sent."""
    echo = {k: frame[k] for k in ("ref", "client_id") if k in frame}
    return Frame(orjson.dumps({**reply, **echo}))


async def _run_command(conn: Connection, handler: Command, frame: dict) -> int:
    """Reply with the handler's event, or an error event. Returns the seconds to wait when a
    rate limit refused it, else 0."""
    retry_after = 0
    try:
        reply = await handler(conn.user_id, frame)
    except PlazaError as exc:
        reply = _error(exc)
        if isinstance(exc, RateLimited):
            retry_after = exc.retry_after
    except Exception:
        log.exception("stream command %r failed", frame.get("type"))
        reply = {"type": "error", "code": "internal", "message": "that failed; try again"}
    conn.send_now(_reply(reply, frame))
    return retry_after


async def _go_live_after_wait(conn: Connection) -> None:
    await asyncio.sleep(RESUME_WAIT_SECONDS)
    conn.resume({})


@router.websocket("/api/v1/stream")
async def stream(websocket: WebSocket) -> None:
    """Live events for the signed-in person; see the module docstring for the protocol."""
    runtime: Runtime = websocket.app.state.runtime
    token, from_cookie = _token(websocket)
    if from_cookie and not _origin_allowed(websocket, runtime.settings.allowed_origins):
        await _refuse(websocket, FORBIDDEN_ORIGIN_CLOSE, "forbidden_origin", "origin not allowed")
        return
    try:
        signed_in = await _authenticate(runtime, token) if token else None
    except Unavailable as exc:
        await _refuse(websocket, TRY_AGAIN_LATER_CLOSE, exc.code, exc.message)
        return
    if signed_in is None:
        await _refuse(websocket, SESSION_ENDED_CLOSE, "unauthorized", "sign in first")
        return
    await websocket.accept()
    hub = runtime.hub
    conn = Connection(
        user_id=signed_in.user_id,
        session_id=signed_in.session_id,
        expires_at=signed_in.expires_at,
        send=websocket.send,
        buffer_limit=runtime.settings.stream_buffer_events,
        replayer=hub.replay,
        direct=websocket.scope.get("extensions", {}).get(DIRECT),
        flusher=hub.flusher,
    )
    try:
        positions = await hub.attach(conn)
    except Unavailable as exc:  # accepted already: say why, then close
        await websocket.send_text(_event(type="error", code=exc.code, message=exc.message).text)
        await websocket.close(TRY_AGAIN_LATER_CLOSE, reason=exc.message)
        return
    conn.send_now(
        _event(
            type="ready",
            user={"id": signed_in.user_id, "username": signed_in.username},
            **hub.client_positions(positions),
        )
    )
    tasks = [
        asyncio.create_task(conn.run_writer()),
        asyncio.create_task(_read_frames(websocket, conn, hub)),
        asyncio.create_task(_go_live_after_wait(conn)),
    ]
    try:
        await asyncio.wait(tasks[:2], return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, Exception):
                await task
        code = conn.close_code
        await hub.detach(conn)
        if code is not None:
            # A client that stopped reading never lets the close frame out: give up quickly,
            # uvicorn then closes the transport.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(
                    websocket.close(code, reason=conn.close_reason), CLOSE_WAIT_SECONDS
                )
