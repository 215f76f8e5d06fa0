"""What every route module shares: the application's keys and the JSON response.

Kept apart from the routes so that events, transfer and routes all read the runtime the same
way without importing one another.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
from aiohttp import web

from ..runtime import Runtime

RUNTIME: web.AppKey[Runtime] = web.AppKey("runtime", Runtime)
STATIC_DIR: web.AppKey[Path] = web.AppKey("static_dir", Path)
STATS_CACHE: web.AppKey[dict[Any, Any]] = web.AppKey("stats_cache", dict)


def json(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=lambda v: msgspec.json.encode(v).decode())
