"""Protocol message handlers: the one table from message type to payload Struct and handler.

A handler is `async def (runtime, payload) -> result`; the payload arrives already validated
against its msgspec Struct (all of them in vivim/protocol.py, each documented in
docs/protocol.md). One module per area; this table is the only place a message is wired, so
adding a message is a Struct, a handler and a row here. Handler modules keep heavy imports
inside their functions: the host imports this table on its start-up path.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import msgspec

from .. import __version__
from ..protocol import (
    PROTOCOL_VERSION,
    AdapterHealth,
    CaptureNetwork,
    CaptureUpsert,
    ContextBuild,
    ConversationDelete,
    ConversationGet,
    ConversationList,
    ConversationPin,
    ConversationRename,
    ConversationTag,
    EmbedStatus,
    Hello,
    Search,
    SettingsGet,
    SettingsSet,
    Stats,
    SyncStatus,
    WebUrl,
)
from ..runtime import Runtime
from . import capture, library, network, retrieval, settings, sync, web

Handler = Callable[[Runtime, Any], Awaitable[Any]]


@dataclass(frozen=True)
class Route:
    message: str
    payload: type[msgspec.Struct]
    handler: Handler


async def hello(runtime: Runtime, payload: Hello) -> dict[str, Any]:
    return {
        "protocol": PROTOCOL_VERSION,
        "host_version": __version__,
        "capabilities": sorted(ROUTES),
        "singleton": runtime.is_singleton,
        "services": sorted(runtime.services),
    }


ROUTES: dict[str, Route] = {
    route.message: route
    for route in (
        Route("hello", Hello, hello),
        Route("capture.upsert", CaptureUpsert, capture.capture_upsert),
        Route("capture.network", CaptureNetwork, network.capture_network),
        Route("adapter.health", AdapterHealth, capture.adapter_health),
        Route("conversation.list", ConversationList, library.conversation_list),
        Route("conversation.get", ConversationGet, library.conversation_get),
        Route("conversation.rename", ConversationRename, library.conversation_rename),
        Route("conversation.tag", ConversationTag, library.conversation_tag),
        Route("conversation.pin", ConversationPin, library.conversation_pin),
        Route("conversation.delete", ConversationDelete, library.conversation_delete),
        Route("stats", Stats, library.get_stats),
        Route("settings.get", SettingsGet, settings.settings_get),
        Route("settings.set", SettingsSet, settings.settings_set),
        Route("search", Search, retrieval.search),
        Route("context.build", ContextBuild, retrieval.context_build),
        Route("embed.status", EmbedStatus, retrieval.embed_status),
        Route("sync.status", SyncStatus, sync.sync_status),
        Route("web.url", WebUrl, web.web_url),
    )
}
