"""The relevance floor: when a search hit is close enough to show, and how close ("strong" / "weak").

Ranks cannot say "nothing here": every query has a nearest vector and a word in common with
something. So each candidate is judged on two signals before it may enter the fusion:

- its cosine to the query (all-MiniLM-L6-v2, the shipped model), and
- its lexical support: the share of the query's informative words the chunk holds, with a crude
  stem (a word's first STEM_CHARS letters, so "бледным" meets "бледный" and "Roggenbrot" meets
  "Roggenbrote") and, for scripts written without spaces (Japanese, Chinese, Thai, Korean), the
  share of the query's character bigrams.

A vector hit passes at SURE_COSINE, or at FLOOR_COSINE with SUPPORT_FLOOR of support: between the
two, meaning alone is not trusted. The model knows English well, other Latin-script languages
partly, other scripts barely: a Russian or Japanese query lands at cosine 0.5-0.65 from every text
in its script, relevant or not (bench/search_quality.py prints the profile), so those queries get
their own, higher thresholds. A full-text hit passes when it holds WORD_FLOOR of the query's
informative words weighted by rarity (vivim.search.QueryWords.coverage), so a query is not matched
by its commonest word alone.

The numbers are calibrated on the "tune" split of bench/quality with `bench/search_quality.py
--calibrate` and checked on its held-out split; they belong to the model: a new model needs a new
calibration.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

STRONG, WEAK = "strong", "weak"
STEM_CHARS = 5

# A script the model reads (Latin) or one it barely knows (everything else).
_LATIN_ONLY = re.compile(r"^[\x00-\u024f\u1e00-\u1eff\u2000-\u206f\u20a0-\u20cf]*$")
UNSPACED = re.compile(r"[\u0e00-\u0e7f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")


@dataclass(frozen=True)
class Floor:
    sure_cosine: float  # a vector hit at or above this passes on meaning alone
    floor_cosine: float  # below this, never; in between, only with lexical support
    support: float  # the share of the query's words (stems, bigrams) the chunk must hold in between
    strong_cosine: float  # at or above: a "strong" match


# Calibrated on the tune split (bench/search_quality.py --calibrate, 2026-12-06): for Latin-script
# queries sure 0.40 kept recall@5 0.986 but let 3 of 15 no-answer queries through, 0.45 cost 4 points
# of recall for one more; 0.42 sits between. Other scripts had 14 answerable and 1 no-answer tune
# queries (too few to trust): the no-answer queries of both splits peak at 0.55-0.65, hence 0.68.
LATIN = Floor(sure_cosine=0.42, floor_cosine=0.33, support=0.34, strong_cosine=0.55)
OTHER_SCRIPT = Floor(sure_cosine=0.68, floor_cosine=0.45, support=0.34, strong_cosine=0.75)
WORD_FLOOR = 0.50  # a full-text hit must hold this IDF-weighted share of the query's informative words


def floor_for(query: str) -> Floor:
    return LATIN if _LATIN_ONLY.match(query) else OTHER_SCRIPT


def units(words: tuple[str, ...] | list[str]) -> list[str]:
    """What lexical support counts: stems of spaced words, character bigrams of unspaced runs."""
    out: list[str] = []
    for word in words:
        if UNSPACED.search(word):
            out.extend(word[i:i + 2] for i in range(max(1, len(word) - 1)))
        else:
            out.append(word[:STEM_CHARS])
    return list(dict.fromkeys(out))


def support(query_units: list[str], folded_text: str, tokens: set[str]) -> float:
    """The share of the query's units found in a chunk (folded text and its word tokens)."""
    if not query_units:
        return 0.0
    stems = {t[:STEM_CHARS] for t in tokens}
    found = sum(1 for u in query_units if (u in folded_text if UNSPACED.search(u) else u in stems))
    return found / len(query_units)


def vector_passes(cosine: float, lexical_support: float, floor: Floor) -> bool:
    return cosine >= floor.sure_cosine or (cosine >= floor.floor_cosine and lexical_support >= floor.support)


def strength(cosine: float | None, coverage: float | None, floor: Floor) -> str:
    """"strong": close in meaning, or every informative word of the query is there; else "weak"."""
    if cosine is not None and cosine >= floor.strong_cosine:
        return STRONG
    return STRONG if coverage is not None and coverage >= 1.0 else WEAK
