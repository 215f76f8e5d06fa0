"""Helpers shared by CLI commands: running async library calls, opening the store, output."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click

from ..config import Paths
from ..errors import VivimError

T = TypeVar("T")


log = logging.getLogger("vivim.cli")


class HumanError(click.ClickException):
    """A VivimError as people read it: one sentence on stderr, exit 1. The stable code goes to the
    log, and to stdout as {"ok": false, "error": {...}} when the command was asked for --json."""

    def __init__(self, exc: VivimError, as_json: bool = False) -> None:
        super().__init__(sentence(exc.message))
        self.error = exc
        self.as_json = as_json

    def show(self, file: Any = None) -> None:
        log.info("command failed [%s]: %s", self.error.code, self.error.message)
        if self.as_json:
            click.echo(
                json.dumps(
                    {"ok": False, "error": self.error.to_dict()}, ensure_ascii=False, indent=2, default=str
                )
            )
        click.echo(f"Error: {self.message}", err=True)


def sentence(text: str) -> str:
    """'the ZIP is damaged' -> 'The ZIP is damaged.' (library messages are written to be embedded).

    A message that starts with a file name or path ("empty.json is empty") keeps it as it is: the
    user's file is not called Empty.json."""
    text = text.strip()
    if not text:
        return text
    first = text.split(maxsplit=1)[0]
    if not any(c in first for c in "./\\:~") and not any(c.isdigit() for c in first):
        text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?" else text + "."


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """'1 conversation', '4 conversations', '0 session logs': a count with its noun, never 'log(s)'."""
    return f"{count:,} {noun if count == 1 else plural or noun + 's'}"


def run(coro: Awaitable[T], as_json: bool = False) -> T:
    """Run a coroutine, turning VivimError into one human sentence and exit code 1."""
    try:
        return asyncio.run(coro)  # type: ignore[arg-type]
    except VivimError as exc:
        raise HumanError(exc, as_json) from None


def run_sync(fn: Callable[..., T], *args: Any, as_json: bool = False) -> T:
    """Call a plain function the same way `run` awaits a coroutine."""
    try:
        return fn(*args)
    except VivimError as exc:
        raise HumanError(exc, as_json) from None


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


class WholeSentenceGroup(click.Group):
    """Lists commands with their whole first paragraph, wrapped, where click would cut it to fit one
    line ("Addresses this device dials to reach its paired..."; `e.g.` read as a sentence end)."""

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            cmd = self.get_command(ctx, name)
            if cmd is None or cmd.hidden:
                continue
            rows.append((name, cmd.short_help or _first_paragraph(cmd.help or "")))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def _first_paragraph(text: str) -> str:
    return " ".join(text.strip().split("\n\n")[0].split())
