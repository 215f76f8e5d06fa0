"""The Store: one SQLite connection on its own thread, and the only way VIVIM code touches the database.

Work is written as plain synchronous functions over a sqlite3 connection and run on the
store's single database thread, so a whole capture (many statements) costs one thread hop and
one transaction. Writes hold an asyncio lock because a connection has one transaction at a
time. The thread is a one-worker executor of our own: the same model aiosqlite uses, through
public APIs only (aiosqlite offers no public way to run a function on its thread).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from ..errors import StoreBusy, StoreError
from .connection import DatabaseError, connect_sync, is_locked_error
from .migrations import apply_migrations
from .connection import Connection

T = TypeVar("T")
P = ParamSpec("P")
SyncConn = Any  # a sqlean (sqlite3-compatible) connection; sqlean ships no type information
Params = Sequence[Any] | Mapping[str, Any]


class Store:
    """An open database. `read`/`write` run a function of the connection on the database thread."""

    def __init__(self, path: Path, conn: Connection, thread: ThreadPoolExecutor) -> None:
        self.path = path
        self._conn = conn
        self._thread = thread
        self._write_lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path | str) -> Store:
        path = Path(path)
        thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vivim-db")
        try:
            conn = await asyncio.get_running_loop().run_in_executor(thread, _open_migrated, path)
        except DatabaseError as exc:
            thread.shutdown(wait=False)
            raise _translate(exc) from exc
        except BaseException:
            thread.shutdown(wait=False)
            raise
        return cls(path, conn, thread)

    async def close(self) -> None:
        try:
            await self._run(self._conn.close)
        finally:
            self._thread.shutdown(wait=False)

    async def __aenter__(self) -> Store:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _run(self, fn: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._thread, fn)

    async def read(self, fn: Callable[Concatenate[SyncConn, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run fn(conn, *args, **kwargs) on the database thread, outside any write transaction."""
        try:
            return await self._run(functools.partial(fn, self._conn, *args, **kwargs))
        except DatabaseError as exc:
            raise _translate(exc) from exc

    async def write(self, fn: Callable[Concatenate[SyncConn, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run fn(conn, *args, **kwargs) inside BEGIN IMMEDIATE ... COMMIT; roll back on any error.

        When this returns, the transaction is durable: callers acknowledge after it.
        """
        async with self._write_lock:
            try:
                return await self._run(functools.partial(_in_transaction, self._conn, fn, args, kwargs))
            except DatabaseError as exc:
                raise _translate(exc) from exc

    async def fetchall(self, sql: str, params: Params = ()) -> list[Any]:
        return await self.read(lambda c: c.execute(sql, params).fetchall())

    async def fetchone(self, sql: str, params: Params = ()) -> Any:
        return await self.read(lambda c: c.execute(sql, params).fetchone())


def _open_migrated(path: Path) -> SyncConn:
    from ..config import private_file

    path.parent.mkdir(parents=True, exist_ok=True)
    private_file(path)
    conn = connect_sync(path)
    apply_migrations(conn)
    return conn


def _in_transaction(conn: Connection, fn: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]) -> T:
    conn.execute("BEGIN IMMEDIATE")
    try:
        result = fn(conn, *args, **kwargs)
        conn.execute("COMMIT")
        return result
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def _translate(exc: BaseException) -> StoreError:
    if is_locked_error(exc):
        return StoreBusy("the database is locked by another VIVIM process; try again in a moment")
    return StoreError(f"database error: {exc}")
