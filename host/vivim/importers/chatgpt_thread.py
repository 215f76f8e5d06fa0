"""ChatGPT's paged thread JSON (2026): the rebuilt web app's GET /backend-api/conversations/<id> and
GET /backend-api/conversations/<id>/messages, as public exporters read them in 2026-09/10:

    {"conversation_id", "title", "create_time", "update_time", "current_node",
     "messages": [<the export's message objects: id, author.role, content, metadata, recipient,
                  channel, create_time>, ...],  # one run of the shown branch, oldest first
     "page_info": {"has_previous_page", "has_next_page", "start_cursor", "end_cursor"}}

The page first loads the newest run (`has_next_page: false`), then, as the user scrolls up, the run
before it, asked for with the newer page's `start_cursor` (its first message id) in the address.
There is no `mapping`: the pages are turned into one, each message the child of the parent it names
(`metadata.parent_id`) when a page holds that parent, else of the message before it, so the export's
parser reads them (`importers/chatgpt.py`): a hidden message keeps its place and its children
re-attach above it, as in the export.
Whole only along a proven chain: from a page with nothing before it, each page asked for with the
next one's `start_cursor`, to a page with nothing after it; else `partial`.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from .common import Malformed


def is_page(doc: Any) -> bool:
    return (
        isinstance(doc, dict)
        and isinstance(doc.get("messages"), list)
        and isinstance(doc.get("page_info"), dict)
    )


def check(doc: dict[str, Any], external_id: str) -> None:
    """Refuses a page that is not one conversation's run of messages."""
    cid = doc.get("conversation_id")
    if cid is not None and str(cid) != external_id:
        raise Malformed("the payload is another conversation than the page's")
    ids = []
    for message in doc["messages"]:
        if not isinstance(message, dict) or not isinstance(message.get("id"), str) or not message["id"]:
            raise Malformed("a thread page's message has no id")
        ids.append(message["id"])
    if len(set(ids)) != len(ids):
        raise Malformed("a thread page names one message twice")
    for flag in ("has_previous_page", "has_next_page"):
        value = doc["page_info"].get(flag)
        if value is not None and not isinstance(value, bool):
            raise Malformed(f"page_info.{flag} is not a boolean")


def _first_time(doc: dict[str, Any]) -> float:
    for message in doc["messages"]:
        value = message.get("create_time")
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value == value:
            return float(value)
    return float("inf")


def ordered(pages: list[tuple[str | None, dict[str, Any]]]) -> list[tuple[str | None, dict[str, Any]]]:
    """The pages oldest first, by their first message's time (pages without one keep their arrival
    order, after the others); a page whose messages another page holds too is an older copy, dropped."""
    kept: list[tuple[str | None, dict[str, Any]]] = []
    for address, doc in reversed(pages):  # newest arrival first: it wins over the copies it contains
        mine = {m["id"] for m in doc["messages"]}
        if mine and any(mine <= {m["id"] for m in other["messages"]} for _, other in kept):
            continue
        kept.append((address, doc))
    kept.reverse()
    return sorted(kept, key=lambda page: _first_time(page[1]))


def joined(pages: list[tuple[str | None, dict[str, Any]]], external_id: str) -> dict[str, Any]:
    """One export-shaped conversation (`mapping`) from the ordered pages."""
    mapping: dict[str, Any] = {}
    meta: dict[str, Any] = {}
    known = {m["id"] for _, doc in pages for m in doc["messages"]}
    previous: str | None = None
    for _, doc in pages:
        meta.update({k: v for k, v in doc.items() if k not in ("messages", "page_info") and v is not None})
        for message in doc["messages"]:
            mid = message["id"]
            if mid in mapping:
                continue
            parent = _named_parent(message)
            parent = parent if parent in known and parent != mid else previous
            mapping[mid] = {"id": mid, "message": message, "parent": parent, "children": []}
            previous = mid
    for mid, node in mapping.items():  # after every node exists: a parent named ahead is linked too
        if node["parent"] in mapping and node["parent"] != mid:
            mapping[node["parent"]]["children"].append(mid)
    return {**meta, "conversation_id": external_id, "mapping": mapping}


def _named_parent(message: dict[str, Any]) -> str | None:
    """The parent a message names itself (the export's messages carry `metadata.parent_id`)."""
    metadata = message.get("metadata")
    for value in (
        message.get("parent_id"),
        metadata.get("parent_id") if isinstance(metadata, dict) else None,
    ):
        if isinstance(value, str) and value:
            return value
    return None


def whole(pages: list[tuple[str | None, dict[str, Any]]]) -> bool:
    """Whether the ordered pages run unbroken from the thread's first message to its last."""
    if not pages:
        return False
    info = [doc["page_info"] for _, doc in pages]
    if info[0].get("has_previous_page") is not False or info[-1].get("has_next_page") is not False:
        return False
    for (address, _), (_, newer) in pairwise(pages):
        cursor = newer["page_info"].get("start_cursor") or (
            newer["messages"][0]["id"] if newer["messages"] else None
        )
        values = {v for _, v in parse_qsl(urlsplit(address or "").query)}
        if not isinstance(cursor, str) or cursor not in values:
            return False
    return True
