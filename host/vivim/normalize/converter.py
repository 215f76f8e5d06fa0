"""markdownify, extended with VIVIM's rules: verbatim fenced code, GFM tables, safe links,
minimal escaping, math, and a per-element fallback to text.

Code blocks and math become opaque placeholders (see `fragments`), so nothing here can
alter their content; escaping rules live in `escaping`.
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import urljoin

from markdownify import ATX, BACKSLASH, MarkdownConverter

from .code import LANG_ATTR, code_text
from .escaping import escape_inline, escape_line_start, inline_code, is_punct, is_word, starts_line, unescape
from .fragments import Fragments, odd_trailing_backslashes
from .rendering import BLOCK
from .text import inner_text

log = logging.getLogger(__name__)

_CELL, _ROW = "\x1e", "\x1f"  # private separators of table cells and rows (never in cleaned input)

# Inline escaping: only characters that would start Markdown syntax where they stand.
_UNSAFE_SCHEMES = ("javascript:", "vbscript:", "data:", "file:", "blob:", "about:")
_URL_NEEDS_ENCODING = {" ": "%20", "(": "%28", ")": "%29", "<": "%3C", ">": "%3E", "\n": "", "\t": ""}
DATA_URI_PLACEHOLDER = "data:omitted"  # an image inlined as a data: URI is not copied into Markdown
_SAME_FORMAT = {
    "**": frozenset({"b", "strong"}),
    "*": frozenset({"i", "em"}),
    "~~": frozenset({"del", "s", "strike"}),
}
_ITEM_BLOCKS = frozenset({"p", "pre", "blockquote", "table", "div", "h1", "h2", "h3", "h4", "h5", "h6"})


class TurnConverter(MarkdownConverter):
    class Options(MarkdownConverter.DefaultOptions):
        heading_style = ATX
        bullets = "-"
        strong_em_symbol = "*"
        newline_style = BACKSLASH
        wrap = True  # collapse newlines in text like a browser; no wrapping (wrap_width None)
        wrap_width = None
        escape_asterisks = False  # escaping is ours (escape()), minimal and context-aware
        escape_underscores = False
        escape_misc = False
        sub_symbol = "<sub>"
        sup_symbol = "<sup>"

    def __init__(self, fragments: Fragments, base_url: str = "", **options: Any) -> None:
        super().__init__(**options)
        self.fragments = fragments
        self.base_url = base_url

    # --- traversal -------------------------------------------------------------------
    def process_tag(self, node, parent_tags=None):
        try:
            return super().process_tag(node, parent_tags=parent_tags)
        except Exception:
            log.debug("normalize: <%s> converted as text", getattr(node, "name", "?"), exc_info=True)
            try:
                text = self.escape(" ".join(inner_text(node).split()), parent_tags or set())
            except Exception:  # noqa: BLE001
                return ""
            return f"\n\n{text}\n\n" if node.name in BLOCK else text

    def process_text(self, el, parent_tags=None):
        text = super().process_text(el, parent_tags=parent_tags)
        if text and "_noformat" not in (parent_tags or ()) and starts_line(el):
            text = escape_line_start(text)
        return text

    def escape(self, text: str, parent_tags) -> str:
        if not text:
            return ""
        return escape_inline(text)

    # --- blocks ----------------------------------------------------------------------
    def convert_pre(self, el, text, parent_tags):
        code = el.get_text() if el.has_attr(LANG_ATTR) else code_text(el)
        language = str(el.get(LANG_ATTR, "") or "")
        code = _trim_code(code)
        if not code.strip():
            return ""
        if "_inline" in parent_tags:  # a table cell or heading cannot hold a fenced block
            return " " + inline_code(" ".join(code.split())) + " "
        longest = max((len(m) for m in re.findall(r"`+", code)), default=0)
        fence = "`" * max(3, longest + 1)
        token = self.fragments.register(f"{fence}{language}\n{code}\n{fence}", True)
        return f"\n\n{token}\n\n"

    def convert_code(self, el, text, parent_tags):
        if "_noformat" in parent_tags:
            return text
        prefix, suffix = (" " if text[:1] == " " else ""), (" " if text[-1:] == " " else "")
        text = text.strip()
        return f"{prefix}{inline_code(text)}{suffix}" if text else ""

    def _inline_format(self, el, text, parent_tags, marker):
        if "_noformat" in parent_tags:
            return text
        if _SAME_FORMAT[marker].intersection(parent_tags) and _inside_same_format(el, _SAME_FORMAT[marker]):
            return text  # already bold inside bold: markers would only pile up
        if "\n\n" in text.strip():  # formatting spanning blocks (unclosed tags): markers would dangle
            return text
        prefix, suffix = (" " if text[:1] == " " else ""), (" " if text[-1:] == " " else "")
        text = text.strip()
        if not text:
            return ""
        # CommonMark cannot close `**x：**y` or open `y**"x**` (punctuation inside, a word
        # outside): move that punctuation outside the markers (common in CJK text).
        lead = trail = ""
        if not suffix and _word_follows(el):
            while text and is_punct(text[-1]) and text[-2:-1] != "\\":
                trail, text = text[-1] + trail, text[:-1]
        if not prefix and _word_precedes(el):
            while text and is_punct(text[0]) and text[0] != "\\":
                lead, text = lead + text[0], text[1:]
        if not text:
            return f"{prefix}{lead}{trail}{suffix}"
        return f"{prefix}{lead}{marker}{text}{marker}{trail}{suffix}"

    def convert_b(self, el, text, parent_tags):
        return self._inline_format(el, text, parent_tags, "**")

    def convert_em(self, el, text, parent_tags):
        return self._inline_format(el, text, parent_tags, "*")

    def convert_del(self, el, text, parent_tags):
        return self._inline_format(el, text, parent_tags, "~~")

    convert_strong = convert_b
    convert_i = convert_em
    convert_s = convert_del
    convert_strike = convert_del
    convert_kbd = convert_code
    convert_samp = convert_code

    def convert_p(self, el, text, parent_tags):
        # A list item's only paragraph (ChatGPT wraps every item's text in <p>) stays tight,
        # so "1. text" and its nested list are not pulled apart by a blank line.
        if (
            "_inline" not in parent_tags
            and el.parent is not None
            and el.parent.name == "li"
            and sum(1 for c in el.parent.children if getattr(c, "name", None) in _ITEM_BLOCKS) == 1
        ):
            return "\n" + text.strip(" \t\r\n") + "\n"
        return super().convert_p(el, text, parent_tags)

    def convert_details(self, el, text, parent_tags):
        return self.convert_div(el, text, parent_tags)

    def convert_summary(self, el, text, parent_tags):
        return self.convert_p(el, text, parent_tags)

    # --- links and media -------------------------------------------------------------
    def convert_a(self, el, text, parent_tags):
        if "_noformat" in parent_tags:
            return text
        prefix, suffix = (" " if text[:1] == " " else ""), (" " if text[-1:] == " " else "")
        text = text.strip()
        href = self._safe_url(el.get("href"))
        if not text:
            return ""
        if "\n" in text:  # a link around blocks (a card): one line of its text
            lines = (
                re.sub(r"^(?:#{1,6} |> ?|[-+*] |\d{1,9}[.)] )+", "", ln.strip()) for ln in text.split("\n")
            )
            lines = (ln[:-1].rstrip() if odd_trailing_backslashes(ln) else ln for ln in lines)
            text = " ".join(ln for ln in lines if ln)
        if not href:
            return f"{prefix}{text}{suffix}"
        if unescape(text) == href and re.match(r"^[a-z][a-z0-9+.-]*:[^\s<>]*$", href, re.I):
            return f"{prefix}<{href}>{suffix}"
        title = el.get("title")
        title_part = ' "{}"'.format(str(title).replace('"', '\\"')) if title and str(title).strip() else ""
        return f"{prefix}[{text}]({_encode_url(href)}{title_part}){suffix}"

    def convert_img(self, el, text, parent_tags):
        alt = " ".join(str(el.get("alt") or "").split())
        raw = str(el.get("src") or el.get("data-src") or "").strip()
        if raw.lower().startswith("data:"):
            src = DATA_URI_PLACEHOLDER
        else:
            src = self._safe_url(raw)
        if not src:
            return alt and escape_inline(alt)
        alt = escape_inline(alt).replace("[", "\\[").replace("]", "\\]")
        title = el.get("title")
        title_part = ' "{}"'.format(str(title).replace('"', '\\"')) if title and str(title).strip() else ""
        return f"![{alt}]({_encode_url(src)}{title_part})"

    def convert_video(self, el, text, parent_tags):
        source = el.find("source")
        src = self._safe_url(el.get("src") or (source.get("src") if source is not None else ""))
        label = text.strip() or "video"
        return f"[{label}]({_encode_url(src)})" if src else text

    convert_audio = convert_video

    def _safe_url(self, url: Any) -> str:
        # As a browser does: trim, and drop tabs and newlines inside the URL.
        url = re.sub(r"[\t\n\r]", "", str(url or "")).strip(" \x0c")
        if not url:
            return ""
        lowered = re.sub(r"[\x00-\x20]", "", url).lower()
        if lowered.startswith(_UNSAFE_SCHEMES):
            return ""
        if self.base_url and not re.match(r"^[a-z][a-z0-9+.-]*:", url, re.I) and not url.startswith("#"):
            try:
                url = urljoin(self.base_url, url)
            except ValueError:
                return ""
        return url

    # --- tables ----------------------------------------------------------------------
    def convert_td(self, el, text, parent_tags):
        cell = " ".join(text.split()).replace("|", "\\|")
        span = str(el.get("colspan") or "1")
        extra = min(int(span), 50) - 1 if span.isdigit() and int(span) > 1 else 0
        return _CELL + cell + _CELL * extra

    convert_th = convert_td

    def convert_tr(self, el, text, parent_tags):
        return _ROW + text

    def convert_table(self, el, text, parent_tags):
        caption, _, body = text.partition(_ROW)
        rows = [r.split(_CELL)[1:] for r in (_ROW + body).split(_ROW)[1:]] if body or _ROW in text else []
        rows = [r for r in rows if r]
        caption = caption.replace(_CELL, " ").strip()
        if not rows:
            return f"\n\n{caption}\n\n" if caption else ""
        if "_inline" in parent_tags:  # a table in a table cell: flatten
            flat = " / ".join(" ".join(c for c in r if c) for r in rows)
            return f" {flat} "
        width = max(len(r) for r in rows)
        aligns = _alignments(el, width)
        lines = []
        for i, row in enumerate(rows):
            row = row + [""] * (width - len(row))
            lines.append("| " + " | ".join(row) + " |")
            if i == 0:
                lines.append("| " + " | ".join(aligns) + " |")
        table = "\n".join(lines)
        return f"\n\n{caption}\n\n{table}\n\n" if caption else f"\n\n{table}\n\n"

    def convert_caption(self, el, text, parent_tags):
        return " ".join(text.split())

    def convert_li(self, el, text, parent_tags):
        """markdownify's item, numbered in O(1) (it counts previous siblings: quadratic)."""
        text = (text or "").strip()
        if not text:
            return "\n"
        parent = el.parent
        if parent is not None and parent.name == "ol":
            start = str(parent.get("start") or "1").strip()
            first = int(start) if start.isdigit() and len(start) <= 9 else 1
            bullet = f"{first + self._item_index(parent, el)}."
        else:
            bullet = self.options["bullets"][0]
        bullet += " "
        indent = " " * len(bullet)
        lines = text.split("\n")
        body = [lines[0]] + [(indent + line) if line else "" for line in lines[1:]]
        return bullet + "\n".join(body) + "\n"

    def _item_index(self, parent, item) -> int:
        cache = self.__dict__.setdefault("_item_indexes", {})
        key = id(parent)
        if key not in cache or cache[key][0] is not parent:
            from bs4 import Tag

            items = [c for c in parent.children if isinstance(c, Tag) and c.name == "li"]
            cache[key] = (parent, {id(li): i for i, li in enumerate(items)})
        return cache[key][1].get(id(item), 0)

    def convert_hN(self, n, el, text, parent_tags):
        if not text.strip():
            return ""
        return super().convert_hN(n, el, text, parent_tags)

    def convert_br(self, el, text, parent_tags):
        if "_inline" in parent_tags:
            return " "
        return "\\\n"

    def convert_hr(self, el, text, parent_tags):
        return "\n\n---\n\n"


def _word_follows(el: Any) -> bool:
    from bs4 import NavigableString

    sibling = el.next_sibling
    return isinstance(sibling, NavigableString) and is_word(str(sibling)[:1])


def _word_precedes(el: Any) -> bool:
    from bs4 import NavigableString

    sibling = el.previous_sibling
    return isinstance(sibling, NavigableString) and is_word(str(sibling)[-1:])


def _inside_same_format(el: Any, names: frozenset[str]) -> bool:
    """Inside an element of the same format that emits its markers (one spanning blocks,
    e.g. an unclosed <b>, emits none)."""
    ancestor = el.find_parent(list(names))
    return ancestor is not None and ancestor.find(list(BLOCK)) is None


def _alignments(table: Any, width: int) -> list[str]:
    first = table.find("tr")
    aligns = []
    cells = first.find_all(["td", "th"], recursive=False) if first is not None else []
    for cell in cells:
        align = str(cell.get("align") or "").lower()
        style = str(cell.get("style") or "").lower().replace(" ", "")
        if "text-align:" in style:
            align = style.split("text-align:", 1)[1].split(";", 1)[0]
        marker = {"center": ":---:", "right": "---:", "left": ":---"}.get(align, "---")
        span = str(cell.get("colspan") or "1")
        aligns.extend([marker] * (min(int(span), 50) if span.isdigit() and int(span) > 0 else 1))
    aligns = aligns[:width]
    return aligns + ["---"] * (width - len(aligns))


def _encode_url(url: str) -> str:
    return "".join(_URL_NEEDS_ENCODING.get(ch, ch) for ch in url)


def _trim_code(code: str) -> str:
    """Drop blank lines around the code (the fence supplies its own); keep everything else."""
    lines = code.split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(line.rstrip("\r") for line in lines)
