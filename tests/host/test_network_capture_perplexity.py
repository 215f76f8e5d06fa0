"""Perplexity's thread JSON through a real host process over real pipes: a thread is stored with each
answer's sources and stated complete; a long thread's pages join; the DOM's turns and the payload's
merge into one row each; a payload in another shape is refused whole, with a warning."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.support import perplexity as pp
from tests.support.hostproc import HostProcess
from tests.support.netcapture import page_payload, rows

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "sites" / "perplexity" / "thread.json"


def network(doc: Any, url: str | None = None) -> dict[str, Any]:
    return page_payload("perplexity", pp.SLUG, url or pp.API.format(slug=pp.SLUG), doc)


def test_a_thread_is_stored_with_its_sources_and_complete(host: HostProcess, vivim_home: Path) -> None:
    reply = host.request("capture.network", network(FIXTURE.read_text(encoding="utf-8")))
    assert reply["ok"], reply
    assert reply["result"]["completeness"] == {"status": "complete", "stored": 5, "expected": 5}
    stored = rows(vivim_home, "SELECT role, kind, markdown FROM messages ORDER BY position")
    assert [(r[0], r[1]) for r in stored] == [
        ("user", None),
        ("assistant", None),
        ("assistant", "sources"),
        ("user", None),
        ("assistant", None),
    ]
    assert "https://en.wikipedia.org/wiki/Tide" in stored[2][2]
    conv = host.call("conversation.get", {"provider": "perplexity", "external_id": pp.SLUG})["conversation"]
    assert conv["title"] == "Why do tide tables differ between nearby harbours?"
    assert conv["url"] == f"https://www.perplexity.ai/search/{pp.SLUG}"


def test_a_long_thread_is_partial_until_its_last_page_arrives(host: HostProcess) -> None:
    pages = pp.thread_pages(25, 10)
    statuses = [host.call("capture.network", network(doc, url))["completeness"] for url, doc in pages]
    assert [s["status"] for s in statuses] == ["partial", "partial", "complete"]
    assert statuses[-1]["stored"] == statuses[-1]["expected"] == 25 * 3
    listed = host.call("conversation.list", {"provider": "perplexity"})["items"]
    assert [c["completeness"]["label"] for c in listed] == ["complete"]


def test_the_doms_turns_and_the_payloads_are_one_row_each(host: HostProcess, vivim_home: Path) -> None:
    doc = pp.page([pp.entry(i) for i in range(3)])
    dom_turns = []
    for i in range(3):
        dom_turns.append({"key": f"dom-q{i}", "role": "user", "position": 2 * i, "text": pp.query_text(i)})
        dom_turns.append(
            {"key": f"dom-a{i}", "role": "assistant", "position": 2 * i + 1, "text": pp.answer_text(i)}
        )
    host.call(
        "capture.upsert",
        {
            "conversation": {"provider": "perplexity", "external_id": pp.SLUG, "title": "Tides"},
            "turns": dom_turns,
        },
    )
    result = host.call("capture.network", network(doc))
    assert result["completeness"]["status"] == "complete"
    texts = [r[0] for r in rows(vivim_home, "SELECT text FROM messages WHERE kind IS NULL")]
    assert sorted(texts) == sorted(t["text"] for t in dom_turns)  # merged, not doubled
    assert len(rows(vivim_home, "SELECT 1 FROM messages WHERE kind = 'sources'")) == 3
    # Re-opening the thread changes nothing.
    again = host.call("capture.network", network(doc))
    assert again["inserted"] == 0 and again["updated"] == 0


def test_a_payload_in_another_shape_is_refused_with_a_warning(host: HostProcess) -> None:
    for body in ({"threads": []}, pp.page([pp.entry(0, slug="someone-elses-thread-Q1")]), "[[[", [1]):
        reply = host.request("capture.network", network(body))
        assert reply["error"]["code"] == "payload_shape", reply
    stats = host.call("stats")
    assert "network capture" in stats["adapter_health"]["perplexity"]["warning"]
    assert stats["conversations"] == 0


def test_pages_arriving_out_of_order_still_chain_every_entry_to_the_one_before(
    host: HostProcess, vivim_home: Path
) -> None:
    pages = pp.thread_pages(25, 10)
    for url, doc in (pages[2], pages[0], pages[1]):
        status = host.call("capture.network", network(doc, url))["completeness"]
    assert status["status"] == "complete"
    stored = dict(rows(vivim_home, "SELECT key, parent_key FROM messages"))
    for i in range(1, 25):
        assert stored[f"{pp.entry_uuid(i)}:query"] == f"{pp.entry_uuid(i - 1)}:sources", i
    assert stored[f"{pp.entry_uuid(0)}:query"] is None


def test_a_thread_whose_first_page_never_arrived_is_not_complete(host: HostProcess) -> None:
    # the host was down while the page loaded offset 0: only the later pages reach it
    first, second, last = pp.thread_pages(25, 10)
    statuses = [
        host.call("capture.network", network(doc, url))["completeness"] for url, doc in (second, last)
    ]
    assert [s["status"] for s in statuses] == ["partial", "partial"]
    # the next visit loads the thread from its start again
    status = host.call("capture.network", network(first[1], first[0]))["completeness"]
    assert status == {"status": "complete", "stored": 25 * 3, "expected": 25 * 3}


def test_an_answer_only_in_an_ask_text_0_markdown_block_is_stored_once(
    host: HostProcess, vivim_home: Path
) -> None:
    """2025/2026 entries may carry the answer in `ask_text_0_markdown` alone, or in it and `ask_text` both."""
    only = pp.entry(0)
    for block in only["blocks"]:
        if block["intended_usage"] == "ask_text":
            block["intended_usage"] = "ask_text_0_markdown"
    both = pp.entry(1)
    both["blocks"].insert(0, {"intended_usage": "ask_text_0_markdown", "markdown_block": {"answer": "draft"}})
    reply = host.request("capture.network", network(pp.page([only, both])))
    assert reply["ok"], reply
    answers = [
        t for (t,) in rows(vivim_home, "SELECT text FROM messages WHERE role = 'assistant' AND kind IS NULL")
    ]
    assert len(answers) == 2 and all(a.startswith(pp.answer_text(i)) for i, a in enumerate(answers))
    assert reply["result"]["completeness"]["status"] == "complete"
