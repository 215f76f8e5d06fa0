"""DeepSeek's data export: reasoning apart from the answer, branches, search sources, dates, damage."""

from __future__ import annotations

from vivim.importers import import_path
from vivim.importers.common import html_to_text
from vivim.protocol import CaptureUpsert, ConversationIn, TurnIn
from vivim.store.capture import upsert_capture

from .helpers import FIXTURES, conversation_row, messages_of, snapshot

DEEPSEEK = FIXTURES / "deepseek"
DAMAGED = FIXTURES / "deepseek-damaged"
MEDIAN = "0f9c2b1e-7d4a-4c5e-9b3a-1d2e3f4a5b6c"
WEATHER = "5a6b7c8d-1e2f-4a3b-8c9d-0e1f2a3b4c5d"
OLD = "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b"


async def test_the_export_folder_is_recognised_and_only_its_conversations_are_imported(store):
    summary = await import_path(store, DEEPSEEK)
    assert [f.split(" ")[-1] for f in summary.files] == ["(deepseek)"]
    assert summary.conversations == 3 and not summary.errors


async def test_the_reasoning_is_a_thinking_turn_of_its_own_and_never_the_answer(store):
    await import_path(store, DEEPSEEK)
    messages = await store.read(messages_of, "deepseek", MEDIAN)
    thinking, answer = messages["5.0"], messages["5"]
    assert thinking["kind"] == "thinking" and thinking["markdown"] == "Short German answer."
    assert answer["kind"] is None
    assert answer["markdown"] == "Sortieren, dann den mittleren Wert nehmen – fertig."
    assert answer["parent_key"] == "5.0" and thinking["parent_key"] == "4"
    assert answer["provider_message_id"] == thinking["provider_message_id"] == "5"
    assert all("Regenerated" not in m["markdown"] for k, m in messages.items() if m["kind"] != "thinking")


async def test_a_regenerated_answer_is_a_branch_and_the_newest_one_is_current(store):
    await import_path(store, DEEPSEEK)
    messages = await store.read(messages_of, "deepseek", MEDIAN)
    assert messages["2.0"]["parent_key"] == "1" and messages["3.0"]["parent_key"] == "1"
    current = {k for k, m in messages.items() if m["is_current"]}
    assert current == {"1.0", "1", "3.0", "3", "4", "5.0", "5"}
    assert messages["2"]["markdown"] == "Use pandas: `pd.read_csv('data.csv')['x'].median()`."
    assert messages["2"]["text"] == "Use pandas: pd.read_csv('data.csv')['x'].median()."


async def test_an_attached_files_text_is_kept_beside_the_prompt(store):
    await import_path(store, DEEPSEEK)
    messages = await store.read(messages_of, "deepseek", MEDIAN)
    attachment = messages["1.0"]
    assert attachment["kind"] == "attachment" and attachment["role"] == "user"
    assert attachment["markdown"] == "**data.csv**\n\n```\nx\n3\n1\n2\n```"
    assert messages["1"]["markdown"] == "How do I compute the median of the column in data.csv?"


async def test_math_reads_as_the_pages_katex_does_and_code_is_left_alone(store):
    await import_path(store, DEEPSEEK)
    answer = (await store.read(messages_of, "deepseek", MEDIAN))["3"]["markdown"]
    assert "For $n$ values" in answer
    assert "$$m = x_{(\\lceil n/2 \\rceil)}$$" in answer
    assert "```python\nimport csv, statistics\n" in answer
    assert "\\(" not in answer and "\\[" not in answer


async def test_web_search_results_are_a_tool_turn_of_links_and_citations_link_to_them(store):
    await import_path(store, DEEPSEEK)
    messages = await store.read(messages_of, "deepseek", WEATHER)
    sources = messages["2.0"]
    assert sources["kind"] == "tool_result"
    assert sources["markdown"] == "**Sources**\n\n- [上海天气预报](https://weather.example.cn/shanghai)"
    assert "javascript:" not in sources["markdown"]
    assert (
        messages["2"]["markdown"]
        == "根据天气预报，明天上海有小雨，建议带伞。[1](https://weather.example.cn/shanghai)"
    )
    assert messages["1"]["markdown"] == "明天上海会下雨吗？"


async def test_the_older_format_with_content_and_thinking_content_still_imports(store):
    summary = await import_path(store, DEEPSEEK)
    messages = await store.read(messages_of, "deepseek", OLD)
    assert list(messages) == ["1", "2.0", "2"]
    assert messages["2.0"]["kind"] == "thinking" and messages["2.0"]["markdown"] == "Greet back."
    assert (
        messages["2"]["markdown"] == "Hello! <script>alert(1)</script> How can I help?"
    )  # text, stored as-is
    assert messages["2"]["model"] == "deepseek-chat" and messages["1"]["model"] is None
    assert summary.skipped.reasons["deepseek empty message"] == 1


async def test_title_url_and_dates_come_from_the_export_offsets_included(store):
    await import_path(store, DEEPSEEK)
    conv = await store.read(conversation_row, "deepseek", MEDIAN)
    assert conv["title"] == "Median of a list"
    assert conv["url"] == f"https://chat.deepseek.com/a/chat/s/{MEDIAN}"
    assert conv["created_at"] == 1772414100.125  # 2026-03-02T09:15:00.125+08:00
    assert conv["updated_at"] == 1772415070.5  # its last activity, not the import's time
    assert conv["model"] == "deepseek-reasoner"
    messages = await store.read(messages_of, "deepseek", MEDIAN)
    assert messages["5"]["created_at"] == 1772415070.0


async def test_importing_twice_changes_nothing_the_second_time(store):
    await import_path(store, DEEPSEEK)
    before = await store.read(snapshot)
    again = await import_path(store, DEEPSEEK)
    assert again.inserted == again.updated == again.branched == 0 and again.conversations_created == 0
    assert await store.read(snapshot) == before


async def test_a_damaged_export_keeps_what_came_before_and_names_what_it_skipped(store):
    summary = await import_path(store, DAMAGED / "conversations.json", provider="deepseek")
    assert summary.conversations == 1
    assert summary.skipped.reasons["malformed conversation"] == 1
    assert any("bad-one" in d for d in summary.skipped.details)
    assert len(summary.errors) == 1 and "ends in the middle of its JSON" in summary.errors[0]
    ids = await store.read(lambda c: [r[0] for r in c.execute("SELECT external_id FROM conversations")])
    assert ids == ["11111111-2222-4333-8444-555555555555"]


async def test_an_answer_captured_live_and_then_imported_is_stored_once(store):
    # The page's turn: reasoning in the HTML (quoted apart), the answer alone as its text.
    html = (
        '<div><div class="ds-think-content"><div class="ds-markdown"><p>Short German answer.</p></div></div>'
        '<div class="ds-markdown ds-assistant-message-main-content">'
        "<p>Sortieren, dann den mittleren Wert nehmen – fertig.</p></div></div>"
    )
    answer_text = html_to_text(
        '<div class="ds-markdown"><p>Sortieren, dann den mittleren Wert nehmen – fertig.</p></div>'
    )
    captured = CaptureUpsert(
        conversation=ConversationIn(provider="deepseek", external_id=MEDIAN, title="Median of a list"),
        turns=[
            TurnIn(key="t-u", role="user", position=0, text="Und auf Deutsch? Kurz bitte."),
            TurnIn(key="t-a", role="assistant", position=1, parent_key="t-u", html=html, text=answer_text),
        ],
    )
    await store.write(upsert_capture, captured)
    summary = await import_path(store, DEEPSEEK)
    assert summary.merged == 2
    messages = await store.read(messages_of, "deepseek", MEDIAN)
    answers = [m for m in messages.values() if m["text"].startswith("Sortieren")]
    assert len(answers) == 1 and answers[0]["key"] == "t-a"
    assert answers[0]["markdown"].startswith("> Short German answer.\n\nSortieren")


async def test_a_deepseek_export_is_recognised_whatever_the_order_of_its_keys(store, tmp_path):
    """DeepSeek's items carry ChatGPT's `mapping` too: the item's keys decide, not the first one seen."""
    import json

    items = json.loads((DEEPSEEK / "conversations.json").read_text(encoding="utf-8"))
    mapping_first = [{"mapping": item.pop("mapping"), **item} for item in items]
    (tmp_path / "conversations.json").write_text(json.dumps(mapping_first), encoding="utf-8")
    summary = await import_path(store, tmp_path / "conversations.json")
    assert [f.split(" ")[-1] for f in summary.files] == ["(deepseek)"]
    assert summary.conversations == 3 and not summary.errors
    chatgpt = await import_path(store, FIXTURES / "chatgpt")
    assert {f.split(" ")[-1] for f in chatgpt.files} == {"(chatgpt)"}
