"""Opening SQLite the way every VIVIM process must.

Many Pythons (this machine's, most macOS builds) ship a sqlite3 that cannot load extensions,
and sqlite-vec is an extension. sqlean.py is a drop-in sqlite3 with a current SQLite, FTS5
and extension loading on Linux, macOS and Windows; the Store runs its connection on one thread.

Several processes may share one database (two browsers each start a host, plus `vivim serve`),
so every connection uses WAL, a busy timeout, and writers take the lock up front
(BEGIN IMMEDIATE) instead of failing on a lock upgrade half-way through a transaction.
"""

from __future__ import annotations

import functools
import importlib.util
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlean as sqlite3

if TYPE_CHECKING:
    # sqlean ships no type information; its Connection has the standard library's interface, so
    # code that takes a connection is typed with the stdlib class (the object is sqlean's).
    from sqlite3 import Connection as Connection
else:
    Connection = sqlite3.Connection

# How long a writer waits for another process's transaction before giving up with store_busy.
BUSY_TIMEOUT_MS = int(os.environ.get("VIVIM_BUSY_TIMEOUT_MS", "10000"))


def connect_sync(path: Path | str, *, load_vec: bool = True) -> Connection:
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    if load_vec:
        load_sqlite_vec(conn)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA journal_mode = WAL")
    # FULL: an acknowledged capture survives power loss, not only a killed process.
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA temp_store = MEMORY")
    return conn


def load_sqlite_vec(conn: sqlite3.Connection) -> None:
    conn.enable_load_extension(True)
    try:
        conn.load_extension(vec0_path())
    finally:
        conn.enable_load_extension(False)


@functools.cache
def vec0_path() -> str:
    """Where the sqlite-vec extension library is, found without importing the sqlite_vec package.

    Its __init__ imports numpy.typing (~0.1 s of CPU) for a helper VIVIM never uses, and every process
    opens the database first thing: `vivim mcp` would pay it before its first answer, which needs no
    numpy. The path is the one sqlite_vec.loadable_path() gives (the package folder + "vec0")."""
    spec = importlib.util.find_spec("sqlite_vec")
    if spec is None or not spec.submodule_search_locations:
        import sqlite_vec  # an unusual install (zipped, namespace): let the package say where it is

        return str(sqlite_vec.loadable_path())
    return os.path.normpath(os.path.join(next(iter(spec.submodule_search_locations)), "vec0"))


def contains(column: str) -> str:
    """SQL true when `column` holds the bound text anywhere, ASCII case-insensitively (as LIKE matches).

    User text never becomes a LIKE pattern: SQLite refuses patterns over 50,000 bytes ("LIKE or GLOB
    pattern too complex"), which a pasted draft or query of ~17,000 CJK characters already is, and a
    pattern needs its `%` and `_` escaped. instr() has no such limit and takes the text as it is."""
    return f"instr(lower({column}), lower(?)) > 0"


def is_locked_error(exc: BaseException) -> bool:
    return isinstance(exc, sqlite3.OperationalError) and ("locked" in str(exc) or "busy" in str(exc))


def inserted_id(cursor: Any) -> int:
    """The rowid an INSERT just created (sqlite3 types lastrowid as optional; after an INSERT it is set)."""
    rowid = cursor.lastrowid
    if rowid is None:
        raise DatabaseError("the INSERT created no row")
    return int(rowid)


DatabaseError = sqlite3.DatabaseError
IntegrityError = sqlite3.IntegrityError
OperationalError = sqlite3.OperationalError
