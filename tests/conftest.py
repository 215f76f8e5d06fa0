"""Fixtures shared by the whole suite: a private data directory, a store, a host process."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from platformdirs import user_cache_dir

from tests.support.hostproc import HostProcess
from vivim.store import Store

# One int8 copy of the embedding model for the whole run (vivim.retrieval.quantize builds it once per
# user): tests give every host and browser its own HOME, and each process would otherwise rebuild it
# in the background (~20 s of CPU each), starving the real-browser tests that run beside it. This is
# the cache a person's machine has; tests of the conversion itself point elsewhere.
os.environ.setdefault("VIVIM_MODEL_CACHE", str(Path(user_cache_dir("vivim", appauthor=False)) / "models"))


@pytest.fixture
def vivim_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "vivim-home"
    home.mkdir()
    monkeypatch.setenv("VIVIM_HOME", str(home))
    monkeypatch.setenv("VIVIM_SERVICES", "none")
    return home


@pytest.fixture
async def store(vivim_home: Path) -> AsyncIterator[Store]:
    s = await Store.open(vivim_home / "vivim.sqlite3")
    yield s
    await s.close()


@pytest.fixture
def host(vivim_home: Path) -> Iterator[HostProcess]:
    proc = HostProcess(vivim_home)
    yield proc
    if proc.proc.poll() is None:
        proc.close()
