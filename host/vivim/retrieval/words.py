"""Words of user text: what full-text queries are built from and what the context engine compares.

User text never reaches FTS5 MATCH raw: every word is quoted, so `"`, `*`, `NEAR`, `-` and
parentheses are searched for, not obeyed.
"""

from __future__ import annotations

import re
import unicodedata

WORD = re.compile(r"\w+", re.UNICODE)
# Scripts written without spaces between words (Thai, Japanese, Chinese, Korean syllables).
UNSPACED = re.compile(r"[\u0e00-\u0e7f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")  # in a str, any surrogate left is a lone one


def tokenizable(text: str) -> str:
    """The text with each lone UTF-16 surrogate replaced by U+FFFD: the `tokenizers` library refuses
    such a string outright (TypeError), and one reaches here from a command line argument in a
    non-UTF-8 locale or a JSON body cut inside an emoji (the protocol repairs its frames itself)."""
    return _LONE_SURROGATE.sub("\ufffd", text)


MAX_QUERY_WORDS = 24
# Around the matched words of a snippet (control characters no captured text contains); clients
# turn them into <mark> (web app, popup) or **bold** (MCP).
MARK_START = "\u0002"
MARK_END = "\u0003"
ENGLISH_STOP_WORDS = (
    "a an and are as at be but by can could did do does for from had has have how i if in into is it its"
    " me my no not of on or our so than that the their them then there these they this to was we were"
    " what when where which who why will with would you your"
)
# The function words of the other languages people write to assistants in most (articles,
# prepositions, pronouns, "how"/"what"/"for"): left in, a Russian "для" or an Italian "per" counted as
# a query word a chunk must hold, and, being whole words of the English model's vocabulary, made a
# foreign query look English to the relevance floor. Words that are also English content words or
# common acronyms ("die", "war", "hat", "sin", "son", "come", "dove", "con", "mit", "os") are not listed.
OTHER_STOP_WORDS = (
    # Russian
    "и в во не что он на я с со как а то все всё она так его но да ты к у же вы за бы по ее её мне от"
    " меня о об из ему ли если или ни до вас вам там себя ей они тут где есть для мы тебя их чем без чего"
    " под кто этот эта это эти того этого этой эту какой какая какое какие каких какую здесь этом мой моя"
    " мои мою тем чтобы чтоб при через нас про них свою свой перед между наш ваш"
    # German
    " der das den dem des ein eine einen einem einer eines und oder aber ist sind bist sein von zu"
    " zum zur im auf aus bei nach für über unter vor wie wer wo warum ich du er sie es wir ihr mein meine"
    " meinen dein deine nicht kein keine auch noch nur schon sich sehr wenn dass als am um"
    # Spanish
    " el la los las un una unos unas y o pero de del al en por para que qué como cómo cuando cuándo"
    " donde dónde es está están ser mi mis tu tus su sus se te le les lo nos muy más ya sí este esta"
    " estos estas ese esa"
    # French
    " le les une des du et ou mais dans sur pour par avec sans qui quoi comment est sont être je il elle"
    " nous vous ils elles mon ma mes ton ta tes sa ses ce cette ces au aux ne pas qu"
    # Portuguese
    " as um uma uns umas e em na nas com é são meu minha seu sua lhe muito mais não"
    # Italian
    " il lo gli uno della dei delle da nel nella che quando è sono essere mio mia suo non più anche"
)


def _without_marks(word: str) -> str:
    """The word as search folds Latin text (no diacritics), so "más" is also known as "mas"."""
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFD", word) if not unicodedata.combining(c))


STOP_WORDS = frozenset(
    w
    for word in (ENGLISH_STOP_WORDS + " " + OTHER_STOP_WORDS).split()
    for w in (word, _without_marks(word) if word.isascii() or word[0] < "\u0400" else word)
)


# Function words of the other languages only: what tells a German or Spanish text from an English
# one (vivim.retrieval.multilingual.needs_vector).
FOREIGN_FUNCTION_WORDS = frozenset(
    w
    for word in OTHER_STOP_WORDS.split()
    for w in (word, _without_marks(word) if word.isascii() or word[0] < "\u0400" else word)
) - frozenset(ENGLISH_STOP_WORDS.split())


def fts_query(text: str, *, prefix_last: bool = True) -> str | None:
    """A safe FTS5 query: every word quoted, all required, the last one as a prefix."""
    words = WORD.findall(text)[:MAX_QUERY_WORDS]
    if not words:
        return None
    quoted = ['"' + w.replace('"', '""') + '"' for w in words]
    if prefix_last and len(words[-1]) >= 2:
        quoted[-1] += "*"
    return " ".join(quoted)


def fts_query_any(text: str, max_words: int = 16, stem_chars: int = 0) -> str | None:
    """A safe FTS5 query matching ANY informative word of a long text (a draft, a question).

    Stop words are left out: OR-ing them in makes FTS5 walk most of the index (~10x slower).
    With `stem_chars`, a longer word is asked for as a prefix of that many letters ("таблице" as
    "табли"*, meeting "таблица"), for languages whose words the embedding model does not know.
    """
    seen: dict[str, None] = {}
    for word in WORD.findall(text.lower()):
        if len(word) >= 2 and word not in STOP_WORDS:
            seen.setdefault(word, None)
        if len(seen) >= max_words:
            break
    if not seen:
        return None
    terms = dict.fromkeys(
        '"' + w[:stem_chars].replace('"', '""') + '"*'
        if stem_chars and len(w) > stem_chars
        else '"' + w.replace('"', '""') + '"'
        for w in seen
    )
    return " OR ".join(terms)


def informative_words(text: str) -> frozenset[str]:
    """The words of `text` that say something (lower-cased, no stop words, two letters or more)."""
    return frozenset(w for w in WORD.findall(text.lower()) if len(w) >= 2 and w not in STOP_WORDS)


def _latin_folds() -> dict[int, str]:
    table = {}
    for code in (*range(0x00C0, 0x0250), *range(0x1E00, 0x1F00)):
        base = "".join(c for c in unicodedata.normalize("NFD", chr(code)) if not unicodedata.combining(c))
        if base != chr(code):
            table[code] = base
    return table


_LATIN_FOLDS = _latin_folds()


def fold(text: str) -> str:
    """Lower case, Latin letters without diacritics: what FTS5's `unicode61 remove_diacritics 2`
    compares (it leaves other scripts alone: "й" and "が" keep their marks). A translate table:
    search folds every candidate chunk, so this runs ~50 times a query."""
    lowered = text.lower()
    if lowered.isascii():
        return lowered
    return unicodedata.normalize("NFC", lowered).translate(_LATIN_FOLDS)


def content_words(query: str, max_words: int = 16) -> list[str]:
    """The query's informative words (folded, stop words and single letters left out), in order."""
    seen: dict[str, None] = {}
    for word in WORD.findall(fold(query)):
        if (len(word) >= 2 or UNSPACED.search(word)) and word not in STOP_WORDS:
            seen.setdefault(word, None)
        if len(seen) >= max_words:
            break
    return list(seen)
