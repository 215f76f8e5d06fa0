"""Per device, in words people understand: how it was reached (on this network, directly over the
internet, or through the relay on the user's backup peer), when the two last synced, and how
many updates it still lacks. The node writes `sync_peer_status` as sessions start, exchange and
end; `vivim devices` and the web app's Devices data read it through `control.devices`.
"""

from __future__ import annotations

import ipaddress
import time
from typing import Any

REACHED = {"lan": "on this network", "direct": "directly (internet)", "relay": "through the relay"}


def classify(muxed_conn: Any) -> tuple[str, str | None]:
    """('relay' | 'lan' | 'direct', remote address) for a live libp2p connection."""
    try:
        from libp2p.connection_types import ConnectionType

        if muxed_conn.get_connection_type() == ConnectionType.RELAYED:
            addrs = muxed_conn.get_transport_addresses()
            return "relay", str(addrs[0]) if addrs else None
    except Exception:
        pass
    try:
        remote = muxed_conn.get_remote_address()
    except Exception:
        remote = None
    if not remote:
        return "direct", None
    host, port = remote[0], remote[1]
    return ("lan" if is_local(host) else "direct"), f"{host}:{port}"


def is_local(host: str) -> bool:
    """Private, loopback and link-local addresses are this network; anything else is the internet."""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    return ip.is_private or ip.is_loopback or ip.is_link_local


def connected(conn: Any, peer: str, via: str, addr: str | None, now: float | None = None) -> None:
    now = now or time.time()
    conn.execute(
        "INSERT INTO sync_peer_status (peer_id, via, addr, connected, connected_at, last_sync_at)"
        " VALUES (?, ?, ?, 1, ?, NULL) ON CONFLICT (peer_id) DO UPDATE SET via = excluded.via,"
        " addr = excluded.addr, connected = 1, connected_at = excluded.connected_at",
        (peer, via, addr, now),
    )


def synced(conn: Any, peer: str, entries_in: int = 0, entries_out: int = 0, now: float | None = None) -> None:
    """The two devices just exchanged what one lacked (or found they lack nothing)."""
    conn.execute(
        "UPDATE sync_peer_status SET last_sync_at = ?, entries_in = entries_in + ?, entries_out = entries_out + ?"
        " WHERE peer_id = ?",
        (now or time.time(), entries_in, entries_out, peer),
    )


def disconnected(conn: Any, peer: str) -> None:
    conn.execute("UPDATE sync_peer_status SET connected = 0 WHERE peer_id = ?", (peer,))


def reset(conn: Any) -> None:
    """At start: nothing is connected yet (a previous process may have ended without saying so)."""
    conn.execute("UPDATE sync_peer_status SET connected = 0")


def pending_for(conn: Any) -> dict[str, int]:
    """Per paired device, how many of the updates this device holds it had not acknowledged when
    last heard from (directly or through another device)."""
    from . import compaction, entries

    mine = entries.version_vector(conn)
    acks = compaction.known_acks(conn)
    out = {}
    for (peer,) in conn.execute("SELECT peer_id FROM sync_devices WHERE status = 'paired'").fetchall():
        theirs = acks.get(peer, {})
        out[peer] = sum(max(0, seq - theirs.get(origin, 0)) for origin, seq in mine.items() if origin != peer)
    return out


def describe(
    via: str | None,
    connected_now: bool,
    last_sync_at: float | None,
    pending: int | None,
    now: float | None = None,
) -> str:
    """One line: 'connected through the relay, in sync' / 'last synced 3 h ago on this network, 12 updates waiting'."""
    if via is None:
        return "never reached yet" + (f", {pending} updates waiting" if pending else "")
    how = REACHED.get(via, via)
    if connected_now:
        head = f"connected {how}"
    elif last_sync_at:
        head = f"last synced {_ago((now or time.time()) - last_sync_at)} {how}"
    else:
        head = f"last reached {how}, never synced"
    tail = f"{pending} update{'s' if pending != 1 else ''} waiting" if pending else "in sync"
    return f"{head}, {tail}"


def _ago(seconds: float) -> str:
    if seconds < 90:
        return "just now"
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if seconds >= size:
            return f"{int(seconds // size)} {unit} ago"
    return "just now"
