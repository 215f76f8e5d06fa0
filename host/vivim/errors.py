"""One exception hierarchy whose stable codes become the protocol's error codes.

Every failure a user or the extension can see carries a `code` that never changes meaning
(clients switch on it), the HTTP status the web app answers it with, and a sentence a person
can act on. Every code is listed in protocol.ERROR_CODES and docs/protocol.md (a test checks).
Error classes live here and nowhere else.
"""

from __future__ import annotations

from typing import Any


class VivimError(Exception):
    """Base of every error VIVIM raises on purpose."""

    code = "internal"
    http_status = 500  # a bug, unless a subclass says otherwise; the log has it

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}

    def to_dict(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            error["details"] = self.details
        return error


class ProtocolError(VivimError):
    """The peer broke the framing or envelope rules."""

    code = "bad_request"
    http_status = 400


class FrameTooLarge(ProtocolError):
    code = "frame_too_large"
    http_status = 413


class InvalidJSON(ProtocolError):
    code = "invalid_json"


class UnsupportedVersion(ProtocolError):
    code = "unsupported_version"


class UnknownMessageType(ProtocolError):
    code = "unknown_type"


class InvalidPayload(ProtocolError):
    code = "invalid_payload"


class NotFound(VivimError):
    code = "not_found"
    http_status = 404


class StoreError(VivimError):
    code = "store_error"


class StoreBusy(StoreError):
    """The database stayed locked past the busy timeout; the caller should retry."""

    code = "store_busy"
    http_status = 503


class ImportFormatError(VivimError):
    code = "import_format"
    http_status = 422


class CryptoError(VivimError):
    code = "crypto_error"


class SyncError(VivimError):
    code = "sync_error"
    http_status = 502


class Unauthorized(VivimError):
    code = "unauthorized"
    http_status = 401


class ConfigError(VivimError):
    code = "config_error"
    http_status = 409


class Unavailable(VivimError):
    """A part of VIVIM that is not ready (the embedding model is missing or failed to load)."""

    code = "unavailable"
    http_status = 503


class InstallError(VivimError):
    """Registering the host with a browser failed (unknown browser, unreadable receipt)."""

    code = "install_error"


class CaptureOff(VivimError):
    """The user turned capture of this site off (the web app's Settings, or the popup's switch, which
    the extension gives the host): what the extension still sends is refused, and it takes the switch."""

    code = "capture_off"
    http_status = 409


class PayloadShape(VivimError):
    """A provider's network payload VIVIM cannot read (unknown shape, too large, too deep, wrong types):
    refused whole, so a site's redesign or a hostile page never writes half a conversation."""

    code = "payload_shape"
    http_status = 422  # the request was well formed; its content is not something VIVIM can read
