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
informative words weighted by rarity (vivim.retrieval.search.QueryWords.coverage), so a query is not matched
by its commonest word alone.

The numbers are calibrated on the "tune" split of bench/quality with `bench/search_quality.py
--calibrate` and checked on its held-out split; they belong to the model: a new model needs a new
calibration.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .words import STOP_WORDS, UNSPACED

STRONG, WEAK = "strong", "weak"
STEM_CHARS = 5

# A script the model reads (Latin) or one it barely knows (everything else).
_LATIN_ONLY = re.compile(r"^[\x00-\u024f\u1e00-\u1eff\u2000-\u206f\u20a0-\u20cf]*$")


@dataclass(frozen=True)
class Floor:
    sure_cosine: float  # a vector hit at or above this passes on meaning alone
    floor_cosine: float  # below this, never; in between, only with lexical support
    support: float  # the share of the query's words (stems, bigrams) the chunk must hold in between
    strong_cosine: float  # at or above: a "strong" match


# Calibrated on the tune split alone (bench/search_quality.py --calibrate, 2026-12-07, after function
# words of other languages became stop words); the rule: the best recall@5 at no-answer precision 1.0,
# on a tie the row closest to the values before. English words (LATIN, 114 tune queries): sure 0.38, floor 0.33,
# support 0.25 was the only row with recall@5 1.0 at no-answer precision 1.0 (0.40/0.27/0.34, the
# values before: 0.981). UNKNOWN_WORDS (42): every sure cosine from 0.52 to 0.60 kept recall@5 1.0 at
# no-answer precision 1.0; 0.55 stays. OTHER_SCRIPT (19 tune queries, 5 of them no-answer): an
# unrelated Russian or Korean query reached cosine 0.73 ("как заменить масло в мотоцикле"), so 0.75
# is the lowest sure cosine at no-answer precision 1.0 (recall@5 0.929, as at 0.65-0.80 and never);
# 0.68 before was read off the no-answer queries of both splits, held-out ones included.
LATIN = Floor(sure_cosine=0.38, floor_cosine=0.33, support=0.25, strong_cosine=0.55)
# Latin script, but words the model's vocabulary does not hold whole (German, Spanish, gibberish):
# its cosines run higher for unrelated text, and a made-up word lands near anything.
UNKNOWN_WORDS = Floor(sure_cosine=0.55, floor_cosine=0.33, support=0.34, strong_cosine=0.62)
OTHER_SCRIPT = Floor(sure_cosine=0.75, floor_cosine=0.45, support=0.34, strong_cosine=0.75)
# The first-pass (static) model's space: its cosines run differently from MiniLM's, so it has its
# own floors, calibrated the same way with only first-pass vectors in the archive
# (bench/search_quality.py --first-pass only --calibrate, tune split, 2026-12-07, re-run with the
# recipe fitted on tune and exchange support). LATIN: sure 0.50, floor 0.30, support 0.25 kept recall@5
# 0.886 at no-answer precision 1.0 (0.45: 0.933 but 0.889 no-answer precision).
# A static model averages per-token vectors, so a word it does not hold whole (gibberish, German
# compounds, other scripts) is the mean of its WordPiece fragments and lands close to any text
# made of similar fragments: made-up queries reached cosine 0.94 (no-answer precision 0.33-0.83 at
# any sure cosine up to 0.75). For those queries meaning alone never suffices in this space
# (NEVER): a first-pass hit needs lexical support too: for Latin-script words the model does not know,
# half of the query's words weighted by rarity (0.34 let "Wie funktioniert ein Segelflugzeug" match a
# German tenancy text on "wie" and "ein", before function words were stop words); for other scripts
# a third (tune: recall@5 0.929 against 0.857 at half, no-answer precision 1.0 at both).
NEVER = 1.01  # above any cosine
FIRST_PASS_LATIN = Floor(sure_cosine=0.50, floor_cosine=0.30, support=0.25, strong_cosine=0.65)
FIRST_PASS_UNKNOWN_WORDS = Floor(sure_cosine=NEVER, floor_cosine=0.35, support=0.5, strong_cosine=NEVER)
FIRST_PASS_OTHER_SCRIPT = Floor(sure_cosine=NEVER, floor_cosine=0.45, support=0.34, strong_cosine=NEVER)
# multilingual-e5-small's space (vivim.retrieval.multilingual: chunks not in English, any query). Its
# cosines run high for everything (no-answer queries' best: median 0.81, max 0.85 on the tune split;
# same-language non-English answers: p5 0.87; cross-lingual ones: median 0.85). Calibrated on the
# tune split's non-English and no-answer queries that are not English (bench/search_quality.py
# --calibrate, 2026-12-07; 40 queries): sure 0.85 to 0.88 kept same-language recall@5 at 1.0 at the
# best no-answer precision any row reached (0.91: the one miss is the English model's, in every
# row); 0.84 let two unrelated queries through. The lowest of those; floor 0.82 and support 0.34 as
# first set (ties). Strong at 0.88, the same-language answers' median.
MULTILINGUAL = Floor(sure_cosine=0.85, floor_cosine=0.82, support=0.34, strong_cosine=0.88)
# An English query meets the non-English chunks there from further away: no text in its own language
# lifts its cosines (no-answer English queries' best: 0.76-0.82 on the tune split; non-English ones'
# 0.81-0.85, since the space holds texts in their language). Calibrated the same way on the tune
# split's English queries that reach the space (25 cross-lingual, 9 no-answer): sure 0.83 and 0.84
# kept no-answer precision at 1.0 with cross-lingual recall@5 0.68 (0.82: 0.72 but 0.89; 0.85:
# 0.44); 0.83 as first set. strong_cosine also sets how a hit here ranks against the English
# model's (relevance.scaled): 0.86, 0.88 and 0.90 tied on the tune split's answerable MRR@10 (0.919);
# 0.88 kept English paraphrases' recall@1 where it was without this space (0.925; 0.86: 0.910, a
# loosely related Japanese conversation first), cross-lingual recall@1 0.52 (0.86: 0.56).
# Re-run when each text became embedded alone (vectors no longer move with their batch, 2026-12-07):
# MULTILINGUAL still 0.85; here 0.82 now also reached no-answer precision 1.0 (cross-lingual recall@5
# 0.70 against 0.67 on tune), but held out it found nothing more and cost a keyword query its first
# place in both splits (an e5 hit ranked above it): 0.83 stays.
MULTILINGUAL_ENGLISH = Floor(sure_cosine=0.83, floor_cosine=0.80, support=0.34, strong_cosine=0.88)


def multilingual_floor_for(query: str) -> Floor:
    """The multilingual space's floor: English queries (floor_for's LATIN) have their own."""
    return MULTILINGUAL_ENGLISH if floor_for(query) is LATIN else MULTILINGUAL


KNOWN_SHARE = 0.6  # at least this share of the query's words whole in the model's vocabulary: LATIN
WORD_FLOOR = 0.50  # a full-text hit must hold this IDF-weighted share of the query's informative words


def floor_for(query: str) -> Floor:
    if not _LATIN_ONLY.match(query):
        return OTHER_SCRIPT
    # Function words do not say which language the model must read: "del" and "per" are whole
    # words of its English vocabulary, and an Italian query is not English for holding them.
    words = [w for w in re.findall(r"[^\W\d_]{3,}", query.lower()) if w not in STOP_WORDS]
    if not words:
        return LATIN
    known_words = vocabulary()
    if known_words is None:
        return LATIN
    known = sum(1 for w in words if w in known_words)
    return LATIN if known / len(words) >= KNOWN_SHARE else UNKNOWN_WORDS


def first_pass_floor_for(query: str) -> Floor:
    """The first-pass space's floor for the same script group floor_for() picks."""
    group = floor_for(query)
    if group is LATIN:
        return FIRST_PASS_LATIN
    return FIRST_PASS_UNKNOWN_WORDS if group is UNKNOWN_WORDS else FIRST_PASS_OTHER_SCRIPT


_vocab: frozenset[str] | None = None
_vocab_loaded = False


def vocabulary() -> frozenset[str] | None:
    """The embedding model's WordPiece vocabulary (whole words only), read once from the shipped
    tokenizer.json: a word it holds whole is a word the model has learned; one it cuts into
    pieces is foreign to it (another language, a typo, gibberish)."""
    global _vocab, _vocab_loaded
    if not _vocab_loaded:
        import json

        from .embedding import TOKENIZER_DIR

        try:
            data = json.loads((TOKENIZER_DIR / "tokenizer.json").read_text(encoding="utf-8"))
            _vocab = frozenset(w for w in data["model"]["vocab"] if not w.startswith("##"))
        except (OSError, ValueError, KeyError):
            _vocab = None
        _vocab_loaded = True
    return _vocab


_HIRAGANA = re.compile(r"[\u3040-\u309f]+")
_SCRIPT_PIECE = re.compile(
    r"[\u3040-\u309f]+|[\u30a0-\u30ff\u30fc]+|[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+"
    r"|[\u0e00-\u0e7f]+|[\uac00-\ud7af]+|[^\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u0e00-\u0e7f\uac00-\ud7af]+"
)


def pieces(run: str) -> list[str]:
    """The content pieces of an unspaced run: where the script changes (kanji, katakana, hiragana,
    Latin) is where Japanese words usually meet, and the hiragana between kanji and katakana is
    mostly particles and endings ("温泉の入り方とマナー" -> 温泉, マナー), which would otherwise
    give bigrams like "の入" that match any text. A run of one script (Chinese, Thai) stays whole."""
    found = _SCRIPT_PIECE.findall(run)
    content = [p for p in found if not _HIRAGANA.fullmatch(p)] or found
    longer = [p for p in content if len(p) >= 2]
    # A lone kanji between particles (入, 出) is in most texts: left out when the run says more.
    return longer if len(longer) >= 2 else content


def units(words: tuple[str, ...] | list[str]) -> list[str]:
    """What lexical support counts: stems of spaced words, character bigrams of the content pieces of
    unspaced runs (a piece of one or two characters counts whole)."""
    out: list[str] = []
    for word in words:
        if UNSPACED.search(word):
            for piece in pieces(word):
                if UNSPACED.search(piece):
                    out.extend(piece[i : i + 2] for i in range(max(1, len(piece) - 1)))
                else:  # a Latin word inside the run ("CSVを"): a word, not bigrams
                    out.append(piece[:STEM_CHARS])
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


def scaled(cosine: float, floor: Floor) -> float:
    """A cosine on a scale shared by both vector spaces: 0 at the floor, 1 at the strong cosine (for
    a NEVER floor, whose strong cosine cannot be reached, 1 at the cosine floor + 0.3)."""
    top = floor.strong_cosine if floor.strong_cosine <= 1.0 else floor.floor_cosine + 0.3
    return (cosine - floor.floor_cosine) / max(1e-6, top - floor.floor_cosine)


def strength(cosine: float | None, coverage: float | None, floor: Floor) -> str:
    """ "strong": close in meaning, or every informative word of the query is there; else "weak"."""
    if cosine is not None and cosine >= floor.strong_cosine:
        return STRONG
    return STRONG if coverage is not None and coverage >= 1.0 else WEAK
