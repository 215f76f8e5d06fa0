"""The extension ID the host manifests allow must be the one Chrome derives from our key."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

from vivim.config import EXTENSION_ID, FIREFOX_EXTENSION_ID

REPO = Path(__file__).resolve().parents[2]


def chrome_extension_id(public_key_b64: str) -> str:
    """Chrome's rule: sha256 of the DER public key, first 32 hex digits, 0-f mapped to a-p."""
    digest = hashlib.sha256(base64.b64decode(public_key_b64)).hexdigest()[:32]
    return "".join(chr(ord("a") + int(c, 16)) for c in digest)


def test_extension_id_is_derived_from_the_key_in_the_extension_manifest():
    manifest = json.loads((REPO / "extension" / "manifest.json").read_text(encoding="utf-8"))
    assert chrome_extension_id(manifest["key"]) == EXTENSION_ID


def test_firefox_id_matches_the_gecko_id_in_the_extension_manifest():
    manifest = json.loads((REPO / "extension" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["browser_specific_settings"]["gecko"]["id"] == FIREFOX_EXTENSION_ID
