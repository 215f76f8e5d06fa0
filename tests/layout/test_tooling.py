"""Lint, format, type and import-contract checks run with the test suite (the README's test command).

Each check is the same command `make lint` / `make typecheck` runs, so a failure here reads the
same as there. tests/run.sh installs the tools (the `dev` extra, and `npm ci` for eslint and tsc).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
NODE_BIN = ROOT / "node_modules" / ".bin"


def run(*command: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(c) for c in command], cwd=ROOT, capture_output=True, text=True, timeout=600)


def assert_clean(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, (
        f"{result.args[0]} failed:\n{result.stdout[-6000:]}\n{result.stderr[-3000:]}"
    )


def test_ruff_finds_nothing_to_lint() -> None:
    assert_clean(run(BIN / "ruff", "check", "host", "tests", "bench", ".ci"))


def test_the_code_is_formatted_as_ruff_formats_it() -> None:
    assert_clean(run(BIN / "ruff", "format", "--check", "host", "tests", "bench", ".ci"))


def test_mypy_passes_on_the_host_package() -> None:
    assert_clean(run(BIN / "mypy"))


def test_the_import_contracts_hold() -> None:
    assert_clean(run(BIN / "lint-imports"))


def node_tool(name: str) -> Path:
    tool = NODE_BIN / name
    if not tool.exists():
        if shutil.which("npm") is None:
            pytest.skip("npm is not installed (tests/run.sh installs it where it may): JS checks skipped")
        pytest.fail(f"{tool} is missing: run `npm ci` (tests/run.sh does)")
    return tool


def test_eslint_finds_nothing_in_the_extension_and_the_web_pages() -> None:
    assert_clean(run(node_tool("eslint"), "extension", "host/vivim/web/static/js", "eslint.config.mjs"))


@pytest.mark.parametrize("project", ["extension/tsconfig.json", "extension/background/tsconfig.json"])
def test_the_adapters_and_the_worker_messages_type_check(project: str) -> None:
    assert_clean(run(node_tool("tsc"), "-p", project))
