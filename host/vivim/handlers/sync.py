"""sync.status: this device, its paired devices, and what the sync node is doing."""

from __future__ import annotations

import json
from typing import Any

from ..protocol import SyncStatus
from ..runtime import Runtime
from ..store.connection import Connection


async def sync_status(runtime: Runtime, payload: SyncStatus) -> dict[str, Any]:
    from ..sync.control import devices

    def read(conn: Connection) -> dict[str, Any]:
        state = {r[0]: r[1] for r in conn.execute("SELECT key, value FROM sync_state").fetchall()}
        entries = conn.execute("SELECT COUNT(*) FROM sync_log").fetchone()[0]
        pending = conn.execute("SELECT COUNT(*) FROM sync_dirty").fetchone()[0]
        return {
            "state": state,
            "devices": devices(conn),
            "log_entries": entries,
            "pending_conversations": pending,
        }

    data = await runtime.store.read(read)
    state = data.pop("state")
    service = runtime.services.get("sync")
    me = next((d for d in data["devices"] if d["status"] == "self"), None)
    result: dict[str, Any] = {
        "running": False,
        "peer_id": me["peer_id"] if me else state.get("peer_id"),
        "addrs": json.loads(state["addrs"]) if state.get("addrs") else [],
        "connected": [],
        "counters": json.loads(state["counters"]) if state.get("counters") else {},
        **data,
    }
    if service is not None:
        result.update(service.status())
    else:
        result["running"] = bool(result["addrs"])  # another process's node publishes its addresses
    for d in result["devices"]:
        d["connected"] = d["peer_id"] in result["connected"]
    return result
