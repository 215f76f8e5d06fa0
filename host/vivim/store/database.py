"""The Store: one aiosqlite connection, and the only way VIVIM code touches the database.

Work is written as plain synchronous functions over a sqlite3 connection and run on
aiosqlite's worker thread, so a whole capture (many statements) costs one thread hop and one
transaction. Writes hold an asyncio lock because a connection has one transaction at a time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from ..errors import StoreBusy, StoreError
from .connection import DatabaseError, connect_sync, is_locked_error
from .migrations import apply_migrations

T = TypeVar("T")
SyncConn = Any  # a sqlean (sqlite3-compatible) connection


class Store:
    def __init__(self, path: Path, db: aiosqlite.Connection) -> None:
        self.path = path
        self._db = db
        self._write_lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path | str) -> "Store":
        path = Path(path)
        try:
            db = aiosqlite.Connection(lambda: _open_migrated(path), iter_chunk_size=256)
            await db
        except DatabaseError as exc:
            raise _translate(exc) from exc
        return cls(path, db)

    async def close(self) -> None:
        await self._db.close()

    async def __aenter__(self) -> "Store":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def read(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run fn(conn, *args, **kwargs) on the database thread, outside any write transaction."""
        try:
            return await self._db._execute(fn, self._db._conn, *args, **kwargs)
        except DatabaseError as exc:
            raise _translate(exc) from exc

    async def write(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run fn(conn, *args, **kwargs) inside BEGIN IMMEDIATE ... COMMIT; roll back on any error.

        When this returns, the transaction is durable: callers acknowledge after it.
        """
        async with self._write_lock:
            try:
                return await self._db._execute(_in_transaction, self._db._conn, fn, args, kwargs)
            except DatabaseError as exc:
                raise _translate(exc) from exc

    async def fetchall(self, sql: str, params: tuple | dict = ()) -> list[Any]:
        return await self.read(lambda c: c.execute(sql, params).fetchall())

    async def fetchone(self, sql: str, params: tuple | dict = ()) -> Any:
        return await self.read(lambda c: c.execute(sql, params).fetchone())


def _open_migrated(path: Path) -> SyncConn:
    from ..config import private_file

    path.parent.mkdir(parents=True, exist_ok=True)
    private_file(path)
    conn = connect_sync(path)
    apply_migrations(conn)
    return conn


def _in_transaction(conn: SyncConn, fn: Callable[..., T], args: tuple, kwargs: dict[str, Any]) -> T:
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
