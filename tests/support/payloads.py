"""Provider payloads in the shapes the sites' own pages load in 2026, with our own text.

ChatGPT: the conversation document of `GET /backend-api/conversation/<id>` (the export's shape:
`mapping` node id -> {id, message, parent, children}, `current_node`, message `author`, `content`
with `content_type`/`parts`, `metadata.model_slug`, `status`, `recipient`, `channel`), whole or cut
into pages the way a paged load cuts it (newest turns first; the oldest node's parent left out).
Claude: `GET /api/organizations/<org>/chat_conversations/<id>?tree=True&rendering_mode=messages`
(`chat_messages` with `uuid`, `parent_message_uuid`, `sender`, `index`, `content` blocks,
`current_leaf_message_uuid`).

Turn texts are predictable (`turn_text(i)`) so tests can count exactly what was stored.
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

BASE_TIME = 1_780_000_000.0
ROOT = "client-created-root"
CLAUDE_ROOT = "00000000-0000-4000-8000-000000000000"


def turn_text(i: int) -> str:
    role = "Question" if i % 2 == 0 else "Answer"
    return f"{role} number {i} about sourdough hydration and crumb structure, marker t{i:04d}."


def _uid(seed: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, seed))


# ---- ChatGPT ---------------------------------------------------------------------------------


def chatgpt_message(
    mid: str,
    role: str,
    text: str,
    when: float,
    parent: str | None,
    content: dict[str, Any] | None = None,
    recipient: str = "all",
    metadata: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "id": mid,
        "author": {"role": role, "name": None, "metadata": {}},
        "create_time": when,
        "update_time": when if role != "user" else None,
        "content": content or {"content_type": "text", "parts": [text]},
        "status": "finished_successfully",
        "end_turn": True if role == "assistant" else None,
        "weight": 1.0,
        "metadata": {
            "model_slug": "gpt-5-thinking" if role == "assistant" else None,
            "default_model_slug": "gpt-5",
            "parent_id": parent,
            "request_id": "9a1b2c3d4e5f6071-FRA",
            "message_type": "next",
            "citations": [],
            "content_references": [],
            **(metadata or {}),
        },
        "recipient": recipient,
        "channel": "final" if role == "assistant" else None,
    }


def chatgpt_conversation(
    conv_id: str, n_turns: int, *, branch_at: int | None = None, title: str = "Sourdough notebook"
) -> dict[str, Any]:
    """A linear conversation of n_turns user/assistant messages under the usual hidden system node;
    with branch_at, a regenerated answer to prompt `branch_at` that the page never shows (the
    current branch keeps the first answer)."""
    mapping: dict[str, Any] = {ROOT: {"id": ROOT, "message": None, "parent": None, "children": []}}
    system_id = _uid(f"{conv_id}/system")
    mapping[ROOT]["children"].append(system_id)
    system = chatgpt_message(system_id, "system", "", BASE_TIME, ROOT)
    system["metadata"]["is_visually_hidden_from_conversation"] = True
    mapping[system_id] = {"id": system_id, "message": system, "parent": ROOT, "children": []}
    parent = system_id
    for i in range(n_turns):
        mid = chatgpt_id(conv_id, i)
        role = "user" if i % 2 == 0 else "assistant"
        mapping[mid] = {
            "id": mid,
            "message": chatgpt_message(mid, role, turn_text(i), BASE_TIME + 60 * i, parent),
            "parent": parent,
            "children": [],
        }
        mapping[parent]["children"].append(mid)
        parent = mid
    current = parent
    if branch_at is not None:
        hidden = hidden_chatgpt_id(conv_id)
        mapping[hidden] = {
            "id": hidden,
            "parent": chatgpt_id(conv_id, branch_at),
            "children": [],
            "message": chatgpt_message(
                hidden,
                "assistant",
                HIDDEN_BRANCH_TEXT,
                BASE_TIME + 60 * branch_at + 30,
                chatgpt_id(conv_id, branch_at),
            ),
        }
        mapping[chatgpt_id(conv_id, branch_at)]["children"].append(hidden)
    return {
        "title": title,
        "create_time": BASE_TIME,
        "update_time": BASE_TIME + 60 * n_turns,
        "mapping": mapping,
        "moderation_results": [],
        "current_node": current,
        "plugin_ids": None,
        "conversation_id": conv_id,
        "conversation_template_id": None,
        "gizmo_id": None,
        "gizmo_type": None,
        "is_archived": False,
        "is_starred": None,
        "safe_urls": [],
        "blocked_urls": [],
        "default_model_slug": "gpt-5",
        "conversation_origin": None,
        "voice": None,
        "async_status": None,
        "disabled_tool_ids": [],
        "is_do_not_remember": False,
        "memory_scope": "global_enabled",
        "sugar_item_id": None,
    }


HIDDEN_BRANCH_TEXT = (
    "A regenerated answer nobody switched to: rye starters like a warmer proof, marker hidden-branch."
)


def chatgpt_id(conv_id: str, i: int) -> str:
    return _uid(f"{conv_id}/{i}")


def hidden_chatgpt_id(conv_id: str) -> str:
    return _uid(f"{conv_id}/hidden")


def chatgpt_pages(doc: dict[str, Any], page_turns: int) -> list[dict[str, Any]]:
    """The document cut the way a paged load cuts it: the newest `page_turns` nodes of the current
    branch first (with what hangs off them), then older pages; each page's oldest node keeps its
    `parent` pointing at a node the page does not hold."""
    mapping = doc["mapping"]
    chain = []
    node: str | None = doc["current_node"]
    while node is not None:
        chain.append(node)
        node = mapping[node]["parent"]
    pages = []
    for start in range(0, len(chain), page_turns):
        ids = set(chain[start : start + page_turns])
        for nid in list(ids):  # branches hanging off this page's nodes travel with it
            for child in mapping[nid]["children"]:
                if child not in chain:
                    ids.add(child)
        page = {k: v for k, v in doc.items() if k != "mapping"}
        page["mapping"] = {nid: copy.deepcopy(mapping[nid]) for nid in ids}
        if start:
            page["current_node"] = None
        pages.append(page)
    return pages


def chatgpt_thread_pages(conv_id: str, n_turns: int, page_size: int) -> list[dict[str, Any]]:
    """The rebuilt app's thread JSON (GET /backend-api/conversations/<id>/messages): runs of
    `page_size` messages of the shown branch, oldest first within a run, the newest run first; each
    run's `page_info` names its first and last message as cursors. A hidden system message opens the
    thread; every page carries fields the parser does not know."""
    system_id = _uid(f"{conv_id}/system")
    system = chatgpt_message(system_id, "system", "", BASE_TIME, None)
    system["metadata"]["is_visually_hidden_from_conversation"] = True
    messages = [system]
    parent = system_id
    for i in range(n_turns):
        mid = chatgpt_id(conv_id, i)
        role = "user" if i % 2 == 0 else "assistant"
        messages.append(chatgpt_message(mid, role, turn_text(i), BASE_TIME + 60 * i, parent))
        parent = mid
    runs = [messages[max(0, end - page_size) : end] for end in range(len(messages), 0, -page_size)]
    return [
        {
            "conversation_id": conv_id,
            "title": "Sourdough notebook",
            "create_time": BASE_TIME,
            "update_time": BASE_TIME + 60 * n_turns,
            "current_node": parent,
            "is_archived": False,
            "messages": copy.deepcopy(run),
            "page_info": {
                "has_previous_page": k < len(runs) - 1,
                "has_next_page": k > 0,
                "start_cursor": run[0]["id"],
                "end_cursor": run[-1]["id"],
                "total_count_hint": None,
            },
        }
        for k, run in enumerate(runs)
    ]


# ---- Claude ----------------------------------------------------------------------------------


def claude_id(conv_id: str, i: int) -> str:
    return _uid(f"claude/{conv_id}/{i}")


def claude_message(mid: str, i: int, sender: str, text: str, parent: str, when: str) -> dict[str, Any]:
    return {
        "uuid": mid,
        "text": "",
        "content": [
            {"start_timestamp": when, "stop_timestamp": when, "type": "text", "text": text, "citations": []}
        ],
        "sender": sender,
        "index": i,
        "created_at": when,
        "updated_at": when,
        "truncated": False,
        "stop_reason": "stop_sequence" if sender == "assistant" else None,
        "attachments": [],
        "files": [],
        "files_v2": [],
        "sync_sources": [],
        "parent_message_uuid": parent,
    }


def claude_conversation(
    conv_id: str, n_turns: int, *, branch_at: int | None = None, name: str = "Rye and spelt"
) -> dict[str, Any]:
    messages = []
    parent = CLAUDE_ROOT
    for i in range(n_turns):
        mid = claude_id(conv_id, i)
        when = f"2026-05-{1 + i // 1440:02d}T{(i // 60) % 24:02d}:{i % 60:02d}:00.000000Z"
        messages.append(
            claude_message(mid, i, "human" if i % 2 == 0 else "assistant", turn_text(i), parent, when)
        )
        parent = mid
    leaf = parent
    if branch_at is not None:
        hidden = _uid(f"claude/{conv_id}/hidden")
        messages.append(
            claude_message(
                hidden,
                n_turns,
                "assistant",
                HIDDEN_BRANCH_TEXT,
                claude_id(conv_id, branch_at),
                "2026-05-01T00:00:30.000000Z",
            )
        )
    return {
        "uuid": conv_id,
        "name": name,
        "summary": "",
        "model": "claude-opus-4-5",
        "created_at": "2026-05-01T00:00:00.000000Z",
        "updated_at": "2026-05-02T00:00:00.000000Z",
        "settings": {"enabled_web_search": True, "preview_feature_uses_artifacts": True},
        "is_starred": False,
        "is_temporary": False,
        "project_uuid": None,
        "current_leaf_message_uuid": leaf,
        "chat_messages": messages,
    }


def grok_id(conv_id: str, i: int) -> str:
    return _uid(f"grok/{conv_id}/{i}")


def grok_response(rid: str, i: int, sender: str, text: str, parent: str | None, when: str) -> dict[str, Any]:
    """One response as grok.com's load-responses returns it (the export's fields, camelCase)."""
    response: dict[str, Any] = {
        "responseId": rid,
        "message": text,
        "sender": sender,
        "createTime": when,
        "manual": False,
        "partial": False,
        "shared": False,
        "query": "",
        "queryType": "",
        "webSearchResults": [],
        "xpostIds": [],
        "xposts": [],
        "generatedImageUrls": [],
        "imageAttachments": [],
        "fileAttachments": [],
        "cardAttachmentsJson": [],
        "fileUris": [],
        "fileAttachmentsMetadata": [],
        "isControl": False,
        "steps": [],
        "mediaTypes": [],
        "webpageUrls": [],
        "metadata": {},
    }
    if parent is not None:
        response["parentResponseId"] = parent
    if sender == "assistant":
        response["model"] = "grok-4"
    return response


def grok_load_responses(
    conv_id: str, n_turns: int, *, branch_at: int | None = None, drop_first: int = 0
) -> dict[str, Any]:
    """The page's POST .../load-responses body; `drop_first` leaves out the oldest responses (a cut tree)."""
    responses = []
    parent: str | None = None
    for i in range(n_turns):
        rid = grok_id(conv_id, i)
        when = f"2026-05-01T{(i // 60) % 24:02d}:{i % 60:02d}:00.000Z"
        sender = "human" if i % 2 == 0 else "assistant"
        responses.append(grok_response(rid, i, sender, turn_text(i), parent, when))
        parent = rid
    if branch_at is not None:
        hidden = _uid(f"grok/{conv_id}/hidden")
        responses.append(
            grok_response(
                hidden,
                n_turns,
                "assistant",
                HIDDEN_BRANCH_TEXT,
                grok_id(conv_id, branch_at),
                "2026-04-30T00:00:30.000Z",
            )
        )
    return {"responses": responses[drop_first:]}


def grok_tree(
    doc: dict[str, Any], root_parent: str | None = "12766d5b-ac20-5cd1-b386-7ca08f4249f4"
) -> dict[str, Any]:
    """The page's GET .../response-node body for a load-responses `doc` holding the whole tree: ids,
    senders and parents, no text. As on grok.com, the first prompt's parent is a conversation-level
    node that no list holds."""
    nodes = []
    for r in doc["responses"]:
        node = {"responseId": r["responseId"], "sender": r["sender"]}
        parent = r.get("parentResponseId", root_parent)
        if parent is not None:
            node["parentResponseId"] = parent
        nodes.append(node)
    return {"responseNodes": nodes, "inflightResponses": []}


def grok_bodies(doc: dict[str, Any], ids: set[str]) -> dict[str, Any]:
    """The page's load-responses body when it asked for `ids` only (one branch, one batch)."""
    return {"responses": [r for r in doc["responses"] if r["responseId"] in ids]}


def copilot_id(conv_id: str, i: int) -> str:
    return _uid(f"copilot/{conv_id}/{i}").replace("-", "")[:21]


def copilot_history(conv_id: str, n_turns: int, *, page_size: int | None = None) -> list[dict[str, Any]]:
    """The page's GET .../history pages, newest first; every page but the oldest has a `next` cursor."""
    messages = [
        {
            "id": copilot_id(conv_id, i),
            "author": {"type": "human" if i % 2 == 0 else "ai"},
            "createdAt": f"2026-05-01T{(i // 60) % 24:02d}:{i % 60:02d}:00.000Z",
            "content": [{"type": "text", "text": turn_text(i)}],
            "channel": "web",
        }
        for i in range(n_turns)
    ]
    size = page_size or n_turns
    newest_first = list(reversed(messages))
    pages = []
    for start in range(0, n_turns, size):
        chunk = newest_first[start : start + size]
        page: dict[str, Any] = {"results": list(reversed(chunk))}
        if start + size < n_turns:
            page["next"] = f"cursor-{start + size}"
        pages.append(page)
    return pages
