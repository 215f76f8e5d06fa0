"""The Store: one aiosqlite connection, and the only way VIVIM code touches the database.

Work is written as plain synchronous functions over a sqlite3 connection and run on
aiosqlite's connection thread, so a whole capture (many statements) costs one thread hop and
one transaction. Writes hold an asyncio lock because a connection has one transaction at a
time. aiosqlite (a mandated dependency) offers no public way to run a function on its thread,
so `_Connection.run` below is the one place that uses its protected `_execute`;
tests/store/test_aiosqlite_contract.py fails loudly if that internal changes.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar, cast

import aiosqlite

from ..errors import StoreBusy, StoreError
from .connection import BUSY_TIMEOUT_MS, Connection, DatabaseError, connect_sync, is_locked_error
from .migrations import apply_migrations

T = TypeVar("T")
P = ParamSpec("P")
SyncConn = Any  # a sqlean (sqlite3-compatible) connection; sqlean ships no type information
Params = Sequence[Any] | Mapping[str, Any]
ITER_CHUNK_SIZE = 256  # rows aiosqlite fetches per hop when iterating its own cursors


class _Connection(aiosqlite.Connection):
    """aiosqlite's connection and thread, plus a typed way to run a whole function on that thread."""

    async def run(self, fn: Callable[Concatenate[SyncConn, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        """fn(conn, *args, **kwargs) on the connection's thread: one hop for many statements.

        aiosqlite's `_execute` queues a callable for its thread and awaits the result; it is
        protected, and this is the only caller (see the module docstring).
        """
        return cast(T, await self._execute(fn, self._conn, *args, **kwargs))  # type: ignore[no-untyped-call]


class Store:
    """An open database. `read`/`write` run a function of the connection on the database thread."""

    def __init__(self, path: Path, db: _Connection, identity: tuple[int, int] | None = None) -> None:
        self.path = path
        self._db = db
        self._write_lock = asyncio.Lock()
        # (device, inode) of the file opened; None: not checked (the file could not be looked at).
        self._identity = identity

    @classmethod
    async def open(cls, path: Path | str) -> Store:
        path = Path(path)
        db = _Connection(lambda: _open_migrated(path), iter_chunk_size=ITER_CHUNK_SIZE)
        try:
            await db
        except DatabaseError as exc:
            raise _translate(exc) from exc
        return cls(path, db, _identity(path))

    async def close(self) -> None:
        """Close the connection and let aiosqlite's worker thread end before returning.

        aiosqlite resolves close() from that thread just before the thread returns, so without the short
        wait a "closed" store could still have a live thread for a moment (seen once start-up got faster)."""
        thread = self._db._thread
        await self._db.close()
        for _ in range(2_000):  # microseconds in practice; bounded so a stuck thread never hangs a shutdown
            if not thread.is_alive():
                break
            await asyncio.sleep(0.001)

    async def __aenter__(self) -> Store:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def read(self, fn: Callable[Concatenate[SyncConn, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run fn(conn, *args, **kwargs) on the database thread, outside any write transaction."""
        try:
            return await self._db.run(fn, *args, **kwargs)
        except DatabaseError as exc:
            raise _translate(exc) from exc

    async def write(self, fn: Callable[Concatenate[SyncConn, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run fn(conn, *args, **kwargs) inside BEGIN IMMEDIATE ... COMMIT; roll back on any error.

        When this returns, the transaction is durable: callers acknowledge after it.
        """
        async with self._write_lock:
            try:
                return await self._db.run(_in_transaction, fn, args, kwargs, self._still_there)
            except DatabaseError as exc:
                raise _translate(exc) from exc

    async def fetchall(self, sql: str, params: Params = ()) -> list[Any]:
        return await self.read(lambda c: c.execute(sql, params).fetchall())

    async def fetchone(self, sql: str, params: Params = ()) -> Any:
        return await self.read(lambda c: c.execute(sql, params).fetchone())

    def _still_there(self) -> None:
        """Raise unless the path still names the file this store opened (called before each COMMIT).

        SQLite writes on through its open descriptors when the database file is deleted or replaced
        under it (a user removing the data directory's files, a backup restored with `mv`): a commit
        would then be acknowledged into a file nobody will ever open again. Nothing is committed."""
        if self._identity is not None and _identity(self.path) != self._identity:
            raise StoreError(
                f"the database file {self.path} was deleted or replaced while VIVIM was running; nothing was"
                " saved. Close the browser (and any `vivim serve`) so VIVIM opens it again."
            )


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        found = os.stat(path)
    except OSError:
        return None
    return (found.st_dev, found.st_ino)


def _open_migrated(path: Path) -> SyncConn:
    """Open and migrate, waiting out another VIVIM process that opens the same new database at the
    same moment. SQLite answers some of those collisions (switching a new file to WAL, reading a
    schema another connection is changing) with "locked" at once, without its busy handler; they
    are retried here, with backoff, for as long as a writer would wait (BUSY_TIMEOUT_MS)."""
    from ..config import private_file

    path.parent.mkdir(parents=True, exist_ok=True)
    private_file(path)
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    pause = 0.02
    while True:
        conn = None
        try:
            conn = connect_sync(path)
            apply_migrations(conn)
            return conn
        except DatabaseError as exc:
            if conn is not None:
                conn.close()
            if not is_locked_error(exc) or time.monotonic() + pause > deadline:
                raise
            time.sleep(pause)
            pause = min(pause * 2, 0.5)


def _in_transaction(
    conn: Connection,
    fn: Callable[..., T],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    before_commit: Callable[[], None] = lambda: None,
) -> T:
    conn.execute("BEGIN IMMEDIATE")
    try:
        result = fn(conn, *args, **kwargs)
        before_commit()
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
