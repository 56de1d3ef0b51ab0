"""The event bus: how a committed change wakes every node that has someone to tell.

`Bus` is the interface; `MemoryBus` serves one process, `RedisBus` several processes sharing
one database. The database stays the truth: a lost bus message is repaired by replay from it.
"""

from plaza.bus.base import Bus, Handler, create_bus

__all__ = ["Bus", "Handler", "create_bus"]
