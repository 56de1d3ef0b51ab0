"""Password hashing with argon2id, off the event loop.

Hashing deliberately costs tens of milliseconds of CPU; running it in a worker thread keeps
every other request (and every live socket) moving meanwhile.
"""

from __future__ import annotations

import anyio.to_thread
from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError


class Passwords:
    def __init__(self, *, time_cost: int, memory_kib: int) -> None:
        self._hasher = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_kib, parallelism=1, type=Type.ID
        )
        # Verified against when the username is unknown, so both failures take as long.
        self._decoy = self._hasher.hash("plaza-decoy-password")

    async def hash(self, password: str) -> str:
        return await anyio.to_thread.run_sync(self._hasher.hash, password)

    def outdated(self, stored_hash: str) -> bool:
        """Whether `stored_hash` was made with other parameters than this server's (an operator
        raised them): log-in then hashes the password again, while it has it."""
        return self._hasher.check_needs_rehash(stored_hash)

    async def verify(self, stored_hash: str | None, password: str) -> bool:
        def check() -> bool:
            try:
                return self._hasher.verify(stored_hash or self._decoy, password)
            except (VerificationError, InvalidHashError):
                return False

        ok = await anyio.to_thread.run_sync(check)
        return ok and stored_hash is not None
