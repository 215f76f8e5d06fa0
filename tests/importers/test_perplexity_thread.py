"""Perplexity's thread JSON (GET /rest/thread/<slug>, what the page loads) as stored turns: each entry a
query, an answer whose `[n]` citations link to their sources, and the answer's sources kept whole."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support import perplexity as pp
from vivim.errors import PayloadShape
from vivim.importers import network

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "sites" / "perplexity" / "thread.json"


def parse(doc: object, slug: str = pp.SLUG, earlier: tuple[object, ...] = ()) -> network.Parsed:
    return network.parse(
        "perplexity", slug, json.dumps(doc).encode(), [json.dumps(d).encode() for d in earlier]
    )


def test_a_thread_becomes_query_answer_and_sources_with_citations_linked() -> None:
    parsed = parse(json.loads(FIXTURE.read_text(encoding="utf-8")))
    turns = parsed.capture.turns
    assert [(t.role, t.kind) for t in turns] == [
        ("user", None),
        ("assistant", None),
        ("assistant", "sources"),
        ("user", None),
        ("assistant", None),
    ]
    query, answer, sources, query2, answer2 = turns
    assert query.text == "Why do tide tables differ between nearby harbours?"
    assert "different times[1](https://tidesandcurrents.noaa.gov/restles1.html)." in answer.markdown
    assert "[1]" not in answer.text and answer.text.startswith("Tides are shaped by the coastline")
    assert "Shelf width slows the tidal wave." in answer.text
    assert sources.markdown == (
        "1. [Tides and Water Levels - NOAA](https://tidesandcurrents.noaa.gov/restles1.html)\n"
        "2. [Tide - Wikipedia](https://en.wikipedia.org/wiki/Tide)"
    )  # the attachment is not a cited web page
    assert answer2.text == "近くの港でも、海岸線と水深の違いによって満潮の時刻が変わります。"
    assert [t.parent_key for t in turns] == [None, query.key, answer.key, sources.key, query2.key]
    assert answer.model == "pplx_pro" and parsed.capture.conversation.title.startswith("Why do tide")
    assert parsed.whole_tree and parsed.self_contained
    assert parsed.provider_ids == {t.key for t in turns}


def test_the_2024_generation_with_the_answer_in_a_text_field_is_read_too() -> None:
    final = {
        "answer": "Spring tides follow the new and full moon[1]. See [more](pplx://action/followup).",
        "web_results": [{"name": "Spring tide", "url": "https://ocean.example.net/spring"}],
    }
    legacy = pp.entry(0)
    del legacy["blocks"]
    legacy["text"] = json.dumps(
        [{"step_type": "INITIAL_QUERY"}, {"step_type": "FINAL", "content": {"answer": json.dumps(final)}}]
    )
    _, answer, sources = parse(pp.page([legacy])).capture.turns
    assert answer.markdown == (
        "Spring tides follow the new and full moon[1](https://ocean.example.net/spring). See more."
    )
    assert sources.markdown == "1. [Spring tide](https://ocean.example.net/spring)"


def test_an_answer_still_streaming_is_stored_as_streaming_and_a_citation_without_source_stays_text() -> None:
    running = pp.entry(0, answer="Half an answer [7]", status="IN_PROGRESS", sources=[])
    _, answer = parse(pp.page([running])).capture.turns
    assert answer.status == "streaming" and answer.markdown == "Half an answer [7]"


def test_pages_of_a_long_thread_join_and_it_is_complete_only_with_the_last_page() -> None:
    pages = [doc for _, doc in pp.thread_pages(25, 10)]
    first = parse(pages[0])
    assert not first.whole_tree and not first.self_contained
    second = parse(pages[1], earlier=(pages[0],))
    assert not second.whole_tree
    last = parse(pages[2], earlier=(pages[0], pages[1]))
    assert last.whole_tree
    queries = [t.text for t in last.capture.turns if t.role == "user"]
    assert queries == [pp.query_text(i) for i in range(25)]
    # Pages arriving out of order join the same way.
    assert parse(pages[0], earlier=(pages[2], pages[1])).whole_tree


def test_a_thread_loaded_by_its_context_uuid_is_stored_under_its_slug() -> None:
    parsed = parse(pp.page([pp.entry(0)]), slug="c0ffee00-1111-4222-8333-444455556666")
    assert parsed.capture.conversation.external_id == pp.SLUG
    assert parsed.capture.conversation.url == f"https://www.perplexity.ai/search/{pp.SLUG}"


def test_a_reopened_thread_that_grew_replaces_its_older_copy() -> None:
    older = pp.page([pp.entry(0), pp.entry(1)])
    newer = pp.page([pp.entry(0), pp.entry(1), pp.entry(2)])
    parsed = parse(newer, earlier=(older,))
    assert parsed.whole_tree and parsed.self_contained
    assert len([t for t in parsed.capture.turns if t.role == "user"]) == 3


@pytest.mark.parametrize(
    "doc, why",
    [
        ({"status": "success"}, "no entries"),
        (pp.page([pp.entry(0, slug="another-thread-Zz9")]), "another thread"),
        (pp.page([{"query_str": "no id"}]), "unknown shape"),
        (pp.page(["not an object"]), "unknown shape"),
        ([1, 2, 3], "no entries"),
    ],
)
def test_a_payload_in_another_shape_is_refused_whole(doc: object, why: str) -> None:
    with pytest.raises(PayloadShape) as refused:
        parse(doc)
    assert why in str(refused.value) or "perplexity" in str(refused.value)


def test_hostile_text_stays_text_and_only_web_links_become_sources() -> None:
    hostile = pp.entry(
        0,
        query="<img src=x onerror=alert(1)> ¿qué es la marea?",
        answer="Try [this](javascript:alert(1)) and <script>alert(2)</script>[1][2]",
        sources=[
            {"name": "evil", "url": "javascript:alert(3)"},
            {"name": "ok ] (x) [y]", "url": "https://example.com/a b(c)"},
        ],
    )
    query, answer, sources = parse(pp.page([hostile])).capture.turns
    assert query.text == "<img src=x onerror=alert(1)> ¿qué es la marea?"
    assert "javascript:alert(3)" not in sources.markdown
    assert sources.markdown == "1. [ok \\] (x) \\[y\\]](https://example.com/a%20b%28c%29)"
    assert "[1](https://example.com/a%20b%28c%29)" in answer.markdown and "[2]" in answer.markdown
