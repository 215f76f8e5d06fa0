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
    "import", short_help="Import ChatGPT, Claude, Gemini or AI Studio exports, or coding agents' logs."
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
    """Import an export file, folder or ZIP from ChatGPT, Claude, Gemini (Google Takeout) or AI Studio (its
    Drive folder), or coding agents' session logs (a file, a folder such as ~/.claude/projects, or --agents
    for all of them)."""
    from ..importers import find_export_files, import_path
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
    files = run_sync(find_export_files, path, provider, as_json=as_json)
    started = time.perf_counter()
    bar = _Bar(enabled=not quiet)
    try:
        summary = run(
            _with_store(
                lambda store: import_path(
                    store, path, provider=provider, batch_size=batch_size, progress=bar, files=files
                )
            ),
            as_json,
        )
    finally:
        bar.close()
    elapsed = time.perf_counter() - started
    if as_json:
        from ._common import echo_json

        echo_json(summary.as_dict() | {"seconds": round(elapsed, 3)})
    else:
        _print_summary(summary, elapsed)
    if summary.errors:
        # Some file could not be read to its end: what came before it is stored, but say so.
        raise SystemExit(1)


def _import_agent_logs(path: Path | None, provider: str | None, as_json: bool) -> None:
    from ..importers.agent_logs import import_logs

    started = time.perf_counter()
    summary = run(_with_store(lambda store: import_logs(store, path, provider=provider)))
    elapsed = time.perf_counter() - started
    if as_json:
        from ._common import echo_json

        echo_json(summary | {"seconds": round(elapsed, 3)})
    else:
        click.echo(
            f"Imported {summary['files']} session log(s) into {summary['conversations']} conversations: "
            f"{summary['turns']} turns read, {summary['stored']} new or changed, in {elapsed:.1f}s."
        )
        if summary["bad_lines"]:
            click.echo(f"  skipped {summary['bad_lines']} line(s) that were not JSON records")
        for error in summary["errors"]:
            click.echo(f"  error: {error}", err=True)
    if not summary["files"]:
        raise click.ClickException(
            "found no Claude Code, Codex or Gemini CLI session logs"
            + (f" in {path}" if path else " in their usual places")
        )
    if summary["errors"]:
        raise SystemExit(1)


def _print_summary(summary: Any, elapsed: float) -> None:
    rate = summary.messages / elapsed if elapsed > 0 else 0.0
    click.echo(
        f"Imported {summary.conversations} conversations ({summary.conversations_created} new, "
        f"{summary.conversations_changed} changed) and {summary.messages} messages "
        f"in {elapsed:.1f}s ({rate:,.0f} messages/s)."
    )
    click.echo(
        f"  messages: {summary.inserted} new, {summary.updated} updated, {summary.unchanged} unchanged, "
        f"{summary.merged} merged with live captures, {summary.branched} new branches"
    )
    if summary.deleted_skipped:
        click.echo(deleted_skipped_line(summary.deleted_skipped))
    if summary.skipped.total:
        from ..importers.common import describe_skip

        expected: list[tuple[int, str]] = []
        problems: list[tuple[int, str]] = []
        for reason, count in sorted(summary.skipped.reasons.items(), key=lambda kv: (-kv[1], kv[0])):
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
    for error in summary.errors:
        click.echo(f"  error: {error}", err=True)


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
