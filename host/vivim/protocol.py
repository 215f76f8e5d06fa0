"""The extension <-> host protocol: envelope, version, error codes, and typed payloads.

This module and docs/protocol.md are kept one-to-one: a new message is a new row in both.
Payloads are msgspec Structs, so validation is declarative, fast, and cheap to import on the
host's start-up path; handlers receive typed objects and never see raw dicts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

import msgspec

from .config import MAX_ECHO_CHARS, MAX_REQUEST_ID_CHARS
from .errors import InvalidPayload, ProtocolError, UnsupportedVersion, VivimError
from .providers import KEYS as PROVIDER_KEYS

PROTOCOL_VERSION = 1
SUPPORTED_VERSIONS = frozenset({1})

# code -> when it is used. Stable: clients switch on these strings.
ERROR_CODES: dict[str, str] = {
    "bad_request": "The envelope is not an object with v, id, type and payload, or its id is not a string of"
    " at most 128 characters or a 64-bit integer.",
    "invalid_json": "The frame is not UTF-8 JSON, or it nests deeper than 64 levels.",
    "frame_too_large": "The frame is larger than the host accepts (8 MB).",
    "unsupported_version": "The envelope's v is not a protocol version this host speaks.",
    "unknown_type": "No message of that type exists.",
    "invalid_payload": "The payload does not match the message's schema, or a number in the message is"
    " outside the signed 64-bit range.",
    "not_found": "The conversation or item asked for does not exist.",
    "store_busy": "The database stayed locked; retry shortly (nothing was written).",
    "store_error": "The database refused the operation.",
    "unavailable": "The feature is not ready yet (e.g. the embedding model is loading).",
    "import_format": "An import file is not in a format VIVIM recognises.",
    "crypto_error": "A key could not be read or used (wrong passphrase, damaged key file).",
    "sync_error": "Sync or pairing failed (expired code, unreachable peer, revoked device).",
    "unauthorized": "The caller is not allowed (unpaired device, wrong token).",
    "config_error": "VIVIM's set-up is wrong (e.g. another process already runs the services).",
    "install_error": "Registering the host with a browser failed (unknown browser, unreadable receipt).",
    "capture_off": "Capture of that site is turned off (Settings, or the extension's switch); nothing was"
    " written.",
    "payload_shape": "A provider payload is not in a shape VIVIM knows (ignored, nothing written).",
    "internal": "A bug in the host; the log in the data directory has the details.",
}

if TYPE_CHECKING:  # a Literal built from the registry is checked at run time (msgspec), not by mypy
    Provider = str
else:
    Provider = Literal[PROVIDER_KEYS]
Role = Literal["user", "assistant", "tool", "system"]
TurnStatus = Literal["complete", "streaming"]
Source = Literal["capture", "import", "sync", "network"]  # network: the site's own JSON, read in the page


RequestId = (
    Annotated[str, msgspec.Meta(max_length=MAX_REQUEST_ID_CHARS)]
    | Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]
    | None
)


class Envelope(msgspec.Struct, forbid_unknown_fields=False):
    v: int
    type: str
    id: RequestId = None
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
    # Imports: the provider's last-activity time (ChatGPT update_time, Claude updated_at, a VIVIM
    # archive's updated_at). Live capture leaves it out: there, "now" is the last activity.
    updated_at: float | None = None


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
    completeness: Literal["complete", "partial", "unknown"] | None = None


class ConversationGet(msgspec.Struct, forbid_unknown_fields=False):
    id: int | None = None
    provider: Provider | None = None
    external_id: str | None = None
    include_html: bool = False


class ConversationRename(msgspec.Struct, forbid_unknown_fields=False):
    id: int
    title: str | None  # None clears the title


class ConversationTag(msgspec.Struct, forbid_unknown_fields=False):
    id: int
    add: list[str] = []
    remove: list[str] = []


class ConversationPin(msgspec.Struct, forbid_unknown_fields=False):
    id: int
    pinned: bool = True


class ConversationDelete(msgspec.Struct, forbid_unknown_fields=False):
    id: int


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
    # A network-capture warning (payload refused, request failed): kept beside the DOM's ok/problem.
    warning: str | None = None


class CaptureNetwork(msgspec.Struct, forbid_unknown_fields=False):
    """A response the site's own page fetched for the open conversation, as the page received it.

    Sent as text (`encoding` "json") or gzip + base64 ("gzip-base64"), possibly in `parts` pieces of
    one `payload_id` (a 1,000-turn conversation is larger than a frame); the host reassembles,
    parses it with the importers' parser of that provider format, and stores it raw.
    """

    provider: Provider
    external_id: str
    url: str
    body: str
    encoding: Literal["json", "gzip-base64"] = "json"
    payload_id: str | None = None
    part: int = 0
    parts: int = 1
    title: str | None = None


class ContextBuild(msgspec.Struct, forbid_unknown_fields=False):
    draft: str
    conversation_id: int | None = None
    provider: Provider | None = None
    external_id: str | None = None
    token_budget: int = 800
    max_items: int = 6


class EmbedStatus(msgspec.Struct, forbid_unknown_fields=False):
    warm: bool = False  # start loading the model now (a search box just opened)


class SyncStatus(msgspec.Struct, forbid_unknown_fields=False):
    pass


class WebUrl(msgspec.Struct, forbid_unknown_fields=False):
    pass


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
    """The id to answer with: the request's own when it is a valid one, else null (a too-long or
    out-of-range id is refused, never repeated in every reply chunk)."""
    if isinstance(message, dict):
        rid = message.get("id")
        if isinstance(rid, str) and len(rid) <= MAX_REQUEST_ID_CHARS:
            return rid
        if isinstance(rid, int) and not isinstance(rid, bool) and -(2**63) <= rid < 2**63:
            return rid
    return None


def clip(text: str, limit: int = MAX_ECHO_CHARS) -> str:
    """At most `limit` characters of a text that may repeat a client's input (a 650 KB enum value
    must not come back whole in the reply or land whole in the log)."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit} more characters)"


def ok_reply(request_id: str | int | None, result: Any) -> dict[str, Any]:
    return {"v": PROTOCOL_VERSION, "id": request_id, "ok": True, "result": to_builtins(result)}


def error_reply(request_id: str | int | None, error: VivimError) -> dict[str, Any]:
    body = error.to_dict()
    body["message"] = clip(body["message"])
    return {"v": PROTOCOL_VERSION, "id": request_id, "ok": False, "error": body}


def push(kind: str, payload: Any) -> dict[str, Any]:
    """A host-initiated message: it answers no request, so it has no id."""
    return {"v": PROTOCOL_VERSION, "type": kind, "payload": to_builtins(payload)}


def to_builtins(value: Any) -> Any:
    return msgspec.to_builtins(value)
