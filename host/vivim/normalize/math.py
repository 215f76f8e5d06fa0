"""Rendered math back to its TeX source: `$TeX$` inline, `$$TeX$$` display.

Sites render math with KaTeX (ChatGPT, Claude, Gemini) which keeps the source in
`<annotation encoding="application/x-tex">`, Gemini also in `data-math`; MathJax 3 keeps
assistive MathML (sometimes with a TeX annotation or `data-latex`), MathJax 2 a
`<script type="math/tex">`. The rendered glyphs (KaTeX's `katex-html`, MathJax's CHTML)
are a visual duplicate and are dropped with the element. When no TeX survives, the
MathML is translated (common elements only); when even that fails, its text is kept.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from .sanitize import is_gone, tags

if TYPE_CHECKING:
    from bs4 import BeautifulSoup, Tag

TEX_ENCODINGS = ("application/x-tex", "application/x-latex", "text/x-tex", "tex", "latex")
# mover/munder accents that have a TeX command of their own.
_ACCENTS = {
    "^": r"\hat",
    "ˆ": r"\hat",
    "¯": r"\overline",
    "‾": r"\overline",
    "→": r"\vec",
    "~": r"\tilde",
    "˜": r"\tilde",
    "˙": r"\dot",
    "¨": r"\ddot",
    "⏞": r"\overbrace",
    "⏟": r"\underbrace",
    "_": r"\underline",
}
_WS = re.compile(r"\s+")
_OPERATORS = {
    "{": r"\{",
    "}": r"\}",
    "%": r"\%",
    "#": r"\#",
    "&": r"\&",
    "−": "-",
    "±": r"\pm ",
    "∓": r"\mp ",
    "×": r"\times ",
    "·": r"\cdot ",
    "⋅": r"\cdot ",
    "÷": r"\div ",
    "≤": r"\le ",
    "≥": r"\ge ",
    "≠": r"\ne ",
    "≈": r"\approx ",
    "∞": r"\infty ",
    "→": r"\to ",
    "∑": r"\sum",
    "∏": r"\prod",
    "∫": r"\int",
    "∈": r"\in ",
    "∉": r"\notin ",
    "⊂": r"\subset ",
    "∪": r"\cup ",
    "∩": r"\cap ",
    "∂": r"\partial ",
    "∇": r"\nabla ",
    "∝": r"\propto ",
    "⁡": "",
    "⁢": "",
    "⁣": "",
}  # the last three are invisible function/times/separator
_SINGLE_TOKEN = re.compile(r"^(?:.|\\[A-Za-z]+ ?)$")


def _group(tex: str) -> str:
    tex = tex.strip()
    return tex if _SINGLE_TOKEN.match(tex) else "{" + tex + "}"


Register = Callable[[str, bool], str]  # (markdown, is_block) -> placeholder token


def format_math(tex: str, display: bool) -> str:
    tex = tex.strip()
    if not display:
        return f"${_WS.sub(' ', tex)}$"
    if "\n" in tex:
        return f"$$\n{tex}\n$$"
    return f"$${tex}$$"


def replace_math(soup: BeautifulSoup, register: Register) -> None:
    """Replace every rendered formula in `soup` by a placeholder for its Markdown.

    One walk in document order: an outer element (Gemini's `[data-math]`, `.katex-display`,
    `mjx-container`) comes before the `.katex`/`<math>` inside it, which its replacement
    then marks as decomposed.
    """
    # MathJax 2 first: its script holds the TeX, the rendered copy before it may hold MathML.
    for script in tags(soup, {"script"}):
        if not is_gone(script) and str(script.get("type", "")).startswith("math/tex"):
            _replace_mathjax2(soup, script, register)
    for tag in tags(soup):
        if is_gone(tag):
            continue
        name = tag.name
        if tag.has_attr("data-math"):  # Gemini: the source is an attribute
            display = name == "div" or "math-block" in (tag.get("class") or [])
            _swap(soup, tag, str(tag["data-math"]), display, register)
        elif name in ("mjx-container", "math") or _MATH_CLASSES.intersection(tag.get("class") or ()):
            _swap(soup, tag, _tex_of(tag), _is_display(tag), register)


def _replace_mathjax2(soup: BeautifulSoup, script: Tag, register: Register) -> None:
    display = "mode=display" in str(script.get("type", ""))
    for _ in range(2):  # the rendered copy and its preview sit just before the script
        sibling = script.find_previous_sibling()
        if sibling is None or not _is_mathjax2_render(sibling):
            break
        sibling.decompose()
    _swap(soup, script, script.get_text(), display, register)


_MATH_CLASSES = frozenset({"katex", "katex-display"})


def _is_display(tag: Tag) -> bool:
    cls = tag.get("class") or []
    if "katex-display" in cls or "MathJax_Display" in cls:
        return True
    if tag.name == "mjx-container":
        return str(tag.get("display", "")).lower() in ("true", "block")
    math = tag if tag.name == "math" else tag.find("math")
    return math is not None and str(math.get("display", "")).lower() == "block" and tag.name != "span"


def _is_mathjax2_render(tag: Tag) -> bool:
    cls = tag.get("class") or []
    return any(
        c in ("MathJax", "MathJax_Display", "MathJax_Preview", "MathJax_SVG", "MathJax_CHTML") for c in cls
    )


def _tex_of(tag: Tag) -> str:
    for attr in ("data-latex", "data-tex", "data-math"):
        if tag.get(attr):
            return str(tag[attr])
    for annotation in tag.find_all("annotation"):
        if str(annotation.get("encoding", "")).lower() in TEX_ENCODINGS:
            return annotation.get_text()
    math = tag if tag.name == "math" else tag.find("math")
    if math is not None:
        try:
            tex = mathml_to_tex(math)
        except Exception:  # noqa: BLE001 - malformed MathML: fall back to its text
            tex = ""
        if tex.strip():
            return tex
    return tag.get_text(" ", strip=True)


def _swap(soup: BeautifulSoup, tag: Tag, tex: str, display: bool, register: Register) -> None:
    if not tex.strip():
        tag.decompose()
        return
    token = register(format_math(tex, display), display)
    if display:
        block = soup.new_tag("div")
        block.string = token
        tag.replace_with(block)
    else:
        tag.replace_with(token)
    tag.decompose()  # marks the rendered duplicate's descendants as gone, too


def mathml_to_tex(el: Tag) -> str:
    """TeX for the MathML elements chat sites emit; unknown elements contribute their children."""
    from bs4 import NavigableString, Tag

    if isinstance(el, NavigableString):
        return str(el).strip()
    kids = [c for c in el.children if isinstance(c, Tag)]

    def arg(i: int) -> str:
        return mathml_to_tex(kids[i]) if i < len(kids) else ""

    name = el.name
    if name in ("annotation", "annotation-xml", "mphantom", "none", "mprescripts"):
        return ""
    if name == "semantics":
        return arg(0)
    if name in ("mi", "mn", "mo", "ms"):
        text = el.get_text().strip()
        if name == "mi" and len(text) > 1 and text.isalpha():
            return rf"\mathrm{{{text}}}"
        return _OPERATORS.get(text, text)
    if name == "mtext":
        text = el.get_text()
        return rf"\text{{{text}}}" if text.strip() else " "
    if name == "mspace":
        return " "
    if name == "msup":
        return f"{_group(arg(0))}^{_group(arg(1))}"
    if name == "msub":
        return f"{_group(arg(0))}_{_group(arg(1))}"
    if name in ("msubsup", "munderover"):
        return f"{_group(arg(0))}_{_group(arg(1))}^{_group(arg(2))}"
    if name == "mfrac":
        return rf"\frac{{{arg(0)}}}{{{arg(1)}}}"
    if name == "msqrt":
        return rf"\sqrt{{{''.join(mathml_to_tex(k) for k in kids)}}}"
    if name == "mroot":
        return rf"\sqrt[{arg(1)}]{{{arg(0)}}}"
    if name in ("mover", "munder"):
        mark = kids[1].get_text().strip() if len(kids) > 1 else ""
        if mark in _ACCENTS:
            return rf"{_ACCENTS[mark]}{{{arg(0)}}}"
        command = r"\overset" if name == "mover" else r"\underset"
        return rf"{command}{{{arg(1)}}}{{{arg(0)}}}"
    if name == "mfenced":
        inner = ",".join(mathml_to_tex(k) for k in kids)
        return rf"\left{el.get('open', '(')}{inner}\right{el.get('close', ')')}"
    if name == "mtable":
        rows = []
        for row in kids:
            cells = [mathml_to_tex(c) for c in row.children if isinstance(c, Tag)]
            rows.append(" & ".join(cells))
        return r"\begin{matrix}" + r" \\ ".join(rows) + r"\end{matrix}"
    return "".join(mathml_to_tex(k) for k in kids) if kids else el.get_text().strip()
