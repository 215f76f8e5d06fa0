"""capture.upsert (the page's rendering) and capture.network (the page's own JSON) of one Copilot
conversation, through a real host process over real pipes: the answer with math, a table, code, a list
and a link is one row in either order, with the JSON's ids, and the replies say "merged"."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e import twin_pages
from tests.store.test_twins import CHAT, DOM_ANSWER_TEXT, copilot_code_frame
from tests.support.hostproc import HostProcess
from tests.support.netcapture import page_payload, rows


def page_turns() -> list[dict]:
    """The six turns as the content script sends them: derived keys, no ids, text and HTML."""
    out, parent = [], None
    for pos, (role, text) in enumerate(twin_pages.TURNS):
        key = f"{role[0]}{pos}-k{pos * 7}"
        turn = {
            "key": key,
            "role": role,
            "position": pos,
            "parent_key": parent,
            "text": text,
            "status": "complete",
        }
        if text == twin_pages.ANSWER:
            turn["text"] = DOM_ANSWER_TEXT
            turn["html"] = (
                f'<div class="group/ai-message-item">{twin_pages.answer_html(copilot_code_frame())}</div>'
            )
        out.append(turn)
        parent = key
    return out


def upsert(host: HostProcess) -> dict:
    conversation = {
        "provider": "copilot",
        "external_id": CHAT,
        "title": "Fibonacci compared",
        "url": f"https://copilot.microsoft.com/chats/{CHAT}",
    }
    reply = host.request("capture.upsert", {"conversation": conversation, "turns": page_turns()})
    assert reply["ok"], reply
    return reply["result"]


def network(host: HostProcess) -> dict:
    doc = twin_pages.copilot_history(CHAT)
    reply = host.request("capture.network", page_payload("copilot", CHAT, twin_pages.copilot_api(CHAT), doc))
    assert reply["ok"], reply
    return reply["result"]


@pytest.mark.parametrize("order", ["page first", "json first"])
def test_the_page_and_its_json_store_the_rich_answer_once(
    host: HostProcess, vivim_home: Path, order: str
) -> None:
    first, second = (upsert, network) if order == "page first" else (network, upsert)
    first(host)
    assert second(host)["merged"] == 6
    stored = rows(vivim_home, "SELECT provider_message_id, role FROM messages ORDER BY position")
    assert stored == [(twin_pages.copilot_id(CHAT, i), role) for i, (role, _) in enumerate(twin_pages.TURNS)]
    answers = rows(vivim_home, "SELECT markdown FROM messages WHERE markdown LIKE '%closed form is%'")
    assert len(answers) == 1 and "F_n = \\frac{\\varphi^n - \\psi^n}{\\sqrt{5}}" in answers[0][0]
    again = [network(host), upsert(host)]  # re-opening: nothing new, nothing changed
    assert [(r["inserted"], r["updated"], r["branched"]) for r in again] == [(0, 0, 0), (0, 0, 0)]
