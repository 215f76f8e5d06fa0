"""docs/cli.md and the command line describe the same commands and options, in both directions."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from vivim.cli import main

DOC = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


def commands(command: click.Command = main, path: str = "vivim") -> Iterator[tuple[str, click.Command]]:
    if path != "vivim":
        yield path, command
    if isinstance(command, click.Group):
        for name, sub in sorted(command.commands.items()):
            yield from commands(sub, f"{path} {name}")


def sections() -> dict[str, str]:
    """`### \\`vivim ...\\`` heading -> the text under it."""
    parts = re.split(r"^###\s+`([^`]+)`\s*$", DOC.read_text(encoding="utf-8"), flags=re.M)
    return {parts[i].strip(): parts[i + 1] for i in range(1, len(parts) - 1, 2)}


def test_every_command_is_documented_and_every_documented_command_exists() -> None:
    assert set(sections()) == {path for path, _ in commands()}


@pytest.mark.parametrize(("path", "command"), list(commands()), ids=lambda v: v if isinstance(v, str) else "")
def test_every_option_and_argument_is_documented(path: str, command: click.Command) -> None:
    text = sections()[path]
    missing = []
    for param in command.params:
        if isinstance(param, click.Option) and param.hidden:
            continue  # kept for old scripts and absent from --help, so absent here too
        if isinstance(param, click.Option):
            if not any(opt in text for opt in param.opts if opt.startswith("--")):
                missing.append(param.opts[0])
        elif param.name is not None and param.name.upper() not in text:
            missing.append(param.name.upper())
    assert missing == []


def test_help_works_for_every_command() -> None:
    from click.testing import CliRunner

    runner = CliRunner()
    for path, _ in commands():
        result = runner.invoke(main, [*path.split()[1:], "--help"])
        assert result.exit_code == 0 and "Usage:" in result.output, path
