"""Background tasks a component started and must end when the app stops."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable


async def cancel_and_wait(tasks: Iterable[asyncio.Task | asyncio.Future | None]) -> None:
    """Cancel every task, then wait for each to finish unwinding (its `finally` blocks, its
    connections given back), so that nothing of it runs once the caller has stopped."""
    pending = [task for task in tasks if task is not None]
    for task in pending:
        task.cancel()
    for task in pending:
        with contextlib.suppress(asyncio.CancelledError):
            await task
