"""Firefox fixtures: a fresh profile, HOME and VIVIM data directory per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .harness import FirefoxBrowser, firefox_missing_reason, make_profile_template


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = firefox_missing_reason()
    if reason is None:
        return
    for item in items:
        if "firefox" in item.keywords:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def firefox_profile_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_profile_template(tmp_path_factory.mktemp("firefox-template"))


@pytest.fixture
def firefox(tmp_path: Path, firefox_profile_template: Path) -> Iterator[FirefoxBrowser]:
    browser = FirefoxBrowser(tmp_path, template=firefox_profile_template)
    yield browser
    browser.close()
