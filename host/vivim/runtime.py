"""What a running VIVIM process shares between its parts: paths, the store, and live events.

Events are in-process only. Another process's captures reach the singletons (embedding
worker, sync node, web app) because they also watch the database, not only this bus.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from .config import Paths
from .store import Store

log = logging.getLogger(__name__)


class Events:
    """Fan-out of small dicts to any number of subscribers; slow subscribers drop, never block."""

    def __init__(self) -> None:
        self._queues: set[asyncio.Queue[dict[str, Any]]] = set()

    def subscribe(self, maxsize: int = 256) -> asyncio.Queue[dict[str, Any]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize)
        self._queues.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[dict[str, Any]]) -> None:
        self._queues.discard(queue)

    def publish(self, kind: str, **data: Any) -> None:
        event = {"type": kind, **data}
        for queue in list(self._queues):
            try:
                queue.put_nowait(event)
            except asyncio.QueueFull:
                log.warning("event subscriber is falling behind; dropped %s", kind)


@dataclass
class Runtime:
    paths: Paths
    store: Store
    events: Events = field(default_factory=Events)
    is_singleton: bool = False
    services: dict[str, Any] = field(default_factory=dict)  # name -> running service object
    service_errors: dict[str, str] = field(default_factory=dict)  # name -> why it did not start

    @classmethod
    async def open(cls, paths: Paths | None = None) -> Runtime:
        paths = paths or Paths.default()
        return cls(paths=paths, store=await Store.open(paths.db))

    async def close(self) -> None:
        await self.store.close()
