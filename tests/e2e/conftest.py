"""Browser fixtures: a fresh profile, HOME and VIVIM data directory per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .harness import Browser, chromium_missing_reason


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = chromium_missing_reason()
    if reason is None:
        return
    for item in items:
        if "browser" in item.keywords and "firefox" not in item.keywords:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    b = Browser(tmp_path)
    yield b
    b.close()
