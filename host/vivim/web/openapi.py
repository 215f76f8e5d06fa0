"""The OpenAPI 3 document of the web app's REST API, served at /api/openapi.json.

Parameters come from the same msgspec Structs that validate requests (`vivim.web.params`);
response shapes are described here, loosely (extra fields are allowed: areas add them).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .. import __version__
from ..providers import SITES
from .params import (
    ConversationPatch,
    ConversationsQuery,
    DeviceRename,
    ExportQuery,
    SearchQuery,
    SettingsPatch,
    StatsQuery,
    body_schema,
    query_parameters,
)

OPENAPI_VERSION = "3.0.3"


def _obj(properties: dict[str, Any] | None = None, required: list[str] | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "additionalProperties": True}
    if properties:
        schema["properties"] = properties
    if required:
        schema["required"] = required
    return schema


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


NULLABLE_STR = {"type": "string", "nullable": True}
NULLABLE_NUM = {"type": "number", "nullable": True}
ERRORS = {
    "400": _json(_ref("Error"), "Invalid parameters"),
    "401": _json(_ref("Error"), "Missing or wrong token"),
    "403": _json(_ref("Error"), "Foreign Host or Origin"),
}

SCHEMAS: dict[str, Any] = {
    "Error": _obj(
        {
            "error": _obj(
                {"code": {"type": "string"}, "message": {"type": "string"}, "details": _obj()},
                ["code", "message"],
            )
        },
        ["error"],
    ),
    "Conversation": _obj(
        {
            "id": {"type": "integer"},
            "provider": {"type": "string"},
            "external_id": {"type": "string"},
            "title": NULLABLE_STR,
            "url": NULLABLE_STR,
            "model": NULLABLE_STR,
            "source": {"type": "string"},
            "created_at": {"type": "number"},
            "updated_at": {"type": "number"},
            "message_count": {"type": "integer"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "pinned": {"type": "boolean"},
            "completeness": _obj(
                {
                    "status": {"type": "string", "enum": ["complete", "partial", "unknown"]},
                    "stored": {"type": "integer", "nullable": True},
                    "expected": {"type": "integer", "nullable": True},
                    "label": {
                        "type": "string",
                        "description": "complete, partial (n of m), partial (n of ?) or unknown",
                    },
                },
                ["status", "label"],
            ),
        },
        ["id", "provider", "external_id"],
    ),
    "Message": _obj(
        {
            "id": {"type": "integer"},
            "key": {"type": "string"},
            "parent_key": NULLABLE_STR,
            "role": {"type": "string"},
            "model": NULLABLE_STR,
            "markdown": {"type": "string"},
            "text": {"type": "string"},
            "status": {"type": "string"},
            "is_current": {"type": "boolean", "nullable": True},
            "position": {"type": "integer"},
            "created_at": {"type": "number"},
            "thread_parent": {
                "type": "string",
                "description": 'thread_node of this turn\'s parent; "" for the root',
            },
            "thread_node": {
                "type": "string",
                "description": "what this turn's children name as thread_parent",
            },
        },
        ["id", "key", "role", "markdown"],
    ),
    "ConversationPage": _obj(
        {
            "items": {"type": "array", "items": _ref("Conversation")},
            "total": {"type": "integer"},
            "offset": {"type": "integer"},
            "limit": {"type": "integer"},
        },
        ["items", "total"],
    ),
    "ConversationThread": _obj(
        {
            "conversation": _ref("Conversation"),
            "messages": {"type": "array", "items": _ref("Message")},
            "branches": {
                "type": "array",
                "items": _obj(
                    {
                        "parent": {"type": "string"},
                        "keys": {"type": "array", "items": {"type": "string"}},
                        "default": {"type": "string"},
                    }
                ),
            },
            "default_path": {"type": "array", "items": {"type": "string"}},
        },
        ["conversation", "messages", "branches", "default_path"],
    ),
    "SearchResults": _obj(
        {
            "query": {"type": "string"},
            "mode": {"type": "string"},
            "modes": {
                "type": "array",
                "items": {"type": "string"},
                "description": "what answered: fulltext, vector, first_pass, multilingual",
            },
            "complete": {
                "type": "boolean",
                "description": "false: words only, or chunks still wait for vectors",
            },
            "index": _obj(
                {
                    "chunks": {"type": "integer"},
                    "embedded": {"type": "integer"},
                    "pending": {"type": "integer"},
                    "model": {"type": "string"},
                    "rate": NULLABLE_NUM,
                    "eta_seconds": NULLABLE_NUM,
                    "complete": {"type": "boolean"},
                    "other_languages_pending": {
                        "type": "integer",
                        "description": "chunks not yet checked for another language",
                    },
                }
            ),
            "results": {
                "type": "array",
                "items": _obj(
                    {
                        "conversation": _ref("Conversation"),
                        "match": {"type": "string", "description": "strong or weak"},
                        "hits": {
                            "type": "array",
                            "items": _obj(
                                {
                                    "message_id": {"type": "integer"},
                                    "role": {"type": "string"},
                                    "kind": {
                                        "type": ["string", "null"],
                                        "description": "thinking, tool_use, tool_result, sources, ... or null",
                                    },
                                    "snippet": {
                                        "type": "string",
                                        "description": "hits are wrapped in U+0002 ... U+0003",
                                    },
                                    "strength": {"type": "string", "description": "strong or weak"},
                                    "key": {"type": "string"},
                                }
                            ),
                        },
                    }
                ),
            },
        },
        ["results"],
    ),
    "Stats": _obj(
        {
            "conversations": {"type": "integer"},
            "messages": {"type": "integer"},
            "chunks": {"type": "integer"},
            "embedded_chunks": {"type": "integer"},
            "embedding_backlog": {"type": "integer"},
            "by_provider": _obj(),
            "adapter_health": _obj(),
            "last_capture_at": NULLABLE_NUM,
            "completeness": _obj(
                {
                    "complete": {"type": "integer"},
                    "partial": {"type": "integer"},
                    "unknown": {"type": "integer"},
                }
            ),
            "raw_payloads": _obj(),
            "days": {"type": "integer"},
            "by_day": {
                "type": "array",
                "items": _obj(
                    {
                        "day": {"type": "string"},
                        "provider": {"type": "string"},
                        "messages": {"type": "integer"},
                    }
                ),
            },
            "by_model": {
                "type": "array",
                "items": _obj(
                    {
                        "model": {"type": "string"},
                        "provider": {"type": "string"},
                        "messages": {"type": "integer"},
                    }
                ),
            },
        },
        ["conversations", "messages", "by_day", "by_model"],
    ),
    "Sync": _obj({"running": {"type": "boolean"}}),
    "Devices": _obj(
        {
            "devices": {"type": "array", "items": _obj()},
            "peers": {"type": "array", "items": _obj()},
            "sync": _ref("Sync"),
        },
        ["devices", "peers"],
    ),
    "Settings": _obj({"settings": _obj(), "schema": {"type": "array", "items": _obj()}}, ["settings"]),
    "Status": _obj(
        {
            "version": {"type": "string"},
            "services": {"type": "array", "items": {"type": "string"}},
            "singleton": {"type": "boolean"},
            "sync": _ref("Sync"),
            "embedding": {
                **_obj(
                    {
                        "chunks": {"type": "integer"},
                        "embedded": {"type": "integer"},
                        "model_loaded": {"type": "boolean"},
                    }
                ),
                "nullable": True,
            },
        },
        ["version"],
    ),
    "ImportResult": _obj(
        {
            "filename": {"type": "string"},
            "bytes": {"type": "integer"},
            "seconds": {"type": "number"},
            "ok": {"type": "boolean"},
            "summary": {},
            "lines": {"type": "array", "items": {"type": "string"}},
        }
    ),
}


ID_PARAM = [
    {
        "name": "id",
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 1, "maximum": 2**62},
    }
]


def _get(
    summary: str,
    params: type | None,
    response: dict[str, Any],
    *,
    extra: dict[str, Any] | None = None,
    path_params: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "responses": {"200": response, **ERRORS}}
    parameters = (path_params or []) + (query_parameters(params) if params else [])
    if parameters:
        op["parameters"] = parameters
    if extra:
        op.update(extra)
    return op


def build() -> dict[str, Any]:
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "VIVIM local web API",
            "version": __version__,
            "description": (
                "Served on 127.0.0.1 only. Every request carries the token from the data directory, "
                "as the `vivim_token_<id>` cookie (the id is derived from the token, so two data directories' web apps "
                "never share a cookie) or `Authorization: Bearer <token>`; requests whose Host or "
                "Origin is not this server's own are refused with 403."
            ),
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}, {"cookie": []}],
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "cookie": {"type": "apiKey", "in": "cookie", "name": "vivim_token_<id>"},
            },
            "schemas": SCHEMAS,
        },
        "paths": {
            "/api/status": {
                "get": _get("Version, running services and sync state", None, _json(_ref("Status")))
            },
            "/api/conversations": {
                "get": _get(
                    "Conversations, newest first", ConversationsQuery, _json(_ref("ConversationPage"))
                )
            },
            "/api/conversations/{id}": {
                "get": _get(
                    "One conversation with every message, its branch points and the default path",
                    None,
                    _json(_ref("ConversationThread")),
                    path_params=[
                        {
                            "name": "id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "integer", "minimum": 1, "maximum": 2**62},
                        }
                    ],
                    extra={
                        "responses": {
                            "200": _json(_ref("ConversationThread")),
                            "404": _json(_ref("Error"), "No such conversation"),
                            **ERRORS,
                        }
                    },
                ),
                "patch": {
                    "summary": "Rename, pin or tag a conversation (synced to your other devices)",
                    "parameters": ID_PARAM,
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": body_schema(ConversationPatch)}},
                    },
                    "responses": {
                        "200": _json(_ref("Conversation")),
                        "404": _json(_ref("Error"), "No such conversation"),
                        **ERRORS,
                    },
                },
                "delete": {
                    "summary": "Delete a conversation's messages everywhere (a tombstone stays, so the deletion syncs)",
                    "parameters": ID_PARAM,
                    "responses": {
                        "200": _json(_obj({"id": {"type": "integer"}, "deleted": {"type": "boolean"}})),
                        "404": _json(_ref("Error"), "No such conversation"),
                        **ERRORS,
                    },
                },
            },
            "/api/search": {
                "get": _get(
                    "Search everything captured; results grouped by conversation",
                    SearchQuery,
                    _json(_ref("SearchResults")),
                )
            },
            "/api/stats": {
                "get": _get(
                    "Counts per provider, per day and per model; capture health; embedding backlog",
                    StatsQuery,
                    _json(_ref("Stats")),
                )
            },
            "/api/devices": {
                "get": _get("Paired devices, known peers and sync state", None, _json(_ref("Devices")))
            },
            "/api/devices/{peer_id}": {
                "patch": {
                    "summary": 'Name a device (peer id, a unique prefix of it, or its name); "" restores its own name',
                    "parameters": [
                        {
                            "name": "peer_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string", "pattern": "^[1-9A-HJ-NP-Za-km-z]{6,80}$"},
                        }
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": body_schema(DeviceRename)}},
                    },
                    "responses": {
                        "200": _json(
                            _obj(
                                {"peer_id": {"type": "string"}, "name": {"type": "string", "nullable": True}},
                                ["peer_id", "name"],
                            )
                        ),
                        "404": _json(_ref("Error"), "No such device"),
                        **ERRORS,
                    },
                }
            },
            "/api/sync": {"get": _get("Sync state", None, _json(_ref("Sync")))},
            "/api/settings": {
                "get": _get("All settings with their current values", None, _json(_ref("Settings"))),
                "patch": {
                    "summary": "Change some settings; answers all settings",
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": body_schema(SettingsPatch)}},
                    },
                    "responses": {"200": _json(_ref("Settings")), **ERRORS},
                },
            },
            "/api/import": {
                "post": {
                    "summary": "Import a provider's export file (ChatGPT, Claude, Gemini, AI Studio); progress on /api/events",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "multipart/form-data": {
                                "schema": {
                                    "type": "object",
                                    "required": ["file"],
                                    "properties": {
                                        "file": {"type": "string", "format": "binary"},
                                        "provider": {"type": "string", "enum": [p.key for p in SITES]},
                                    },
                                }
                            }
                        },
                    },
                    "responses": {
                        "200": _json(_ref("ImportResult")),
                        "422": _json(_ref("Error"), "The file is not an export VIVIM understands"),
                        **ERRORS,
                    },
                }
            },
            "/api/export": {
                "get": _get(
                    "Download everything (or one provider's, one conversation, or since a time) as the JSON archive "
                    "(re-importable), JSON Lines, or a zipped Markdown folder",
                    ExportQuery,
                    {
                        "description": "The archive, as an attachment",
                        "content": {
                            "application/json": {"schema": _obj()},
                            "application/x-ndjson": {"schema": {"type": "string"}},
                            "application/zip": {"schema": {"type": "string", "format": "binary"}},
                        },
                    },
                )
            },
            "/api/events": {
                "get": {
                    "summary": "WebSocket of live events: {type: hello (services, embedding_backlog)|capture|store.changed|embedding.backlog|"
                    "settings|import.progress|import.done|sync..., ...}",
                    "responses": {"101": {"description": "Switching to the WebSocket protocol"}, **ERRORS},
                }
            },
            "/api/identity": {
                "get": {
                    "summary": "Prove this is the vault's web app: HMAC-SHA256(token, 'vivim-web-identity\\n' + port + "
                    "'\\n' + nonce) as hex; needs no token and reveals none",
                    "security": [],
                    "parameters": [
                        {
                            "name": "nonce",
                            "in": "query",
                            "required": True,
                            "schema": {"type": "string", "pattern": "^[0-9a-f]{32,128}$"},
                        }
                    ],
                    "responses": {"200": _json(_obj()), **ERRORS},
                }
            },
            "/api/openapi.json": {"get": {"summary": "This document", "responses": {"200": _json(_obj())}}},
        },
    }


async def serve(request: web.Request) -> web.Response:
    return web.json_response(build())
