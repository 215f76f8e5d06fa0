"""The extension <-> host protocol: envelope, version, error codes, and typed payloads.

This module and docs/protocol.md are kept one-to-one: a new message is a new row in both.
Payloads are msgspec Structs, so validation is declarative, fast, and cheap to import on the
host's start-up path; handlers receive typed objects and never see raw dicts.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from .errors import InvalidPayload, ProtocolError, UnsupportedVersion, VivimError

PROTOCOL_VERSION = 1
SUPPORTED_VERSIONS = frozenset({1})

# code -> when it is used. Stable: clients switch on these strings.
ERROR_CODES: dict[str, str] = {
    "bad_request": "The envelope is not an object with v, id, type and payload.",
    "invalid_json": "The frame is not UTF-8 JSON.",
    "frame_too_large": "The frame is larger than the host accepts (8 MB).",
    "unsupported_version": "The envelope's v is not a protocol version this host speaks.",
    "unknown_type": "No message of that type exists.",
    "invalid_payload": "The payload does not match the message's schema.",
    "not_found": "The conversation or item asked for does not exist.",
    "store_busy": "The database stayed locked; retry shortly (nothing was written).",
    "store_error": "The database refused the operation.",
    "unavailable": "The feature is not ready yet (e.g. the embedding model is loading).",
    "import_format": "An import file is not in a format VIVIM recognises.",
    "crypto_error": "A key could not be read or used (wrong passphrase, damaged key file).",
    "sync_error": "Sync or pairing failed (expired code, unreachable peer, revoked device).",
    "unauthorized": "The caller is not allowed (unpaired device, wrong token).",
    "config_error": "VIVIM's set-up is wrong (e.g. another process already runs the services).",
    "internal": "A bug in the host; the log in the data directory has the details.",
}

Provider = Literal["chatgpt", "claude", "gemini"]
Role = Literal["user", "assistant", "tool", "system"]
TurnStatus = Literal["complete", "streaming"]
Source = Literal["capture", "import", "sync"]


class Envelope(msgspec.Struct, forbid_unknown_fields=False):
    v: int
    type: str
    id: str | int | None = None
    payload: dict[str, Any] = {}


# ---- payloads -----------------------------------------------------------------------------

class Hello(msgspec.Struct, forbid_unknown_fields=False):
    client: str = "unknown"
    client_version: str | None = None


class ConversationIn(msgspec.Struct, forbid_unknown_fields=False):
    provider: Provider
    external_id: str
    title: str | None = None
    url: str | None = None
    model: str | None = None
    created_at: float | None = None  # unix seconds, when the provider says


class TurnIn(msgspec.Struct, forbid_unknown_fields=False):
    """One turn as the page (or an export file) shows it.

    `key` is stable within the conversation: the provider's message id where it has one,
    else a key the site adapter derives. `parent_key` links branches.
    """

    key: str
    role: Role
    position: int = 0
    parent_key: str | None = None
    message_id: str | None = None
    model: str | None = None
    html: str | None = None
    text: str = ""
    markdown: str | None = None  # importers already have Markdown; capture sends html
    status: TurnStatus = "complete"
    created_at: float | None = None
    kind: str | None = None  # e.g. "thinking", "tool_use" for imported structured content
    current: bool | None = None  # on the provider's currently selected branch


class CaptureUpsert(msgspec.Struct, forbid_unknown_fields=False):
    conversation: ConversationIn
    turns: list[TurnIn]
    source: Source = "capture"


class ConversationList(msgspec.Struct, forbid_unknown_fields=False):
    provider: Provider | None = None
    limit: int = 50
    offset: int = 0
    query: str | None = None  # title filter


class ConversationGet(msgspec.Struct, forbid_unknown_fields=False):
    id: int | None = None
    provider: Provider | None = None
    external_id: str | None = None
    include_html: bool = False


class Search(msgspec.Struct, forbid_unknown_fields=False):
    query: str
    limit: int = 20
    provider: Provider | None = None
    conversation_id: int | None = None
    role: Role | None = None
    since: float | None = None
    until: float | None = None
    mode: Literal["hybrid", "fulltext", "vector"] = "hybrid"
    wait_for_model: float = 0.0  # seconds to wait for the embedding model to load (capped at 10)


class Stats(msgspec.Struct, forbid_unknown_fields=False):
    pass


class SettingsGet(msgspec.Struct, forbid_unknown_fields=False):
    keys: list[str] | None = None


class SettingsSet(msgspec.Struct, forbid_unknown_fields=False):
    values: dict[str, Any]


class AdapterHealth(msgspec.Struct, forbid_unknown_fields=False):
    provider: Provider
    url: str
    ok: bool
    problem: str | None = None


# ---- envelope helpers ---------------------------------------------------------------------

def parse_envelope(message: Any) -> Envelope:
    if not isinstance(message, dict):
        raise ProtocolError("a message must be a JSON object with v, id, type and payload")
    try:
        envelope = msgspec.convert(message, Envelope)
    except msgspec.ValidationError as exc:
        raise ProtocolError(f"bad envelope: {exc}") from None
    if envelope.v not in SUPPORTED_VERSIONS:
        raise UnsupportedVersion(
            f"protocol version {envelope.v} is not supported; this host speaks {sorted(SUPPORTED_VERSIONS)}",
            details={"supported": sorted(SUPPORTED_VERSIONS)},
        )
    return envelope


def parse_payload(payload: Any, kind: type[msgspec.Struct]) -> Any:
    try:
        return msgspec.convert(payload, kind)
    except msgspec.ValidationError as exc:
        raise InvalidPayload(f"invalid payload: {exc}") from None


def request_id_of(message: Any) -> str | int | None:
    if isinstance(message, dict):
        rid = message.get("id")
        if isinstance(rid, (str, int)) and not isinstance(rid, bool):
            return rid
    return None


def ok_reply(request_id: str | int | None, result: Any) -> dict[str, Any]:
    return {"v": PROTOCOL_VERSION, "id": request_id, "ok": True, "result": to_builtins(result)}


def error_reply(request_id: str | int | None, error: VivimError) -> dict[str, Any]:
    return {"v": PROTOCOL_VERSION, "id": request_id, "ok": False, "error": error.to_dict()}


def push(kind: str, payload: Any) -> dict[str, Any]:
    """A host-initiated message: it answers no request, so it has no id."""
    return {"v": PROTOCOL_VERSION, "type": kind, "payload": to_builtins(payload)}


def to_builtins(value: Any) -> Any:
    return msgspec.to_builtins(value)
