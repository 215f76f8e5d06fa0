"""`vivim search`, `vivim stats` and `vivim serve`."""

from __future__ import annotations

import asyncio
import re
import sys
from typing import Any, Literal

import click

from .. import providers
from ._common import counted, echo_json, run, with_store

FENCE = re.compile(r"(^|\s|\u0003)`{3,}[\w+#.-]*")


def _highlight(snippet: str) -> str:
    """Turn the protocol's hit markers into terminal bold (or nothing when piped); Markdown code
    fences (```python) mean nothing in a one-line snippet, so they go."""
    start, end = ("\x1b[1m", "\x1b[0m") if sys.stdout.isatty() else ("", "")
    snippet = FENCE.sub(r"\1", snippet)
    return snippet.replace("\u0002", start).replace("\u0003", end).replace("\n", " ")


@click.command("search", short_help="Search everything (words and meaning).")
@click.argument("query", nargs=-1, required=True)
@click.option("--provider", type=click.Choice(providers.KEYS))
@click.option("--limit", default=10, show_default=True, help="Conversations to show.")
@click.option("--fulltext", is_flag=True, help="Words only: skip loading the embedding model (~1 s).")
@click.option("--json", "as_json", is_flag=True, help="Print the protocol's search result as JSON.")
def search_command(
    query: tuple[str, ...], provider: str | None, limit: int, fulltext: bool, as_json: bool
) -> None:
    """Search everything captured and imported (words and meaning)."""
    from ..handlers.retrieval import search as search_handler
    from ..protocol import Search

    if not " ".join(query).strip():
        raise click.UsageError('give the words to search for, e.g. vivim search "sourdough starter"')

    async def go() -> dict[str, Any]:
        from ..config import Paths
        from ..runtime import Runtime

        runtime = await Runtime.open(Paths.default())
        if not fulltext:
            # A one-shot process has no warm model: load it first, or search falls back to words.
            # Counting embedded chunks before and after the load (~1 s) measures a running backfill
            # (the browser's host or `vivim serve` embeds meanwhile): the reply can give an ETA.
            from ..retrieval import index_status
            from ..retrieval.embedding import get_embedder

            await runtime.store.read(index_status.counts)
            await asyncio.to_thread(get_embedder().ensure_loaded)
            index_status.forget_counts()
        try:
            mode: Literal["fulltext", "hybrid"] = "fulltext" if fulltext else "hybrid"
            return await search_handler(
                runtime, Search(query=" ".join(query), provider=provider, limit=limit, mode=mode)
            )
        finally:
            await runtime.close()

    result = run(go(), as_json)
    if as_json:
        echo_json(result)
        return
    from ..retrieval.index_status import describe

    index = result.get("index") or {}
    state = None if fulltext else describe(index, result.get("modes"))
    if state and index.get("pending") and not index.get("rate"):
        from ..retrieval.index_status import catch_up

        state += f" Nothing is indexing now: {catch_up()}."  # no host or `vivim serve` is at work
    if state:
        click.secho(state, fg="yellow", err=True)  # the answer is partial: say so, apart from the results
    if not result["results"]:
        partial = "" if result.get("complete", True) else " (meaning search is not complete)"
        click.echo("No close matches." + partial)
        return
    for group in result["results"]:
        conv = group["conversation"]
        weak = "  (weak match)" if group.get("match") == "weak" else ""
        when = f"  {_day(conv['updated_at'])}" if conv.get("updated_at") else ""
        click.secho(f"{conv['title'] or '(untitled)'}  [{conv['provider']}]{when}{weak}", bold=True)
        if conv.get("url"):
            click.echo(f"  {conv['url']}")
        for hit in group["hits"]:
            click.echo(f"  {_label(hit):>9}: {_highlight(hit['snippet'])}")
        click.echo()


def _day(timestamp: float) -> str:
    """The conversation's last activity as a local date, as the web app shows it."""
    from datetime import datetime

    return datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d")


def _label(hit: dict[str, Any]) -> str:
    """Who said it: the role, or for the turns around an answer what they are ("thinking", "sources")."""
    kind = hit.get("kind")
    return str(kind).replace("_", " ") if kind else str(hit["role"])


@click.command("stats", short_help="Counts per provider, capture health.")
@click.option("--json", "as_json", is_flag=True)
def stats_command(as_json: bool) -> None:
    """How much is captured, per provider, and capture health per site."""
    from ..store.stats import get_stats

    stats = run(with_store(get_stats), as_json)
    if as_json:
        echo_json(stats)
        return
    click.echo(f"Conversations: {stats['conversations']}")
    click.echo(f"Messages:      {stats['messages']}")
    click.echo(f"Chunks:        {stats['chunks']} ({stats['embedded_chunks']} embedded)")
    for provider, counts in sorted(stats["by_provider"].items()):
        conversations = counted(counts["conversations"], "conversation")
        click.echo(f"  {provider:<10} {conversations:>19} {counted(counts['messages'], 'message'):>16}")
    counts = stats["completeness"]
    click.echo(
        f"Completeness:  {counts['complete']} complete, {counts['partial']} partial,"
        f" {counts['unknown']} unknown (not checked against the provider's own copy)"
    )
    for provider, health in sorted(stats["adapter_health"].items()):
        state = "ok" if health["ok"] else f"BROKEN: {health['problem']}"
        click.echo(f"  capture on {provider}: {state}")
        if health.get("warning"):
            click.echo(f"    warning: {health['warning']}")
