"""Firefox fixtures: one Firefox for the suite; per test a fresh VIVIM data directory, host
registration and extension install (see FirefoxBrowser.fresh)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .harness import FirefoxBrowser, firefox_missing_reason


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = firefox_missing_reason()
    if reason is None:
        return
    for item in items:
        if "firefox" in item.keywords:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """A failed Firefox test shows what Firefox and the host wrote to stderr (native messaging errors)."""
    outcome = yield
    report = outcome.get_result()
    browser = item.funcargs.get("firefox_shell") if hasattr(item, "funcargs") else None
    if report.failed and isinstance(browser, FirefoxBrowser):
        report.sections.append(("Firefox and host stderr (last lines)", browser.log()))


@pytest.fixture(scope="package")  # closed when the last Firefox test is done
def firefox_shell(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FirefoxBrowser]:
    browser = FirefoxBrowser(tmp_path_factory.mktemp("firefox"))
    yield browser
    browser.close()


@pytest.fixture
def firefox(firefox_shell: FirefoxBrowser, tmp_path: Path) -> FirefoxBrowser:
    """The extension freshly installed, the host registered for a new, empty VIVIM data directory."""
    return firefox_shell.fresh(tmp_path / "vivim-home")


@pytest.fixture
def firefox_without_host(firefox_shell: FirefoxBrowser, tmp_path: Path) -> FirefoxBrowser:
    """The extension freshly installed and no host manifest: as if VIVIM's host were never installed."""
    return firefox_shell.fresh(tmp_path / "vivim-home", register=False)
