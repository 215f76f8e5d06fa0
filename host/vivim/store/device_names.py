"""Names people give their devices ("Work laptop" instead of the hostname "vm").

Kept on this device only, in `device_names`: a device's own name travels in its signed sync
membership record, which only that device can change, while what you call your devices is
yours. `sync.control.devices` lists the name set here, else the device's own name.
"""

from __future__ import annotations

import time
import unicodedata
from typing import Any

from ..errors import InvalidPayload, NotFound

MAX_NAME = 60


def clean_name(name: str) -> str:
    """One line of printable text, at most MAX_NAME characters; '' removes the name."""
    text = "".join(ch for ch in str(name) if unicodedata.category(ch)[0] != "C").strip()
    text = " ".join(text.split())
    if len(text) > MAX_NAME:
        raise InvalidPayload(f"a device name can have at most {MAX_NAME} characters", details={"key": "name"})
    return text


def resolve_device(conn: Any, ident: str) -> str:
    """The peer id of the one device that `ident` names: its peer id, a unique prefix, or its name."""
    rows = conn.execute(
        "SELECT d.peer_id, COALESCE(n.name, d.name) FROM sync_devices d"
        " LEFT JOIN device_names n ON n.peer_id = d.peer_id WHERE d.status != 'revoked'"
    ).fetchall()
    exact = [r[0] for r in rows if r[0] == ident or (r[1] or "") == ident]
    matches = exact or [r[0] for r in rows if len(ident) >= 6 and r[0].startswith(ident)]
    if len(matches) != 1:
        raise NotFound(
            f"{'no' if not matches else 'more than one'} device matches {ident!r}; `vivim devices` lists them"
        )
    return matches[0]


def set_device_name(conn: Any, ident: str, name: str) -> dict[str, Any]:
    peer_id = resolve_device(conn, ident)
    text = clean_name(name)
    if text:
        conn.execute(
            "INSERT INTO device_names (peer_id, name, set_at) VALUES (?, ?, ?)"
            " ON CONFLICT (peer_id) DO UPDATE SET name = excluded.name, set_at = excluded.set_at",
            (peer_id, text, time.time()),
        )
    else:
        conn.execute("DELETE FROM device_names WHERE peer_id = ?", (peer_id,))
    own = conn.execute("SELECT name FROM sync_devices WHERE peer_id = ?", (peer_id,)).fetchone()
    return {"peer_id": peer_id, "name": text or (own[0] if own else None)}
