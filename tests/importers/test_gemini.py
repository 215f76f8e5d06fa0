"""Gemini from Google Takeout: prompt entries, localized verbs, grouping, and the HTML variant."""

from __future__ import annotations

from datetime import UTC, datetime

from vivim.importers import import_path
from vivim.importers.common import SkipLog
from vivim.importers.gemini import learned_prefix, parse, prompt_text
from vivim.importers.gemini_html import parse_date

from .helpers import GEMINI, GEMINI_HTML, GEMINI_JSON, conversation_row, messages_of


def _threads(conn):
    rows = conn.execute(
        "SELECT c.external_id, c.title, c.url, m.role, m.text, m.markdown, m.is_current, m.parent_key, m.key"
        " FROM messages m JOIN conversations c ON c.id = m.conversation_id"
        " WHERE c.provider = 'gemini' ORDER BY c.created_at, m.position, m.id"
    ).fetchall()
    threads: dict[str, list] = {}
    for r in rows:
        threads.setdefault(r["external_id"], []).append(dict(r))
    return threads


async def test_each_prompt_entry_becomes_a_prompt_and_its_answer(store):
    await import_path(store, GEMINI)
    threads = await store.read(_threads)
    haiku = next(t for t in threads.values() if t[0]["text"] == "Write a haiku about ducks")
    assert [(m["role"], m["parent_key"] is None) for m in haiku] == [("user", True), ("assistant", False)]
    assert "Ducks drift on the pond" in haiku[1]["markdown"]
    assert "morning folds its wings" in haiku[1]["text"]


async def test_non_prompt_activity_is_skipped_and_counted_by_reason(store):
    summary = await import_path(store, GEMINI)
    assert summary.skipped.reasons["gemini activity that is not a prompt"] == 4  # feedback x2, Used, Selected
    assert summary.skipped.reasons["not Gemini activity"] == 1
    assert summary.skipped.reasons["malformed entry"] == 1
    assert any("not a date" in d for d in summary.skipped.details)
    threads = await store.read(_threads)
    texts = [m["text"] for t in threads.values() for m in t]
    assert not any("feedback" in t.lower() or "Searched" in t for t in texts)


async def test_entries_naming_a_conversation_id_are_grouped_under_it_with_its_url(store):
    await import_path(store, GEMINI)
    threads = await store.read(_threads)
    kyoto = threads["9f8e7d6c5b4a"]
    assert [m["text"] for m in kyoto if m["role"] == "user"] == ["Plan a trip to Kyoto", "What about Osaka?"]
    assert kyoto[0]["url"] == "https://gemini.google.com/app/9f8e7d6c5b4a"
    assert kyoto[2]["parent_key"] == kyoto[1]["key"]  # the second prompt follows the first answer
    assert "[attachment: map-1e98.png]" in kyoto[0]["markdown"] and kyoto[0]["text"] == "Plan a trip to Kyoto"


async def test_entries_without_an_id_are_grouped_by_time_gap(store):
    await import_path(store, GEMINI)
    threads = await store.read(_threads)
    loose = {k: v for k, v in threads.items() if k.startswith("takeout-")}
    firsts = sorted(t[0]["text"] for t in loose.values())
    # France and Italy are 10 minutes apart: one conversation; the haiku comes 2 hours later.
    assert firsts == [
        "What is the capital of France?",
        "Wie spät ist es in Berlin?",
        "Write a haiku about ducks",
    ]
    france = next(t for t in loose.values() if t[0]["text"] == "What is the capital of France?")
    assert [m["text"] for m in france if m["role"] == "user"] == [
        "What is the capital of France?",
        "And of Italy?",
    ]
    assert france[0]["title"] == "What is the capital of France?" and france[0]["url"] is None


async def test_regenerated_answers_are_sibling_branches_with_the_first_current(store):
    await import_path(store, GEMINI)
    threads = await store.read(_threads)
    france = next(t for t in threads.values() if t[0]["text"] == "What is the capital of France?")
    italy_prompt = next(m for m in france if m["text"] == "And of Italy?")
    answers = [m for m in france if m["parent_key"] == italy_prompt["key"]]
    assert len(answers) == 2
    assert [bool(a["is_current"]) for a in answers] == [True, False]
    assert "Rome" in answers[0]["markdown"]


async def test_localized_prompt_verbs_are_stripped():
    assert prompt_text("Prompted What is 2+2?") == "What is 2+2?"
    assert prompt_text("Prompted\u00a0What is 2+2?") == "What is 2+2?"
    assert prompt_text("Prompt eingegeben: Wie spät ist es?") == "Wie spät ist es?"
    assert prompt_text("Pokyn\u00a0Napiš báseň") == "Napiš báseň"
    assert prompt_text("Gave feedback: Good response") is None
    assert prompt_text("Promptedly weird") is None


def test_an_unknown_language_verb_is_learned_from_the_answered_entries():
    items = [
        {
            "header": "Gemini Apps",
            "title": f"Zapytano\u00a0pytanie {i}",
            "time": f"2025-01-0{i}T10:00:00Z",
            "safeHtmlItem": [{"html": f"<p>odpowiedź {i}</p>"}],
        }
        for i in range(1, 4)
    ]
    assert learned_prefix(item["title"] for item in items) == "Zapytano"
    payloads = list(parse(items, SkipLog()))
    prompts = sorted(t.text for p in payloads for t in p.turns if t.role == "user")
    assert prompts == ["pytanie 1", "pytanie 2", "pytanie 3"]


async def test_the_html_variant_gives_the_same_prompts_answers_and_keys(store):
    summary = await import_path(store, GEMINI_HTML)
    assert summary.skipped.reasons["gemini activity that is not a prompt"] == 1
    threads = await store.read(_threads)
    france = next(t for t in threads.values() if t[0]["text"] == "What is the capital of France?")
    assert [m["text"] for m in france if m["role"] == "user"] == [
        "What is the capital of France?",
        "And of Italy?",
    ]
    assert "Paris" in france[1]["markdown"]
    czech = next(t for t in threads.values() if t[0]["text"] == "Napiš haiku o kachnách")
    assert "Kachny na rybníce" in czech[1]["markdown"]
    # The JSON export of the same activity lands on the same conversation and keys.
    json_summary = await import_path(store, GEMINI_JSON)
    assert json_summary.inserted > 0
    after = await store.read(_threads)
    france_after = next(t for t in after.values() if t[0]["text"] == "What is the capital of France?")
    assert sum(1 for m in france_after if m["text"] == "And of Italy?") == 1
    assert sum(1 for m in france_after if m["text"] == "What is the capital of France?") == 1


def test_takeout_html_dates_in_english_numeric_and_iso_forms():
    def at(*args):
        return datetime(*args, tzinfo=UTC).timestamp()

    assert parse_date("Jun 1, 2025, 9:00:00\u202fAM UTC") == at(2025, 6, 1, 9, 0, 0)
    assert parse_date("Jun 1, 2025, 9:00:00 PM PDT") == at(2025, 6, 2, 4, 0, 0)
    assert parse_date("2. 6. 2025 10:00:00 SELČ") == at(2025, 6, 2, 8, 0, 0)
    assert parse_date("25.11.2025, 14:30:00 MEZ") == at(2025, 11, 25, 13, 30, 0)
    assert parse_date("2025-06-01T09:00:00Z") == at(2025, 6, 1, 9, 0, 0)
    assert parse_date("Gemini Apps") is None


async def test_gemini_conversations_have_their_first_prompt_as_title(store):
    await import_path(store, GEMINI)
    conv = await store.read(conversation_row, "gemini", "9f8e7d6c5b4a")
    assert conv["title"] == "Plan a trip to Kyoto"
    assert conv["created_at"] == datetime(2025, 6, 2, 8, tzinfo=UTC).timestamp()
    assert len(await store.read(messages_of, "gemini", "9f8e7d6c5b4a")) == 4


def test_gemini_live_prompts_are_prompts_beside_typed_ones():
    # A prompt spoken in Gemini Live is logged as "Live Prompt <words>". One such entry among typed
    # "Prompted" ones is a prompt too (not skipped as an entry without prompt text), and several
    # are not mistaken for an unknown language's verb "Live" (which left "Prompt …" as the prompt).
    def entry(title: str, minute: int) -> dict:
        return {
            "header": "Gemini Apps",
            "title": title,
            "time": f"2026-02-02T08:{minute:02d}:00.000Z",
            "safeHtmlItem": [
                {"html": "<p>Warum ging der Pilz auf die Party? Weil er ein Champignon war.</p>"}
            ],
        }

    assert prompt_text("Live Prompt Erzähl mir einen Witz") == "Erzähl mir einen Witz"
    for live in (1, 2):
        items = [entry("Prompted Wie spät ist es in Tokio?", 0)]
        items += [entry(f"Live Prompt Erzähl mir Witz Nummer {i}", 10 + i) for i in range(live)]
        skips = SkipLog()
        prompts = sorted(t.text for p in parse(items, skips) for t in p.turns if t.role == "user")
        assert prompts == sorted(
            ["Wie spät ist es in Tokio?", *(f"Erzähl mir Witz Nummer {i}" for i in range(live))]
        )
        assert skips.total == 0
