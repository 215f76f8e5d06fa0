"""`vivim import` and `vivim export`: moving conversations in and out of the store.

Both are thin: they parse options and call `vivim.importers.import_path` and the
`vivim.export` functions, which tests call directly. Progress goes to stderr, so
`vivim export --format jsonl > file` stays clean.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from .. import providers
from ..importers import Progress
from ._common import run, run_sync

AGENTS = tuple(p.key for p in providers.AGENTS)  # coding agents' session logs (importers/agent_logs.py)


@click.command(
    "import",
    short_help="Import chat exports (ChatGPT, Claude, Gemini, Grok, ...) or coding agents' logs.",
    help=(
        f"Import an export file, folder or ZIP from {providers.listed('or', exports=True)} (Gemini: Google "
        "Takeout; AI Studio: its Drive folder), a VIVIM JSON archive, or coding agents' session logs (a "
        "file, a folder such as ~/.claude/projects, or --agents for all of them). Files are recognised by "
        "their content, not their name."
    ),
)
@click.argument("path", type=click.Path(exists=True, path_type=Path), required=False)
@click.option(
    "--provider",
    type=click.Choice([*(p.key for p in providers.SITES), *AGENTS, "vivim"]),
    help="Only this provider's files (and read an unrecognised single file as this format).",
)
@click.option(
    "--agents",
    is_flag=True,
    help="Import the session logs of Claude Code, Codex and Gemini CLI from where they keep them.",
)
@click.option(
    "--batch",
    "batch_size",
    type=click.IntRange(1, 10_000),
    default=100,
    show_default=True,
    help="Conversations per database transaction.",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def import_command(
    path: Path | None, provider: str | None, agents: bool, batch_size: int, quiet: bool, as_json: bool
) -> None:
    """`vivim import`: see the command's help above (it names every provider from the registry)."""
    from ..importers import find_exports, import_path
    from ..importers.agent_logs import find_logs

    if path is None and not agents:
        raise click.UsageError("name a file or folder to import, or pass --agents")
    logs = None
    if agents:
        logs = "discover"
    elif provider in AGENTS or (provider is None and path is not None and find_logs(path)):
        logs = "path"
    if logs is not None:
        _import_agent_logs(
            path if logs == "path" else None, provider if provider in AGENTS else None, as_json
        )
        return
    assert path is not None  # no path is only allowed with --agents (checked above)

    # Find the export files before opening the store: a path holding none creates no database.
    files, not_exports = run_sync(find_exports, path, provider, as_json=as_json)
    started = time.perf_counter()
    bar = _Bar(enabled=not quiet)
    try:
        summary = run(
            _with_store(
                lambda store: import_path(
                    store,
                    path,
                    provider=provider,
                    batch_size=batch_size,
                    progress=bar,
                    files=files,
                    not_exports=not_exports,
                )
            ),
            as_json,
        )
    finally:
        bar.close()
    elapsed = time.perf_counter() - started
    meaning = _catch_up_meaning() if summary.inserted or summary.updated else None
    if as_json:
        from ._common import echo_json

        echo_json(summary.as_dict() | {"seconds": round(elapsed, 3), "meaning_search": meaning})
    else:
        _print_summary(summary, elapsed)
        if meaning is not None:
            _print_meaning(meaning)
    if summary.errors:
        # Some file could not be read to its end: what came before it is stored, but say so.
        raise SystemExit(1)


def _import_agent_logs(path: Path | None, provider: str | None, as_json: bool) -> None:
    from ..importers.agent_logs import import_logs
    from ._common import counted

    started = time.perf_counter()
    summary = run(_with_store(lambda store: import_logs(store, path, provider=provider)))
    elapsed = time.perf_counter() - started
    if not summary["files"]:  # an error alone, not a summary of nothing followed by an error
        if as_json:
            from ._common import echo_json

            echo_json(summary | {"seconds": round(elapsed, 3)})
        raise click.ClickException(
            "Found no Claude Code, Codex or Gemini CLI session logs"
            + (f" in {path}" if path else " in their usual places")
        )
    if as_json:
        from ._common import echo_json

        echo_json(summary | {"seconds": round(elapsed, 3)})
    else:
        click.echo(
            f"Imported {counted(summary['files'], 'session log')} into "
            f"{counted(summary['conversations'], 'conversation')}: {counted(summary['turns'], 'turn')} read, "
            f"{summary['stored']} new or changed, in {elapsed:.1f}s."
        )
        if summary["bad_lines"]:
            click.echo(f"  skipped {counted(summary['bad_lines'], 'line')} that were not JSON records")
        for error in summary["errors"]:
            click.echo(f"  error: {error}", err=True)
    if summary["errors"]:
        raise SystemExit(1)


def _print_summary(summary: Any, elapsed: float) -> None:
    from ._common import counted

    rate = summary.messages / elapsed if elapsed > 0 else 0.0
    nothing_new = summary.conversations and not (
        summary.conversations_created or summary.conversations_changed or summary.inserted or summary.updated
    )
    if nothing_new:
        held = f"({counted(summary.messages, 'message')})"
        click.echo(
            (
                f"Nothing new: the conversation {held} was already here"
                if summary.conversations == 1
                else f"Nothing new: all {summary.conversations} conversations {held} were already here"
            )
            + f" (checked in {elapsed:.1f}s)."
        )
    else:
        click.echo(
            f"Imported {counted(summary.conversations, 'conversation')} ({summary.conversations_created} new, "
            f"{summary.conversations_changed} changed) and {counted(summary.messages, 'message')} "
            f"in {elapsed:.1f}s ({rate:,.0f} messages/s)."
        )
        click.echo(
            f"  messages: {summary.inserted} new, {summary.updated} updated, {summary.unchanged} unchanged, "
            f"{summary.merged} merged with live captures, {summary.branched} new branches"
        )
    if summary.deleted_skipped:
        click.echo(deleted_skipped_line(summary.deleted_skipped))
    reasons = {reason: count for reason, count in summary.skipped.reasons.items() if count > 0}
    if reasons:
        from ..importers.common import describe_skip

        expected: list[tuple[int, str]] = []
        problems: list[tuple[int, str]] = []
        for reason, count in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0])):
            words, ok = describe_skip(reason)
            (expected if ok else problems).append((count, words))
        if expected:
            click.echo("  left out, as the provider's app does:")
            for count, words in expected:
                click.echo(f"    {count:>7}  {words}")
        if problems:
            click.echo("  could not be imported:")
            for count, words in problems:
                click.echo(f"    {count:>7}  {words}")
            for detail in summary.skipped.details:
                click.echo(f"      - {detail}")
    _print_not_exports(summary.not_exports)
    for error in summary.errors:
        click.echo(f"  error: {error}", err=True)


def _print_not_exports(skipped: list[Any]) -> None:
    """The files beside the exports that were not imported, each with why (at most SKIPPED_NAMED)."""
    from ..importers.reader import SKIPPED_NAMED

    if not skipped:
        return
    click.echo("  files not imported:")
    for item in skipped[:SKIPPED_NAMED]:
        click.echo(f"    {item.file}: {item.reason}")
    if len(skipped) > SKIPPED_NAMED:
        click.echo(f"    and {len(skipped) - SKIPPED_NAMED} more (`--json` lists them all)")


def _catch_up_meaning() -> dict[str, Any]:
    """After an import: give the new chunks first-pass vectors now if the first-pass model is already
    built (thousands of chunks a second, so cheap next to the import), and count what meaning search
    still lacks. Building that model (a minute, once) and MiniLM's full index are left to
    `vivim reindex` and to the background worker of the browser's host or `vivim serve`."""
    from ..config import Paths
    from ..errors import Unavailable, VivimError
    from ..retrieval import index_status
    from ..retrieval.reindex import first_pass_all
    from ..retrieval.static_model import get_static_embedder
    from ..store.connection import connect_sync

    conn = connect_sync(Paths.default().db)
    try:
        quick, seconds = 0, 0.0
        if get_static_embedder().ready_to_load():
            started = time.perf_counter()
            try:
                quick = first_pass_all(conn)
            except (Unavailable, VivimError):
                quick = 0  # the note below then says how meaning search catches up
            seconds = time.perf_counter() - started
        index_status.forget_counts()
        found = index_status.counts(conn)
    finally:
        conn.close()
    pending = found["chunks"] - found["embedded"]
    return {
        "chunks": found["chunks"],
        "embedded": found["embedded"],
        "pending": pending,
        "first_pass": found["first_pass"],
        "first_pass_now": quick,
        "first_pass_seconds": round(seconds, 3),
    }


def _print_meaning(meaning: dict[str, Any]) -> None:
    """How meaning search covers what was just imported, and how it catches up (nothing runs by itself
    after the import: no host, no `vivim serve`, no background worker)."""
    from ..retrieval.index_status import catch_up

    if not meaning["pending"]:
        return
    then = catch_up()
    if meaning["first_pass"] >= meaning["pending"]:
        done = (
            f" ({meaning['first_pass_now']:,} chunks just now, in {meaning['first_pass_seconds']:.1f}s)"
            if meaning["first_pass_now"]
            else ""
        )
        click.echo(
            f"Meaning search: everything is searchable by a quick first pass{done}; "
            f"the full index of {meaning['pending']:,} chunks is still to build: {then}."
        )
        return
    click.echo(
        f"Meaning search does not cover these yet ({meaning['embedded']:,} of {meaning['chunks']:,} chunks "
        f"indexed); word search finds them now. {then[0].upper()}{then[1:]}."
    )


def deleted_skipped_line(count: int) -> str:
    """Why conversations the export holds did not come back: the user deleted them, and that is final."""
    what = "1 conversation you deleted was" if count == 1 else f"{count} conversations you deleted were"
    return f"  {what} left out: a deletion is final (see docs/import-export.md)."


@click.command("export", short_help="Export as JSON Lines, Markdown or JSON.")
@click.option(
    "--format", "fmt", type=click.Choice(["jsonl", "markdown", "json"]), default="jsonl", show_default=True
)
@click.option(
    "--out",
    "out",
    type=click.Path(path_type=Path),
    help="File (jsonl, json) or folder (markdown). jsonl and json go to stdout without it.",
)
@click.option("--provider", type=click.Choice(providers.KEYS))
@click.option(
    "--since", help="Only conversations with messages at or after this date (YYYY-MM-DD or ISO 8601)."
)
@click.option("--conversation", help="One conversation: the provider's id (as in its URL) or VIVIM's id.")
def export_command(
    fmt: str, out: Path | None, provider: str | None, since: str | None, conversation: str | None
) -> None:
    """Export conversations as JSON Lines, Markdown files (Obsidian-friendly) or a full JSON archive."""
    from ..export import ExportFilter, export_json, export_jsonl, export_markdown

    selection = ExportFilter(provider=provider, since=_parse_since(since), conversation=conversation)
    if conversation is not None:
        from .library import resolve

        resolve(conversation)  # a conversation that does not exist is an error, not an empty export
    if fmt == "markdown":
        if out is None:
            raise click.UsageError("--format markdown writes a folder: give it with --out FOLDER")
        summary = run(_with_store(lambda store: export_markdown(store, out, selection)))
        click.echo(f"Wrote {summary.files} files ({summary.messages} messages) to {out}", err=True)
        return
    writer = export_jsonl if fmt == "jsonl" else export_json
    if out is None:
        summary = run(_with_store(lambda store: writer(store, sys.stdout, selection)))
        sys.stdout.flush()
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        with open(out, "w", encoding="utf-8") as handle:
            summary = run(_with_store(lambda store: writer(store, handle, selection)))
        click.echo(
            f"Wrote {summary.conversations} conversations ({summary.messages} messages) to {out}", err=True
        )


def _parse_since(value: str | None) -> float | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a date like 2024-05-01 or 2024-05-01T12:00", param_hint="--since"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


async def _with_store(fn: Any) -> Any:
    from ..config import Paths
    from ..store import Store

    store = await Store.open(Paths.default().db)
    try:
        return await fn(store)
    finally:
        await store.close()


class _Bar(Progress):
    """A tqdm bar on stderr over the bytes read, with conversations, messages and messages/s."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.bar: Any = None
        self.conversations = 0
        self.messages = 0
        self.started = time.perf_counter()

    def start_file(self, export: Any, total_bytes: int | None) -> None:
        if not self.enabled:
            return
        from tqdm import tqdm

        self.close()
        self.bar = tqdm(
            total=total_bytes,
            unit="B",
            unit_scale=True,
            unit_divisor=1024,
            file=sys.stderr,
            desc=export.name,
            dynamic_ncols=True,
            mininterval=0.25,
        )

    def read_bytes(self, count: int) -> None:
        if self.bar is not None:
            self.bar.update(count)

    def wrote(self, conversations: int, messages: int) -> None:
        self.conversations += conversations
        self.messages += messages
        if self.bar is not None:
            rate = self.messages / max(time.perf_counter() - self.started, 1e-6)
            self.bar.set_postfix(
                conversations=self.conversations, messages=self.messages, msg_s=f"{rate:,.0f}", refresh=False
            )

    def end_file(self, export: Any) -> None:
        if self.bar is not None:
            self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
