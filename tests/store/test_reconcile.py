"""DOM and network captures of one conversation reconcile into one: the network brings ids, parents,
positions and timestamps, the DOM its rendered Markdown; in either order, nothing is duplicated, and
re-opening (both again) changes nothing."""

from __future__ import annotations

from tests.store.test_capture_upsert import capture, messages
from tests.support import payloads
from vivim.importers import network as netcapture
from vivim.store import Store
from vivim.store.capture import upsert_capture

CLAUDE_ID = "3c2b1a09-8f7e-4d6c-9b5a-4e3d2c1b0a99"
CHATGPT_ID = "5d4c3b2a-1908-8f7e-6d5c-4b3a29180706"


def network_capture(provider: str, doc: dict) -> object:
    import json

    parsed = netcapture.parse(provider, doc.get("uuid") or doc["conversation_id"], json.dumps(doc).encode())
    parsed.capture.source = "network"
    return parsed.capture


def claude_dom(n_from: int, n_to: int) -> object:
    """What the Claude page renders: the last turns, no ids, keys the adapter derives."""
    turns, parent = [], None
    for pos, i in enumerate(range(n_from, n_to)):
        key = f"{'u' if i % 2 == 0 else 'a'}{pos}-dom"
        turns.append(
            {
                "key": key,
                "role": "user" if i % 2 == 0 else "assistant",
                "position": pos,
                "parent_key": parent,
                "text": payloads.turn_text(i),
                "html": f"<p>{payloads.turn_text(i)}</p>",
            }
        )
        parent = key
    return capture(turns, provider="claude", external_id=CLAUDE_ID)


async def test_dom_first_then_network_merges_by_content_and_takes_the_networks_structure(
    store: Store,
) -> None:
    dom = await store.write(upsert_capture, claude_dom(40, 60))
    net = await store.write(
        upsert_capture, network_capture("claude", payloads.claude_conversation(CLAUDE_ID, 60))
    )
    assert (net.inserted, net.merged) == (40, 20)
    stored = await messages(store, dom.conversation_id)
    assert len(stored) == 60
    last = [m for m in stored if m["text"] == payloads.turn_text(59)]
    assert len(last) == 1 and last[0]["provider_message_id"] == payloads.claude_id(CLAUDE_ID, 59)
    [parent] = [m for m in stored if m["provider_message_id"] == payloads.claude_id(CLAUDE_ID, 58)]
    assert last[0]["position"] == 59 and last[0]["parent_key"] == parent["key"]  # links to the stored row
    assert [m["position"] for m in stored] == list(range(60))


async def test_network_first_then_dom_and_reopening_changes_nothing(store: Store) -> None:
    doc = payloads.claude_conversation(CLAUDE_ID, 60, branch_at=3)
    net = await store.write(upsert_capture, network_capture("claude", doc))
    dom = await store.write(upsert_capture, claude_dom(40, 60))
    assert dom.merged == 20 and dom.inserted == 0
    assert dom.keys[-1] == payloads.claude_id(CLAUDE_ID, 59)  # the page learns the provider's id
    before = await messages(store, net.conversation_id)
    again_net = await store.write(upsert_capture, network_capture("claude", doc))
    again_dom = await store.write(upsert_capture, claude_dom(40, 60))
    assert again_net.inserted == again_net.updated == again_dom.inserted == again_dom.updated == 0
    assert await messages(store, net.conversation_id) == before
    assert len(before) == 61


async def test_chatgpt_dom_markdown_stays_and_the_network_brings_only_structure(store: Store) -> None:
    doc = payloads.chatgpt_conversation(CHATGPT_ID, 4)
    mid = payloads.chatgpt_id(CHATGPT_ID, 3)
    rendered = "Answer number 3 about **sourdough** hydration"
    dom = capture(
        [
            {
                "key": mid,
                "message_id": mid,
                "role": "assistant",
                "position": 7,
                "text": rendered,
                "markdown": rendered,
            }
        ],
        external_id=CHATGPT_ID,
    )
    first = await store.write(upsert_capture, dom)
    await store.write(upsert_capture, network_capture("chatgpt", doc))
    again = await store.write(upsert_capture, dom)
    assert (again.updated, again.inserted) == (0, 0)
    [row] = [m for m in await messages(store, first.conversation_id) if m["key"] == mid]
    assert row["markdown"] == rendered  # the DOM's rendering is kept
    assert (row["position"], row["parent_key"]) == (3, payloads.chatgpt_id(CHATGPT_ID, 2))  # the tree's place
    assert await store.write(upsert_capture, network_capture("chatgpt", doc)) is not None
    assert [m["markdown"] for m in await messages(store, first.conversation_id) if m["key"] == mid] == [
        rendered
    ]


CODE_ANSWER = "Use this:\n\n```python\nprint(sorted(flours))\n```"


def claude_dom_with_chrome() -> object:
    """The page's copy of a two-turn Claude chat whose answer has a code block: its text carries the
    block's language label ("python"), which the network's Markdown has as the fence's language only."""
    prompt = payloads.turn_text(0)
    return capture(
        [
            {"key": "u0-dom", "role": "user", "position": 0, "text": prompt, "html": f"<p>{prompt}</p>"},
            {
                "key": "a1-dom",
                "role": "assistant",
                "position": 1,
                "parent_key": "u0-dom",
                "text": "Use this:\npython\nprint(sorted(flours))",
                "html": "<p>Use this:</p><div><div>python</div><pre><code>print(sorted(flours))</code></pre></div>",
            },
        ],
        provider="claude",
        external_id=CLAUDE_ID,
    )


def claude_network_with_code() -> object:
    doc = payloads.claude_conversation(CLAUDE_ID, 2)
    doc["chat_messages"][1]["content"][0]["text"] = CODE_ANSWER
    return network_capture("claude", doc)


async def test_a_keyless_answer_whose_page_text_has_chrome_is_one_row_in_either_order(store: Store) -> None:
    for first, second in (
        (claude_dom_with_chrome, claude_network_with_code),
        (claude_network_with_code, claude_dom_with_chrome),
    ):
        await store.write(lambda conn: conn.execute("DELETE FROM messages"))
        one = await store.write(upsert_capture, first())
        two = await store.write(upsert_capture, second())
        stored = await messages(store, one.conversation_id)
        assert (len(stored), two.inserted, two.merged) == (2, 0, 2), first.__name__
        assert [m["provider_message_id"] for m in stored] == [
            payloads.claude_id(CLAUDE_ID, i) for i in range(2)
        ]
        again = await store.write(upsert_capture, first())  # re-opening changes nothing
        assert (again.inserted, len(await messages(store, one.conversation_id))) == (0, 2)


async def test_a_different_answer_under_the_same_prompt_is_not_taken_for_the_pages_copy(store: Store) -> None:
    dom = claude_dom_with_chrome()
    dom.turns[1].text = "Sort them by protein: print(sorted(flours, key=protein)) does it."
    dom.turns[1].html = f"<p>{dom.turns[1].text}</p>"  # the page's text and HTML are one element's
    one = await store.write(upsert_capture, dom)
    two = await store.write(upsert_capture, claude_network_with_code())
    assert (two.inserted, two.merged) == (1, 1)  # the prompt merges; the other answer is a branch of its own
    assert len(await messages(store, one.conversation_id)) == 3
