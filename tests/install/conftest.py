"""Fixtures shared by the installer tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """An empty HOME: the tests create exactly the browser folders they need in it."""
    path = tmp_path / "home"
    path.mkdir()
    return path
