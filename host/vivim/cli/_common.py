"""Helpers shared by CLI commands: running async library calls, opening the store, output."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click

from ..config import Paths
from ..errors import VivimError

T = TypeVar("T")


def run(coro: Awaitable[T]) -> T:
    """Run a coroutine, turning VivimError into a one-line message and exit code 1."""
    try:
        return asyncio.run(coro)  # type: ignore[arg-type]
    except VivimError as exc:
        raise click.ClickException(f"{exc.message} [{exc.code}]") from None


async def with_store(fn: Callable[..., Any], *args: Any) -> Any:
    """Open the store of the data directory, run fn(conn, *args) on it, close it."""
    from ..store import Store

    store = await Store.open(Paths.default().db)
    try:
        return await store.read(fn, *args)
    finally:
        await store.close()


def echo_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))
