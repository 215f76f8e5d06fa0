"""The popup's search in real headless Chromium with the real extension and host: it warms the
model, says when meaning search is incomplete, says "No close matches", and once everything is
embedded answers a paraphrase without any caveat."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.e2e.harness import Browser, chromium_missing_reason, wait_for
from vivim.retrieval.embedding import get_embedder
from vivim.retrieval.index_status import COUNT_TTL
from vivim.retrieval.reindex import first_pass_all
from vivim.store.capture import upsert_capture
from vivim.store.connection import connect_sync
from vivim.store.migrations import apply_migrations

from .conftest import embed_pending
from .corpus import captures

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(chromium_missing_reason() is not None, reason=str(chromium_missing_reason())),
]


def seed(vivim_home: Path) -> int:
    vivim_home.mkdir(parents=True, exist_ok=True)
    conn = connect_sync(vivim_home / "vivim.sqlite3")
    apply_migrations(conn)
    for capture in captures():
        conn.execute("BEGIN IMMEDIATE")
        upsert_capture(conn, capture)
        conn.execute("COMMIT")
    chunks = conn.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
    conn.close()
    return chunks


def embed_everything(vivim_home: Path) -> None:
    """What the worker would have done: every chunk its MiniLM vector, and every chunk looked at for
    another language (until then an answer is not complete)."""
    from vivim.retrieval import multilingual_model
    from vivim.retrieval.reindex import multilingual_all

    conn = connect_sync(vivim_home / "vivim.sqlite3")
    try:
        embedder = get_embedder()
        embedder.ensure_loaded()
        embed_pending(conn, embedder)
        if multilingual_model.available():
            multilingual_all(conn, multilingual_model.MultilingualEmbedder(threads=1), workers=1)
    finally:
        conn.close()


def test_popup_search_states_from_words_only_to_complete(tmp_path: Path) -> None:
    chunks = seed(tmp_path / "vivim-home")
    browser = Browser(tmp_path)  # VIVIM_SERVICES=none: no worker embeds in the background
    try:
        popup = browser.open_popup()
        wait_for(lambda: "Host connected" in popup.inner_text("#host-status"), what="the host status")
        popup.fill("#q", "sourdough starter")
        first = popup.locator("#results li").first
        first.wait_for()
        assert "Sourdough" in first.locator(".title").inner_text()
        state = wait_for(lambda: popup.inner_text("#search-state"), what="the search state line")
        assert f"Meaning search: 0 of {chunks:,} indexed" in state

        popup.fill("#q", "zzqxnotathing")
        wait_for(
            lambda: (
                popup.locator("#results li").count() == 0
                and "No close matches" in popup.inner_text("#search-note")
            ),
            what="no close matches",
        )

        embed_everything(browser.vivim_home)  # what the worker would have done
        time.sleep(COUNT_TTL + 0.5)  # the host reuses a count this long (a wait, not a timing assertion)
        popup.fill("#q", "my kitten urinates outside its tray")
        wait_for(
            lambda: (
                popup.locator("#results li").count() > 0
                and "litter" in popup.locator("#results li .title").first.inner_text().lower()
                and popup.inner_text("#search-state").strip() == ""
            ),
            timeout=30,
            what="a complete hybrid answer with no caveat",
        )
        assert browser.dialogs == []
    finally:
        browser.close()


def test_popup_finds_by_meaning_over_a_first_pass_and_says_minilm_is_still_refining(tmp_path: Path) -> None:
    chunks = seed(tmp_path / "vivim-home")
    conn = connect_sync(tmp_path / "vivim-home" / "vivim.sqlite3")
    try:
        assert first_pass_all(conn) == chunks  # what the worker's fast pass does first
    finally:
        conn.close()
    browser = Browser(tmp_path)  # VIVIM_SERVICES=none: MiniLM never refines anything here
    try:
        popup = browser.open_popup()
        wait_for(lambda: "Host connected" in popup.inner_text("#host-status"), what="the host status")
        popup.fill("#q", "my kitten urinates outside its tray")  # a paraphrase: no word in common
        wait_for(
            lambda: (
                popup.locator("#results li").count() > 0
                and "litter" in popup.locator("#results li .title").first.inner_text().lower()
            ),
            timeout=30,
            what="a meaning match from the first pass",
        )
        state = wait_for(lambda: popup.inner_text("#search-state"), what="the search state line")
        assert f"all {chunks:,} searchable by a quick first pass; refining 0 of {chunks:,}" in state
        assert browser.dialogs == []
    finally:
        browser.close()
