"""`vivim reindex`: rebuild Markdown, chunks and vectors from the stored raw captures."""

from __future__ import annotations

import sys
import time
from typing import Any

import click

from ._common import counted


@click.command("reindex", short_help="Rebuild Markdown, chunks and vectors.")
@click.option("--all", "force", is_flag=True, help="Rechunk and re-embed every message, even unchanged ones.")
@click.option(
    "--no-embed", is_flag=True, help="Only re-derive Markdown and chunks; the host's worker embeds later."
)
@click.option(
    "--workers",
    type=click.IntRange(1, 16),
    default=None,
    help="Chunks embedded at once (default: one per core, up to 4).",
)
def reindex_command(force: bool, no_embed: bool, workers: int | None) -> None:
    """Re-derive each message's Markdown from its raw HTML, rechunk it, and embed what needs it."""
    from tqdm import tqdm

    from ..config import Paths
    from ..retrieval.reindex import embed_all_pending, pending_count, rederive_all
    from ..store.connection import connect_sync
    from ..store.migrations import apply_migrations

    paths = Paths.default()  # the data directory, created on first use
    lock = _one_reindex_at_a_time(paths.reindex_lock)
    conn = connect_sync(paths.db)
    try:
        apply_migrations(conn)
        from ..importers.network import reparse_stored

        reparsed = reparse_stored(conn)  # the providers' raw conversation payloads, parsed again
        if reparsed.conversations or reparsed.refused:
            click.echo(
                f"{reparsed.conversations} provider payloads parsed again: {reparsed.inserted} turns added,"
                f" {reparsed.updated} updated, {reparsed.refused} refused"
            )
        total = conn.execute("SELECT COUNT(*) FROM messages").fetchone()[0]
        with tqdm(total=total, unit="msg", desc="chunks", file=sys.stderr) as bar:
            result = rederive_all(conn, force=force, progress=bar.update)
        click.echo(
            f"{result.messages} messages: {result.markdown_changed} with new Markdown,"
            f" {result.rechunked} rechunked"
        )
        if no_embed:
            click.echo(f"{counted(pending_count(conn), 'chunk')} waiting for the embedding worker")
            return
        from ..retrieval import multilingual, multilingual_model

        if not pending_count(conn) and not (
            multilingual.counts(conn)["pending"] and multilingual_model.available()
        ):
            click.echo("Meaning search is up to date: every chunk has its vectors.")
            return
        if pending_count(conn):
            _first_pass(conn)
            from ..retrieval.embedding import Embedder

            # One intra-op thread per run, several runs at once (vivim.retrieval.backfill): all cores, no spinning.
            embedder = Embedder(threads=1, wait_for_int8=True)
            started = time.perf_counter()
            with tqdm(total=pending_count(conn), unit="chunk", desc="vectors", file=sys.stderr) as bar:
                embedded = embed_all_pending(conn, embedder, progress=bar.update, workers=workers)
            seconds = time.perf_counter() - started
            click.echo(
                f"{counted(embedded, 'chunk')} embedded in {seconds:.0f} s"
                f" ({embedded / max(seconds, 1e-9):.0f} chunks/s)"
            )
        _multilingual(conn, workers)
    finally:
        conn.close()
        lock.release()


def _one_reindex_at_a_time(path: Any) -> Any:
    """The data directory's reindex lock: two runs at once both embedded every pending chunk (808
    MiniLM runs for 488 chunks), each slowing the other. A second run waits for the first, then
    finds what is left (usually nothing)."""
    from ..singleton import DataDirLock

    lock = DataDirLock(path)
    if lock.try_acquire():
        return lock
    click.echo(
        "Another `vivim reindex` is running on this data directory: waiting for it to finish...", err=True
    )
    while not lock.try_acquire():
        time.sleep(1.0)
    return lock


def _first_pass(conn: Any) -> None:
    """The fast first pass: meaning search covers every chunk within minutes, then MiniLM refines. An
    import has usually given it already: then there is nothing to show."""
    from tqdm import tqdm

    from ..errors import Unavailable
    from ..retrieval.first_pass import pending_count as first_pass_backlog
    from ..retrieval.reindex import first_pass_all, pending_count

    if not first_pass_backlog(conn, cap=1):
        return
    try:
        _build_first_pass_model(conn)
        started = time.perf_counter()
        backlog = first_pass_backlog(conn, cap=pending_count(conn))
        with tqdm(total=backlog, unit="chunk", desc="first pass", file=sys.stderr) as bar:
            quick = first_pass_all(conn, progress=bar.update)
        seconds = time.perf_counter() - started
        click.echo(
            f"{counted(quick, 'chunk')} given a first-pass vector in {seconds:.1f} s"
            + (f" ({quick / seconds:,.0f} chunks/s)" if quick and seconds > 0 else "")
        )
    except Unavailable as exc:
        click.echo(f"first pass skipped: {exc.message}")


def _multilingual(conn: Any, workers: int | None) -> None:
    """The chunks not in English get their multilingual vector (vivim.retrieval.multilingual)."""
    from tqdm import tqdm

    from ..errors import Unavailable
    from ..retrieval import multilingual, multilingual_model
    from ..retrieval.reindex import multilingual_all

    if not multilingual_model.available():
        click.echo(
            "other languages: the multilingual model is not installed on this platform (English model only)"
        )
        return
    left = multilingual.counts(conn)["pending"]
    if not left:
        return
    embedder = multilingual_model.MultilingualEmbedder(threads=1)
    started = time.perf_counter()
    try:
        with tqdm(total=left, unit="chunk", desc="other languages", file=sys.stderr) as bar:
            written = multilingual_all(conn, embedder, progress=bar.update, workers=workers)
    except Unavailable as exc:
        click.echo(f"other languages skipped: {exc.message}")
        return
    seconds = time.perf_counter() - started
    click.echo(f"{counted(written, 'chunk')} not in English given a multilingual vector in {seconds:.0f} s")


def _build_first_pass_model(conn: Any) -> None:
    """Build the first-pass model before its progress bar, and say so: the build is once per user
    (~30k short MiniLM runs, a minute or so), and timed inside the bar it read as seconds per chunk."""
    from ..retrieval.first_pass import pending_count as first_pass_backlog
    from ..retrieval.static_model import get_static_embedder

    embedder = get_static_embedder()
    if embedder.loaded or not first_pass_backlog(conn, cap=1):
        return
    if not embedder.ready_to_load():
        click.echo(
            "Building the quick first-pass model from the shipped one: once for this user, a minute or two "
            "(later runs and imports reuse it)...",
            err=True,
        )
    started = time.perf_counter()
    embedder.ensure_loaded()
    seconds = time.perf_counter() - started
    if seconds >= 1:
        click.echo(f"first-pass model ready in {seconds:.0f} s", err=True)
