"""SQLite storage: connection, migrations, and one module per kind of record."""

from .database import Store

__all__ = ["Store"]
