"""Fixtures for retrieval: the labelled corpus captured into a real SQLite file and embedded once."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from vivim.retrieval.embedding import Embedder, get_embedder
from vivim.retrieval.vectors import pending_chunks, store_vectors
from vivim.store.capture import upsert_capture
from vivim.store.connection import connect_sync
from vivim.store.migrations import apply_migrations

from .corpus import captures


def embed_pending(conn: Any, embedder: Embedder) -> int:
    """What the worker does, synchronously: embed every chunk without a vector."""
    done = 0
    while batch := pending_chunks(conn, 8):
        vectors = embedder.embed([text for _, text in batch])
        conn.execute("BEGIN IMMEDIATE")
        done += store_vectors(conn, [i for i, _ in batch], [t for _, t in batch], vectors)
        conn.execute("COMMIT")
    return done


def capture_all(conn: Any, upserts: list[Any]) -> None:
    """Store captures as the host does, one transaction each."""
    for capture in upserts:
        conn.execute("BEGIN IMMEDIATE")
        upsert_capture(conn, capture)
        conn.execute("COMMIT")


def capture_corpus(conn: Any) -> None:
    capture_all(conn, captures())


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    model = get_embedder()
    model.ensure_loaded()
    return model


@pytest.fixture(scope="session")
def corpus_template(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Path:
    path = tmp_path_factory.mktemp("corpus") / "vivim.sqlite3"
    conn = connect_sync(path)
    apply_migrations(conn)
    capture_corpus(conn)
    embed_pending(conn, embedder)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return path


@pytest.fixture
def corpus_db(tmp_path: Path, corpus_template: Path) -> Iterator[Any]:
    """A private copy of the embedded corpus, open."""
    path = tmp_path / "vivim.sqlite3"
    shutil.copy(corpus_template, path)
    conn = connect_sync(path)
    yield conn
    conn.close()


@pytest.fixture
def bare_db(tmp_path: Path) -> Iterator[Any]:
    """The corpus captured but not embedded: what a fresh install sees before the worker runs."""
    conn = connect_sync(tmp_path / "bare.sqlite3")
    apply_migrations(conn)
    capture_corpus(conn)
    yield conn
    conn.close()
