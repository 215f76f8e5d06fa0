"""docs/protocol.md and the host's handlers describe the same protocol, message for message."""

from __future__ import annotations

import re
from pathlib import Path

from vivim.handlers import load_handlers
from vivim.protocol import ERROR_CODES

DOC = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"


def documented_messages() -> set[str]:
    text = DOC.read_text(encoding="utf-8")
    names: set[str] = set()
    for heading in re.findall(r"^###\s+(.+)$", text, flags=re.M):
        names.update(re.findall(r"`([a-z]+(?:\.[a-z_]+)*)`", heading))
    return names


def test_every_handled_message_is_documented_and_every_documented_one_is_handled() -> None:
    assert documented_messages() == set(load_handlers())


def test_every_error_code_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert {code for code in ERROR_CODES if f"`{code}`" not in text} == set()


def test_every_error_the_host_can_raise_has_a_documented_code() -> None:
    from vivim import errors

    raised = {cls.code for cls in vars(errors).values()
              if isinstance(cls, type) and issubclass(cls, errors.VivimError)}
    assert raised - set(ERROR_CODES) == set()
