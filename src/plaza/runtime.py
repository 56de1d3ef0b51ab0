"""What one running server holds: settings, database, bus, live hub, clock, limiter.

`create_app` builds one `Runtime` and stores it on `app.state.runtime`; request handlers reach
it through the dependencies in `plaza.deps`. Tests build apps with their own settings and a
fake clock, so nothing here is a module-level global.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from plaza.accounts.passwords import Passwords
from plaza.bus import Bus
from plaza.clock import Clock
from plaza.config import Settings
from plaza.live.hub import Hub
from plaza.ratelimit import RateLimiter

if TYPE_CHECKING:
    from plaza.chat.service.batcher import SendBatcher


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    bus: Bus
    hub: Hub
    clock: Clock
    passwords: Passwords
    limiter: RateLimiter
    # Chat's group commit; one per process so that concurrent sends can share a transaction.
    chat_sends: SendBatcher
