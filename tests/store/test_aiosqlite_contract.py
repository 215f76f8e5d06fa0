"""The Store runs on aiosqlite's connection thread through one protected aiosqlite internal.

aiosqlite (a mandated dependency) has no public "run this function on your thread"; the Store's
`_Connection.run` uses `aiosqlite.Connection._execute` and `_conn`. These tests pin what the
Store relies on, so an aiosqlite upgrade that changes them fails here, by name, instead of as a
hang or a wrong connection somewhere in capture.
"""

from __future__ import annotations

import inspect
import re
import threading
from pathlib import Path
from typing import Any

import aiosqlite
import pytest

from vivim.errors import StoreError
from vivim.store import Store
from vivim.store.database import _Connection

ROOT = Path(__file__).resolve().parents[2]


def test_the_installed_aiosqlite_is_the_pinned_version() -> None:
    pin = re.search(r'"aiosqlite==([^"]+)"', (ROOT / "pyproject.toml").read_text())
    assert pin, "aiosqlite must stay a pinned dependency in pyproject.toml"
    assert aiosqlite.__version__ == pin.group(1), (
        f"aiosqlite {aiosqlite.__version__} is installed but {pin.group(1)} is pinned: re-check "
        "vivim.store.database._Connection.run against the new version's _execute before moving the pin"
    )


def test_aiosqlite_still_has_the_protected_execute_the_store_uses() -> None:
    execute = getattr(aiosqlite.Connection, "_execute", None)
    assert execute is not None and inspect.iscoroutinefunction(execute), (
        "aiosqlite.Connection._execute is gone or no longer a coroutine: rewrite vivim.store.database._Connection.run"
    )
    parameters = list(inspect.signature(execute).parameters.values())
    assert [p.name for p in parameters[:2]] == ["self", "fn"]
    assert {p.kind for p in parameters[2:]} == {
        inspect.Parameter.VAR_POSITIONAL,
        inspect.Parameter.VAR_KEYWORD,
    }
    assert isinstance(inspect.getattr_static(aiosqlite.Connection, "_conn"), property)
    assert issubclass(_Connection, aiosqlite.Connection)


async def test_reads_and_writes_run_on_one_aiosqlite_thread_with_the_store_connection(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "v.sqlite3")
    try:
        seen: list[tuple[threading.Thread, Any]] = []

        def where(conn: Any) -> int:
            seen.append((threading.current_thread(), conn))
            return int(conn.execute("SELECT COUNT(*) FROM conversations").fetchone()[0])

        assert await store.read(where) == 0
        assert await store.write(where) == 0
        (first_thread, first_conn), (second_thread, second_conn) = seen
        assert first_thread is second_thread is not threading.main_thread()
        assert first_thread is store._db._thread  # aiosqlite's own worker, not an executor of ours
        assert first_conn is second_conn is store._db._conn
    finally:
        await store.close()
    assert not first_thread.is_alive()  # closing stops aiosqlite's thread: nothing keeps the process up


async def test_a_failed_write_rolls_back_and_the_store_keeps_working(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "v.sqlite3")
    try:

        def half_then_fail(conn: Any) -> None:
            conn.execute("INSERT INTO settings (key, value) VALUES ('x', '1')")
            conn.execute("INSERT INTO no_such_table VALUES (1)")

        with pytest.raises(StoreError):
            await store.write(half_then_fail)
        assert await store.fetchone("SELECT value FROM settings WHERE key = 'x'") is None
        assert (await store.fetchone("SELECT COUNT(*) FROM settings"))[0] == 0
    finally:
        await store.close()
