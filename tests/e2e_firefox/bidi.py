"""A small WebDriver BiDi client for Firefox, which speaks BiDi itself (`--remote-debugging-port`), so
no geckodriver is needed (Debian does not package it; its npm and PyPI installers download binaries).

One websocket (aiohttp, already a VIVIM dependency) read on a private event-loop thread: commands
are called synchronously from test code, and events (intercepted requests, dialogs) are handled on
that thread while a test blocks polling the host's database.
"""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

CALL_TIMEOUT = 30.0


class BiDiError(RuntimeError):
    pass


def local_value(value: Any) -> dict[str, Any]:
    """A Python value as a BiDi LocalValue (the arguments of script.callFunction)."""
    if value is None:
        return {"type": "null"}
    if isinstance(value, bool):
        return {"type": "boolean", "value": value}
    if isinstance(value, (int, float)):
        return {"type": "number", "value": value}
    if isinstance(value, str):
        return {"type": "string", "value": value}
    if isinstance(value, (list, tuple)):
        return {"type": "array", "value": [local_value(v) for v in value]}
    if isinstance(value, dict):
        return {"type": "object", "value": [[str(k), local_value(v)] for k, v in value.items()]}
    raise TypeError(f"cannot pass {type(value).__name__} to the page")


def python_value(remote: dict[str, Any]) -> Any:
    """A BiDi RemoteValue as a Python value (what evaluate returns)."""
    kind = remote.get("type")
    if kind in ("undefined", "null"):
        return None
    if kind in ("string", "boolean"):
        return remote["value"]
    if kind == "number":
        value = remote["value"]
        return value if not isinstance(value, str) else float(value.replace("Infinity", "inf"))
    if kind == "array":
        return [python_value(v) for v in remote.get("value", [])]
    if kind == "object":
        return {
            k if isinstance(k, str) else str(python_value(k)): python_value(v)
            for k, v in remote.get("value", [])
        }
    return remote  # nodes, functions...: the raw description


class Connection:
    """One WebDriver BiDi websocket, read on a private event-loop thread."""

    def __init__(self, url: str, on_event: Any) -> None:
        self._on_event = on_event
        self.handler_errors: list[str] = []
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="bidi", daemon=True)
        self._thread.start()
        self._next = 0
        self._futures: dict[int, asyncio.Future[Any]] = {}
        self._session: Any = None
        self._ws: Any = None
        self._run(self._connect(url))

    def _run(self, coro: Any, timeout: float = CALL_TIMEOUT) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    async def _connect(self, url: str) -> None:
        import aiohttp

        self._session = aiohttp.ClientSession()
        self._ws = await self._session.ws_connect(url, max_msg_size=0, autoping=True)
        self._reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        async for msg in self._ws:
            data = json.loads(msg.data)
            future = self._futures.pop(data.get("id"), None) if "id" in data else None
            if future is not None:
                if not future.done():
                    future.set_result(data)
            elif data.get("type") == "event":
                asyncio.ensure_future(self._handle(data))
        for future in self._futures.values():
            if not future.done():
                future.set_exception(BiDiError("the browser closed the BiDi connection"))

    async def _handle(self, event: dict[str, Any]) -> None:
        try:
            await self._on_event(self, event["method"], event["params"])
        except Exception as exc:  # a failed handler must not stall the page: record it
            self.handler_errors.append(f"{event['method']}: {exc!r}")

    async def acall(self, method: str, params: dict[str, Any]) -> Any:
        self._next += 1
        future: asyncio.Future[Any] = self._loop.create_future()
        self._futures[self._next] = future
        await self._ws.send_str(json.dumps({"id": self._next, "method": method, "params": params}))
        reply = await future
        if reply.get("type") == "error":
            raise BiDiError(f"{method}: {reply.get('error')}: {reply.get('message')}")
        return reply["result"]

    def call(self, method: str, params: dict[str, Any], timeout: float = CALL_TIMEOUT) -> Any:
        return self._run(self.acall(method, params), timeout)

    def close(self) -> None:
        async def shutdown() -> None:
            if self._ws is not None:
                await self._ws.close()
            if self._session is not None:
                await self._session.close()

        try:
            self._run(shutdown(), timeout=5)
        except Exception:
            pass
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
