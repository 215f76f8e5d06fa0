"""Chunks fit the embedding model's 256-token window, lose no words, and keep code blocks whole."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from vivim.retrieval.chunking import MAX_CHARS, chunk_markdown
from vivim.retrieval.embedding import MAX_TOKENS, token_counter

from .corpus import CONVERSATIONS

PROSE = " ".join(text for *_, turns in CONVERSATIONS for _, text in turns)


def test_a_long_paragraph_is_cut_at_sentence_ends_into_pieces_the_model_reads_whole() -> None:
    chunks = chunk_markdown(PROSE * 3)
    assert len(chunks) > 3
    counter = token_counter()
    assert max(counter.count(c) for c in chunks) <= MAX_TOKENS - 2  # [CLS] and [SEP]
    assert all(c.rstrip().endswith((".", "!", "?", ";", ":")) for c in chunks[:-1])


def test_a_code_block_stays_in_one_chunk() -> None:
    code = "```python\n" + "\n".join(f"    total += item_{i}  # step {i}" for i in range(30)) + "\n```"
    assert MAX_CHARS < len(code) < 1600
    chunks = chunk_markdown(f"Intro paragraph.\n\n{code}\n\nAfter the code.")
    assert code in chunks


words = st.text(alphabet=st.characters(whitelist_categories=("Lu", "Ll", "Nd")), min_size=1, max_size=14)
paragraphs = st.lists(words, min_size=1, max_size=120).map(" ".join)


@settings(max_examples=60, deadline=None)
@given(st.lists(paragraphs, min_size=1, max_size=12).map("\n\n".join))
def test_chunking_loses_and_reorders_no_word(markdown: str) -> None:
    chunks = chunk_markdown(markdown)
    assert " ".join(chunks).split() == markdown.split()
    assert all(len(c) <= MAX_CHARS for c in chunks)
