"""What people see while pairing, with two real `vivim pair` processes: a short default wait, the
waiting device told about a wrong code, one sentence on each side when it fails, no tracebacks."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.sync.peers import node_env, vivim_command
from vivim.cli import main

pytestmark = pytest.mark.slow


def test_the_default_wait_is_two_minutes() -> None:
    help_text = CliRunner().invoke(main, ["pair", "--help"]).output
    assert "[default: 120.0; 5<=x<=3600]" in help_text


def test_a_wrong_code_is_news_on_both_sides_and_expiry_is_one_sentence(tmp_path: Path) -> None:
    offer = subprocess.Popen(
        [*vivim_command(), "pair", "--timeout", "15"],
        env=node_env(tmp_path / "a", "laptop"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    addr = None
    while addr is None:
        line = offer.stdout.readline()  # type: ignore[union-attr]
        assert line, "".join(lines) + offer.stderr.read()  # type: ignore[union-attr]
        lines.append(line)
        if m := re.search(r"address: (\S+)", line):
            addr = m.group(1)
    assert "(works once, for 15 seconds)" in lines[0]
    joiner = subprocess.run(
        [*vivim_command(), "pair", "WRNG-CDE2", "--addr", addr],
        capture_output=True,
        text=True,
        timeout=90,
        env=node_env(tmp_path / "b", "desk"),
    )
    out, err = offer.communicate(timeout=60)
    assert joiner.returncode == 1
    assert joiner.stderr.strip().splitlines() == [
        "Error: The other device did not accept the code. Check it (a code works once, for a few minutes), or run "
        "`vivim pair` there again for a new one."
    ]
    assert "Someone tried a wrong code (1 of 3)" in out and "2 more tries" in out
    assert offer.returncode == 1
    assert err.strip().splitlines() == [
        "Error: No device joined within 15 seconds, so the code expired. Run `vivim pair` again when the other "
        "device is ready."
    ]
    assert "Traceback" not in out + err + joiner.stdout + joiner.stderr
