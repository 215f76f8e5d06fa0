"""Message handlers, one module per area, registered by message type.

A handler is `async def (runtime, payload) -> result`; the payload arrives already validated
against its msgspec Struct. Modules in this package are imported by `load_handlers()` and
must keep heavy imports inside their functions.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import msgspec

Handler = Callable[[Any, Any], Awaitable[Any]]


@dataclass(frozen=True)
class Route:
    type: str
    payload: type[msgspec.Struct]
    handler: Handler


ROUTES: dict[str, Route] = {}


def handles(message_type: str, payload: type[msgspec.Struct]) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        ROUTES[message_type] = Route(message_type, payload, handler)
        return handler

    return register


def load_handlers() -> dict[str, Route]:
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
    return ROUTES
