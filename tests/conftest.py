"""Fixtures shared by the whole suite: a private data directory, a store, a host process."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.support.hostproc import HostProcess
from vivim.store import Store


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
