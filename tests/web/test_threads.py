"""Branches and the default path of a conversation, as the reader shows them."""

from __future__ import annotations

from typing import Any

from vivim.web.queries import annotate_threads


def msg(
    id: int, key: str, parent: str | None, position: int, current: bool | None = None, created: float = 0.0
) -> dict[str, Any]:
    return {
        "id": id,
        "key": key,
        "parent_key": parent,
        "position": position,
        "is_current": current,
        "created_at": created or float(id),
    }


def test_a_linked_thread_without_siblings_has_no_branches() -> None:
    messages = [msg(1, "u1", None, 0), msg(2, "a1", "u1", 1), msg(3, "u2", "a1", 2)]
    assert annotate_threads(messages) == {"branches": [], "default_path": ["u1", "a1", "u2"]}


def test_siblings_under_one_parent_are_branches_and_the_current_one_is_shown() -> None:
    messages = [
        msg(1, "u1", None, 0),
        msg(2, "a1", "u1", 1, current=True),
        msg(3, "a2", "u1", 1, current=False),
        msg(4, "u2", "a1", 2),
        msg(5, "u3", "a2", 2),
    ]
    result = annotate_threads(messages)
    assert result["branches"] == [{"parent": "u1", "keys": ["a1", "a2"], "default": "a1"}]
    assert result["default_path"] == ["u1", "a1", "u2"]


def test_without_a_current_mark_the_newest_sibling_is_shown() -> None:
    messages = [msg(1, "u1", None, 0), msg(2, "a1", "u1", 1, created=10), msg(3, "a1~x", "u1", 1, created=20)]
    assert annotate_threads(messages)["default_path"] == ["u1", "a1~x"]


def test_a_turn_whose_parent_was_never_captured_hangs_from_the_root() -> None:
    messages = [msg(1, "u1", None, 0), msg(2, "a9", "missing", 5)]
    result = annotate_threads(messages)
    assert result["branches"] == [{"parent": "", "keys": ["u1", "a9"], "default": "a9"}]
    assert {m["key"]: m["thread_parent"] for m in messages} == {"u1": "", "a9": ""}


def test_turns_in_a_parent_cycle_are_still_reachable() -> None:
    messages = [msg(1, "u1", None, 0), msg(2, "x", "y", 1), msg(3, "y", "x", 2)]
    result = annotate_threads(messages)
    parents = {m["key"]: m["thread_parent"] for m in messages}
    assert parents == {"u1": "", "x": "", "y": "x"}
    assert result["branches"] == [{"parent": "", "keys": ["u1", "x"], "default": "x"}]
    assert result["default_path"] == ["x", "y"]


def test_a_thread_without_parent_links_is_linear_by_position_with_branches_at_one_position() -> None:
    messages = [msg(1, "t0", None, 0), msg(2, "t1", None, 1), msg(3, "t1~b", None, 1), msg(4, "t2", None, 2)]
    result = annotate_threads(messages)
    assert result["branches"] == [{"parent": "@0", "keys": ["t1", "t1~b"], "default": "t1~b"}]
    assert result["default_path"] == ["t0", "t1~b", "t2"]
