"""Every network parser reads a later generation of its site's payload: fields it has never heard of, at
every level of every record, change nothing it stores; optional fields it knows, gone, cost nothing but
themselves. The sites add fields all the time (a payload is their app's own state), and a parser that
refused them would lose whole conversations on the day of a harmless release.

The payloads are the ones the fuzz test breaks (tests/support/hostile.py, one per parser, ChatGPT's
rebuilt thread runs included), parsed by the host's own parser (vivim.importers.network.parse).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.hostile import Template, templates
from vivim.importers import network

# A later release's additions: scalars, lists and objects the parsers have never seen.
NEW_FIELDS: dict[str, Any] = {
    "x_release_2027": "tomorrow",
    "x_flags_2027": [1, "two", None, {"three": 3}],
    "x_block_2027": {"kind": "sparkles", "items": [{"id": "not-a-message", "text": "ignore me"}]},
}
# Dicts keyed by message ids, not records: a key added there would be a new message, not a new field.
ID_KEYED = {"mapping"}


def with_new_fields(node: Any, parent_key: str | None = None) -> Any:
    if isinstance(node, dict):
        out = {k: with_new_fields(v, k) for k, v in node.items()}
        if parent_key not in ID_KEYED:
            out.update(NEW_FIELDS)
        return out
    if isinstance(node, list):
        return [with_new_fields(v) for v in node]
    return node


def stored(template: Template, doc: Any) -> list[tuple[str, str | None, str, str]]:
    parsed = network.parse(
        template.provider, template.external_id, json.dumps(doc).encode(), [], template.url, []
    )
    return [(t.key, t.parent_key, t.role, t.text) for t in parsed.capture.turns]


def name(template: Template) -> str:
    return f"{template.provider}:{template.url.rsplit('/', 1)[-1][:40]}"


@pytest.mark.parametrize("template", templates(), ids=name)
def test_fields_a_parser_never_heard_of_change_nothing_it_stores(template: Template) -> None:
    plain = stored(template, template.doc)
    if not plain:  # a payload of no turns of its own (Grok's tree): it still must not be refused
        stored(template, with_new_fields(template.doc))
        return
    assert stored(template, with_new_fields(template.doc)) == plain


OPTIONAL = {
    # The export's message model: what a page may leave out and the turn still stands.
    "chatgpt": (
        "update_time",
        "status",
        "end_turn",
        "weight",
        "model_slug",
        "request_id",
        "citations",
        "title",
    ),
    "claude": ("updated_at", "stop_reason", "attachments", "files", "files_v2", "sync_sources", "name"),
    "deepseek": ("model", "status", "files", "inserted_at", "elapsed_secs", "title"),
    "mistral": ("createdAt", "files", "title"),
    "copilot": ("createdAt",),
    "grok": ("createTime", "model"),  # (its thinkingTrace and webSearchResults are turns of their own)
}


def without(node: Any, keys: tuple[str, ...]) -> Any:
    if isinstance(node, dict):
        return {k: without(v, keys) for k, v in node.items() if k not in keys}
    if isinstance(node, list):
        return [without(v, keys) for v in node]
    return node


@pytest.mark.parametrize("template", [t for t in templates() if t.provider in OPTIONAL], ids=name)
def test_optional_fields_left_out_still_give_every_turn(template: Template) -> None:
    plain = stored(template, template.doc)
    lean = stored(template, without(template.doc, OPTIONAL[template.provider]))
    assert sorted((k, p, r) for k, p, r, _ in lean) == sorted((k, p, r) for k, p, r, _ in plain)
    assert all(text for *_, text in lean)
    order = [k for k, *_ in lean]  # without their dates, turns still come after the turn they answer
    assert all(p is None or order.index(p) < order.index(k) for k, p, *_ in lean)


def test_grok_responses_without_dates_in_any_order_are_numbered_after_the_turn_they_answer() -> None:
    template = next(t for t in templates() if t.provider == "grok" and "responses" in t.doc)
    plain = network.parse(
        "grok", template.external_id, json.dumps(template.doc).encode(), [], template.url, []
    )
    undated = without(template.doc, ("createTime",))
    undated["responses"].reverse()  # the page may list a batch newest first
    lean = network.parse("grok", template.external_id, json.dumps(undated).encode(), [], template.url, [])
    where = {t.key: t.position for t in plain.capture.turns}
    assert {t.key: t.position for t in lean.capture.turns} == where
    order = [t.key for t in lean.capture.turns]
    assert all(
        t.parent_key is None or order.index(t.parent_key) < order.index(t.key) for t in lean.capture.turns
    )
