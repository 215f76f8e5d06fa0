"""One exception hierarchy whose stable codes become the protocol's error codes.

Every failure a user or the extension can see carries a `code` that never changes meaning
(clients switch on it) and a sentence a person can act on.
"""

from __future__ import annotations

from typing import Any


class VivimError(Exception):
    """Base of every error VIVIM raises on purpose."""

    code = "internal"

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


class FrameTooLarge(ProtocolError):
    code = "frame_too_large"


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


class StoreError(VivimError):
    code = "store_error"


class StoreBusy(StoreError):
    """The database stayed locked past the busy timeout; the caller should retry."""

    code = "store_busy"


class ImportFormatError(VivimError):
    code = "import_format"


class CryptoError(VivimError):
    code = "crypto_error"


class SyncError(VivimError):
    code = "sync_error"


class Unauthorized(VivimError):
    code = "unauthorized"


class ConfigError(VivimError):
    code = "config_error"


class PayloadShape(VivimError):
    """A provider's network payload VIVIM cannot read (unknown shape, too large, too deep, wrong types):
    refused whole, so a site's redesign or a hostile page never writes half a conversation."""

    code = "payload_shape"
