"""Typed query and body parameters of the REST API.

Each endpoint's parameters are one msgspec Struct: it validates the request (bounds keep
values SQLite can bind) and, through `msgspec.json.schema`, becomes that endpoint's part of
the OpenAPI document, so the document and the validation cannot drift apart.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from ..errors import InvalidPayload
from ..protocol import Provider, Role

MAX_ID = 2**62
MAX_TIME = 1e11  # unix seconds; year 5138
Id = Annotated[int, Meta(ge=1, le=MAX_ID)]
Time = Annotated[float, Meta(ge=0, le=MAX_TIME)]


class ConversationsQuery(msgspec.Struct, forbid_unknown_fields=False):
    provider: Provider | None = None
    q: Annotated[str, Meta(max_length=500, description="title filter")] | None = None
    limit: Annotated[int, Meta(ge=1, le=500)] = 50
    offset: Annotated[int, Meta(ge=0, le=MAX_ID)] = 0
    completeness: Literal["complete", "partial", "unknown"] | None = None


class SearchQuery(msgspec.Struct, forbid_unknown_fields=False):
    q: Annotated[str, Meta(min_length=1, max_length=2000, description="the words to find")]
    provider: Provider | None = None
    role: Role | None = None
    conversation_id: Id | None = None
    since: Annotated[Time, Meta(description="unix seconds, inclusive")] | None = None
    until: Annotated[Time, Meta(description="unix seconds, exclusive")] | None = None
    limit: Annotated[int, Meta(ge=1, le=100)] = 20
    mode: Literal["hybrid", "fulltext", "vector"] = "hybrid"
    wait_for_model: Annotated[
        float, Meta(ge=0, le=10, description="seconds to wait for the embedding model")
    ] = 0.0


class StatsQuery(msgspec.Struct, forbid_unknown_fields=False):
    days: Annotated[int, Meta(ge=1, le=3660, description="how far back the per-day chart goes")] = 90
    tz: Annotated[
        int, Meta(ge=-1440, le=1440, description="minutes east of UTC, to count days in the user's time zone")
    ] = 0


class ExportQuery(msgspec.Struct, forbid_unknown_fields=False):
    format: Literal["json", "jsonl", "markdown"] = "json"
    provider: Provider | None = None
    since: (
        Annotated[Time, Meta(description="conversations with a message at or after this unix time")] | None
    ) = None
    conversation: (
        Annotated[str, Meta(max_length=200, description="one conversation: provider id or VIVIM id")] | None
    ) = None


class SettingsPatch(msgspec.Struct, forbid_unknown_fields=False):
    values: dict[str, Any]


class DeviceRename(msgspec.Struct, forbid_unknown_fields=False):
    name: str  # "" restores the device's own name


class ConversationPatch(msgspec.Struct, forbid_unknown_fields=False):
    """Edits to one conversation; a field left out is left alone ("" as title clears it)."""

    title: Annotated[str, Meta(max_length=500)] | None = None
    pinned: bool | None = None
    add_tags: list[Annotated[str, Meta(max_length=100)]] = []
    remove_tags: list[Annotated[str, Meta(max_length=100)]] = []


def parse_query(query: Any, kind: type[msgspec.Struct]) -> Any:
    """Query strings carry text: convert leniently ("20" -> 20), then validate strictly."""
    data = {k: v for k, v in query.items() if v != ""}
    try:
        return msgspec.convert(data, kind, strict=False)
    except msgspec.ValidationError as exc:
        raise InvalidPayload(f"invalid parameters: {exc}") from None


def parse_body(raw: bytes, kind: type[msgspec.Struct]) -> Any:
    try:
        return msgspec.json.decode(raw, type=kind)
    except msgspec.ValidationError as exc:
        raise InvalidPayload(f"invalid body: {exc}") from None
    except msgspec.DecodeError as exc:
        raise InvalidPayload(f"the body is not JSON: {exc}") from None


def query_parameters(kind: type[msgspec.Struct]) -> list[dict[str, Any]]:
    """OpenAPI `parameters` (in: query) for a Struct's fields."""
    schema = msgspec.json.schema(kind)
    defs = schema.get("$defs", {})
    body = defs[schema["$ref"].rsplit("/", 1)[-1]] if "$ref" in schema else schema
    required = set(body.get("required", []))
    out = []
    for name, prop in body["properties"].items():
        prop = _optional_as_absent(_inline(prop, defs))
        description = prop.pop("description", None)
        param: dict[str, Any] = {"name": name, "in": "query", "required": name in required, "schema": prop}
        if description:
            param["description"] = description
        out.append(param)
    return out


def body_schema(kind: type[msgspec.Struct]) -> dict[str, Any]:
    schema = msgspec.json.schema(kind)
    defs = schema.get("$defs", {})
    return _inline(defs[schema["$ref"].rsplit("/", 1)[-1]] if "$ref" in schema else schema, defs)


def _optional_as_absent(prop: dict[str, Any]) -> dict[str, Any]:
    """OpenAPI 3.0 has no null type: an optional query parameter is simply left out."""
    branches = [b for b in prop.get("anyOf", []) if b.get("type") != "null"]
    if "anyOf" in prop and len(branches) == 1:
        merged = {**branches[0], **{k: v for k, v in prop.items() if k not in ("anyOf", "default")}}
        prop = merged
    if prop.get("default", 0) is None:
        prop.pop("default")
    if "enum" in prop and "type" not in prop:
        prop["type"] = "string"
    return prop


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        if "$ref" in node:
            return _inline(dict(defs[node["$ref"].rsplit("/", 1)[-1]]), defs)
        return {k: _inline(v, defs) for k, v in node.items() if k != "title"}
    if isinstance(node, list):
        return [_inline(v, defs) for v in node]
    return node
