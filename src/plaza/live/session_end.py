"""How the end of a log-in session reaches every node's open sockets.

When a session ends (sign-out, revocation from another device, a password change, a
suspension) the accounts service commits, then publishes one message on the global
`sessions` topic. Every node's hub subscribes to that topic at start-up and closes the local
sockets of those sessions with `SESSION_ENDED_CLOSE`. The bus may lose a message while Redis
is away; the hub then re-checks every open socket's session against the database when the
bus reconnects, and expiry is checked by the hub's own timer, so no socket outlives its
session for long whatever happens to the bus.
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson

TOPIC = "sessions"
SESSION_ENDED_CLOSE = 4401
"""Close code of a socket whose session is over (or never was): sign in again."""


@dataclass(frozen=True)
class SessionEnd:
    user_id: int
    # None: every session of the person.
    session_ids: frozenset[int] | None
    reason: str

    def covers(self, session_id: int) -> bool:
        return self.session_ids is None or session_id in self.session_ids

    def pack(self) -> bytes:
        ids = None if self.session_ids is None else sorted(self.session_ids)
        return orjson.dumps({"user_id": self.user_id, "session_ids": ids, "reason": self.reason})

    @classmethod
    def unpack(cls, payload: bytes) -> SessionEnd:
        data = orjson.loads(payload)
        ids = data.get("session_ids")
        return cls(
            user_id=int(data["user_id"]),
            session_ids=None if ids is None else frozenset(int(i) for i in ids),
            reason=str(data.get("reason", "ended")),
        )
