"""`vivim reindex` re-derives Markdown from raw HTML, rechunks, and embeds, against a real data dir."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from vivim.cli import main
from vivim.protocol import CaptureUpsert, ConversationIn, TurnIn
from vivim.store.capture import upsert_capture
from vivim.store.connection import connect_sync
from vivim.store.migrations import apply_migrations

HTML = "<p>Use <code>git reflog</code> to find the lost commit.</p><pre><code>git reset --hard HEAD@{2}</code></pre>"


def seed(home: Path) -> None:
    conn = connect_sync(home / "vivim.sqlite3")
    apply_migrations(conn)
    conn.execute("BEGIN IMMEDIATE")
    upsert_capture(
        conn,
        CaptureUpsert(
            conversation=ConversationIn(provider="chatgpt", external_id="c1", title="Git"),
            turns=[
                TurnIn(key="a", role="assistant", html=HTML, text="Use git reflog to find the lost commit.")
            ],
        ),
    )
    # what an older converter might have stored
    conn.execute("UPDATE messages SET markdown = 'stale markdown'")
    conn.execute("UPDATE chunks SET text = 'stale markdown'")
    conn.execute("COMMIT")
    conn.close()


def stored(home: Path) -> tuple[str, list[str], int]:
    conn = connect_sync(home / "vivim.sqlite3")
    try:
        markdown = conn.execute("SELECT markdown FROM messages").fetchone()[0]
        chunks = [r[0] for r in conn.execute("SELECT text FROM chunks ORDER BY ordinal")]
        vectors = conn.execute("SELECT COUNT(*) FROM chunk_embeddings").fetchone()[0]
        return markdown, chunks, vectors
    finally:
        conn.close()


def test_reindex_rederives_markdown_from_html_and_embeds_every_chunk(vivim_home: Path) -> None:
    seed(vivim_home)
    result = CliRunner().invoke(main, ["reindex"])
    assert result.exit_code == 0, result.output
    markdown, chunks, vectors = stored(vivim_home)
    assert "`git reflog`" in markdown and "stale" not in markdown
    assert chunks and "stale markdown" not in chunks
    assert vectors == len(chunks)
    assert "1 with new Markdown" in result.output


def test_reindex_times_the_first_pass_apart_from_building_its_model(vivim_home: Path) -> None:
    """The model is built once per user before the bar starts: the bar's rate is the first pass's own,
    and a run whose model is already built says nothing about building it."""
    from vivim.retrieval.static_model import get_static_embedder

    get_static_embedder().ensure_loaded()  # built once per user from the shipped model (cached)
    seed(vivim_home)
    result = CliRunner().invoke(main, ["reindex"])
    assert result.exit_code == 0, result.output
    assert "Building the quick first-pass model" not in result.stderr
    assert re.search(
        r"^1 chunk given a first-pass vector in \d+\.\d s \([\d,]+ chunks/s\)$", result.stdout, re.M
    )


def test_reindex_runs_as_a_command_and_leaves_embedding_to_the_worker_when_asked(vivim_home: Path) -> None:
    seed(vivim_home)
    vivim = Path(sys.executable).with_name("vivim")
    command = [str(vivim)] if vivim.exists() else [sys.executable, "-m", "vivim"]
    done = subprocess.run(
        [*command, "reindex", "--no-embed"],
        capture_output=True,
        text=True,
        env={**os.environ, "VIVIM_HOME": str(vivim_home)},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert re.search(r"^\d+ chunks? waiting for the embedding worker$", done.stdout, re.M)
    markdown, chunks, vectors = stored(vivim_home)
    assert "stale" not in markdown and vectors == 0


def test_reindex_parses_the_stored_provider_payloads_again(vivim_home: Path) -> None:
    """A turn the parser of the time missed (or got wrong) comes back from the raw payload kept beside it."""
    import json

    from tests.support import payloads
    from vivim.importers.network import parse
    from vivim.store import raw

    conv_id = "4a3b2c1d-0e9f-8a7b-6c5d-4e3f2a1b0c9d"
    body = json.dumps(payloads.chatgpt_conversation(conv_id, 6)).encode()
    conn = connect_sync(vivim_home / "vivim.sqlite3")
    apply_migrations(conn)
    conn.execute("BEGIN IMMEDIATE")
    parsed = parse("chatgpt", conv_id, body)
    parsed.capture.source = "network"
    parsed.capture.turns = parsed.capture.turns[:4]  # what an older parser made of it
    upsert_capture(conn, parsed.capture)
    raw.put(conn, "chatgpt", conv_id, "chatgpt.conversation", None, body)
    conn.execute("COMMIT")
    conn.close()

    result = CliRunner().invoke(main, ["reindex", "--no-embed"])
    assert result.exit_code == 0, result.output
    assert "1 provider payloads parsed again: 2 turns added" in result.output
    conn = connect_sync(vivim_home / "vivim.sqlite3")
    try:
        texts = {r[0] for r in conn.execute("SELECT text FROM messages")}
        status = conn.execute(
            "SELECT completeness, turns_stored, turns_expected FROM conversations"
        ).fetchone()
    finally:
        conn.close()
    assert texts == {payloads.turn_text(i) for i in range(6)}
    assert tuple(status) == ("complete", 6, 6)


def test_a_second_reindex_says_meaning_search_is_up_to_date(vivim_home: Path) -> None:
    seed(vivim_home)
    assert CliRunner().invoke(main, ["reindex"]).exit_code == 0
    again = CliRunner().invoke(main, ["reindex"])
    assert again.exit_code == 0, again.output
    assert "Meaning search is up to date: every chunk has its vectors." in again.output
    assert "embedded in" not in again.output


def test_a_reindex_started_while_another_runs_waits_for_it_instead_of_doing_the_work_twice(
    vivim_home: Path,
) -> None:
    """Two runs at once each embedded every pending chunk. The second waits for the first's lock."""
    import threading

    from vivim.config import Paths
    from vivim.singleton import DataDirLock

    seed(vivim_home)
    vivim = Path(sys.executable).with_name("vivim")
    command = [str(vivim)] if vivim.exists() else [sys.executable, "-m", "vivim"]
    first = DataDirLock(Paths(vivim_home).reindex_lock)  # the run already at work
    assert first.try_acquire()
    second = subprocess.Popen(
        [*command, "reindex", "--no-embed"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "VIVIM_HOME": str(vivim_home)},
    )
    said: list[str] = []

    def read_until_waiting() -> None:
        assert second.stderr is not None
        for line in second.stderr:
            said.append(line)
            if "waiting for it to finish" in line:
                return

    try:
        reader = threading.Thread(target=read_until_waiting, daemon=True)
        reader.start()
        reader.join(timeout=60)
        assert said and "Another `vivim reindex` is running on this data directory" in said[-1], said
        assert second.poll() is None and "stale" in stored(vivim_home)[0]  # waiting, not working
        first.release()
        out, err = second.communicate(timeout=120)
        assert second.returncode == 0, err
        assert "stale" not in stored(vivim_home)[0]
    finally:
        first.release()
        if second.poll() is None:
            second.kill()


def test_after_an_import_gave_every_chunk_its_first_pass_vector_reindex_only_refines(
    vivim_home: Path,
) -> None:
    """An import makes its chunks searchable by the first pass at once: reindex then has no first pass
    to run, and shows none (it drew a bar that never moved and "0 chunks given a first-pass vector")."""
    from vivim.retrieval.reindex import first_pass_all, rederive_all

    seed(vivim_home)
    conn = connect_sync(vivim_home / "vivim.sqlite3")
    try:
        rederive_all(conn, force=False)
        assert first_pass_all(conn) > 0
    finally:
        conn.close()
    result = CliRunner().invoke(main, ["reindex"])
    assert result.exit_code == 0, result.output
    assert "first-pass vector" not in result.output and "first pass" not in result.output
    assert re.search(r"\b1 chunk embedded in \d+ s", result.output), result.output
