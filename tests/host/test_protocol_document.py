"""docs/protocol.md and the host's handlers describe the same protocol, message for message."""

from __future__ import annotations

import re
from pathlib import Path

from vivim.handlers import ROUTES
from vivim.protocol import ERROR_CODES

DOC = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"


def documented_messages() -> set[str]:
    text = DOC.read_text(encoding="utf-8")
    names: set[str] = set()
    for heading in re.findall(r"^###\s+(.+)$", text, flags=re.M):
        names.update(re.findall(r"`([a-z]+(?:\.[a-z_]+)*)`", heading))
    return names


def test_every_handled_message_is_documented_and_every_documented_one_is_handled() -> None:
    assert documented_messages() == set(ROUTES)


def test_every_error_code_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert {code for code in ERROR_CODES if f"`{code}`" not in text} == set()


def test_every_error_the_host_can_raise_has_a_documented_code() -> None:
    from vivim import errors

    raised = {
        cls.code
        for cls in vars(errors).values()
        if isinstance(cls, type) and issubclass(cls, errors.VivimError)
    }
    assert raised - set(ERROR_CODES) == set()


def test_every_payload_class_lives_in_protocol_py() -> None:
    assert {route.payload.__module__ for route in ROUTES.values()} == {"vivim.protocol"}


def test_every_error_class_lives_in_errors_py() -> None:
    """An error class elsewhere would escape the documentation test above (and its HTTP status)."""
    import ast

    from vivim import errors

    names = {
        name for name, cls in vars(errors).items() if isinstance(cls, type) and issubclass(cls, Exception)
    }
    package = Path(errors.__file__).parent
    elsewhere = []
    for path in package.rglob("*.py"):
        if path.name == "errors.py" and path.parent == package:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and any(
                (isinstance(b, ast.Name) and b.id in names)
                or (isinstance(b, ast.Attribute) and b.attr in names)
                for b in node.bases
            ):
                elsewhere.append(f"{path.relative_to(package)}:{node.name}")
    assert elsewhere == []
