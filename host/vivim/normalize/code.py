"""Code blocks: the code verbatim and its language, without the site's header and buttons.

Each `<pre>` (with the site's wrapper around it: header with the language name, "Copy
code"/"Edit" buttons) is replaced by a bare `<pre data-vivim-lang="...">` holding only
the code text, which the converter fences. The language comes from a `language-*` class
where there is one, else from the site's label (e.g. Gemini's "Python").
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .sanitize import classes, is_gone, is_hidden, tags

if TYPE_CHECKING:
    from bs4 import BeautifulSoup, Tag

    from .sites import SiteRules

LANG_ATTR = "data-vivim-lang"
_LANGUAGE_CLASS = re.compile(r"^(?:language|lang|highlight-source|hljs-language)-([\w+#.-]{1,40})$", re.I)
_LANGUAGE_LABEL = re.compile(r"^[A-Za-z][A-Za-z0-9+#._/-]{0,23}(?: [A-Za-z0-9+#]{1,12})?$")
# Label words that name no language (the header shows them when it knows none).
_NO_LANGUAGE = frozenset(
    {
        "code",
        "code snippet",
        "snippet",
        "copy",
        "copy code",
        "copied",
        "copied!",
        "edit",
        "run",
        "download",
        "wrap",
        "collapse",
        "expand",
        "preview",
        "none",
    }
)
_LANGUAGE_ALIASES = {
    "c++": "cpp",
    "c#": "csharp",
    "f#": "fsharp",
    "objective-c": "objectivec",
    "plain text": "text",
    "plaintext": "text",
    "golang": "go",
    "shell script": "shell",
    "visual basic": "vb",
    "vue.js": "vue",
    "node.js": "javascript",
    "js": "javascript",
    "ts": "typescript",
    "py": "python",
    "rb": "ruby",
    "rs": "rust",
    "sh": "bash",
    "yml": "yaml",
    "md": "markdown",
}
# Line-number gutters some highlighters render inside the code element.
_GUTTER_CLASS = re.compile(r"line-?numbers?|linenos?|gutter", re.I)
# Elements that make a wrapper more than a code block's chrome.
_CONTENT_TAGS_SET = frozenset(
    {"p", "ul", "ol", "table", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "img"}
)
_LINE_WRAPPERS = frozenset({"div", "p", "li", "tr"})
_LINE_END = object()  # marks the end of a line wrapper during code_text's walk
# Languages a generic (site-unknown) header may name; anything else there is prose, not chrome.
KNOWN_LANGUAGES = frozenset(
    """
python javascript typescript java c cpp csharp go rust ruby php swift kotlin scala r julia matlab
perl lua haskell elixir erlang clojure dart bash shell sh zsh fish powershell ps1 bat batch cmd sql
html xml css scss sass less json json5 jsonc yaml toml ini markdown text diff dockerfile makefile
cmake graphql proto protobuf solidity vb vba fortran cobol assembly asm nasm ocaml fsharp groovy
objectivec latex tex jsx tsx vue svelte nginx apache csv regex mermaid terraform hcl nix zig nim
crystal elm prolog lisp scheme racket verilog vhdl wasm console shell-session env properties
gradle handlebars jinja twig liquid django http graphviz dot plantuml abap apex ada awk
""".split()
)
# How far up from a <pre> a generic wrapper (header + buttons) is looked for.
MAX_WRAPPER_CLIMB = 4


def normalize_code_blocks(soup: BeautifulSoup, rules: SiteRules) -> None:
    for pre in tags(soup, {"pre"}):
        if is_gone(pre) or pre.parent is None or pre.find_parent("pre") is not None:
            continue
        code = pre.find("code")
        body = _code_body(pre, code)
        text = code_text(body)
        container = _container(pre, rules)
        language = _language_from_classes(pre, code, container) or _language_from_label(
            container, body, rules
        )
        replacement = soup.new_tag("pre")
        replacement[LANG_ATTR] = language
        replacement.string = text
        container.replace_with(replacement)
        container.decompose()


def normalize_language(name: str) -> str:
    name = " ".join(name.strip().split()).lower()
    if not name or name in _NO_LANGUAGE:
        return ""
    name = _LANGUAGE_ALIASES.get(name, name)
    return name.replace(" ", "-")


def code_text(root: Tag) -> str:
    """The code's text: strings verbatim, `<br>` and line wrappers (CodeMirror) as newlines."""
    from bs4 import NavigableString, Tag
    from bs4.element import PreformattedString

    out: list[str] = []
    stack: list = [root]
    while stack:
        node = stack.pop()
        if node is _LINE_END:
            if out and not out[-1].endswith("\n"):
                out.append("\n")
            continue
        if isinstance(node, NavigableString):
            if not isinstance(node, PreformattedString):  # comments, CDATA: not shown
                out.append(str(node))
            continue
        if not isinstance(node, Tag):
            continue
        if node is not root:
            if node.name == "br":
                out.append("\n")
                continue
            if node.name in ("button", "svg", "style", "script", "textarea") or is_hidden(node):
                continue
            if any(_GUTTER_CLASS.search(c) for c in classes(node)):
                continue
            if node.name in _LINE_WRAPPERS:
                stack.append(_LINE_END)
        stack.extend(reversed(node.contents))
    text = "".join(out).replace("\r\n", "\n").replace("\r", "\n").replace("\xa0", " ")
    return text


def _code_body(pre: Tag, code: Tag | None) -> Tag:
    """The element holding only code: the <code>, a CodeMirror content area, or the <pre>."""
    for tag in tags(pre):
        if "cm-content" in classes(tag):
            return tag
    if code is not None:
        return code
    return pre


def _container(pre: Tag, rules: SiteRules) -> Tag:
    """The outermost element that belongs to this code block and to nothing else."""
    for selector in rules.code_containers:
        try:
            candidate = pre.css.closest(selector)
        except Exception:  # noqa: BLE001 - an invalid site selector must not stop the conversion
            candidate = None
        if candidate is not None and _only_code_here(candidate, pre, site_says_so=True):
            return candidate
    container = pre
    for _ in range(MAX_WRAPPER_CLIMB):
        parent = container.parent
        if (
            parent is None
            or parent.parent is None
            or (parent.name not in ("div", "figure") and "-" not in parent.name)
        ):
            break
        if not _only_code_here(parent, pre):
            break
        container = parent
    return container


def _only_code_here(candidate: Tag, pre: Tag, site_says_so: bool = False) -> bool:
    """True when `candidate` holds this one <pre> plus at most chrome: buttons and one label.

    The label must name a known language, unless the site's own selector found the wrapper
    (then any short label is its header, e.g. Gemini's "Code snippet").
    """
    from bs4 import NavigableString, Tag
    from bs4.element import PreformattedString  # comments, CDATA...: not shown

    labels = 0
    # Walk everything outside the <pre> (never into it: it may be huge), skipping buttons.
    stack = [c for c in reversed(candidate.contents) if c is not pre]
    while stack:
        node = stack.pop()
        if isinstance(node, Tag):
            if node.name in _CONTENT_TAGS_SET or node.name == "pre":
                return False
            if node.name == "button" or is_hidden(node):
                continue
            stack.extend(c for c in reversed(node.contents) if c is not pre)
            continue
        if not isinstance(node, NavigableString) or isinstance(node, PreformattedString):
            continue
        text = str(node).strip()
        if not text or text.lower() in _NO_LANGUAGE or text.lower() == "content_copy":
            continue
        if (
            labels == 0
            and _LANGUAGE_LABEL.match(text)
            and (site_says_so or normalize_language(text) in KNOWN_LANGUAGES)
        ):
            labels += 1
            continue
        return False
    return True


def _tags_outside(root: Tag, skip: Tag) -> list[Tag]:
    """Elements under `root` in document order, without descending into `skip`."""
    from bs4 import Tag

    found: list[Tag] = []
    stack = [c for c in reversed(root.contents) if c is not skip]
    while stack:
        node = stack.pop()
        if isinstance(node, Tag):
            found.append(node)
            stack.extend(c for c in reversed(node.contents) if c is not skip)
    return found


def _inside(node: Tag, ancestor: Tag) -> bool:
    parent = node.parent
    while parent is not None:
        if parent is ancestor:
            return True
        parent = parent.parent
    return False


def _language_from_classes(pre: Tag, code: Tag | None, container: Tag) -> str:
    for tag in (code, pre, container):
        if tag is None:
            continue
        for attr in ("data-language", "data-lang", "lang-name"):
            if tag.get(attr):
                found = normalize_language(str(tag[attr]))
                if found:
                    return found
        for cls in classes(tag):
            match = _LANGUAGE_CLASS.match(cls)
            if match:
                found = normalize_language(match.group(1))
                if found:
                    return found
    return ""


def _language_from_label(container: Tag, body: Tag, rules: SiteRules) -> str:
    """The language named by the block's header (a leaf element outside the code itself)."""
    candidates: list[Tag] = []
    for selector in rules.code_labels:
        try:
            candidates.extend(container.select(selector))
        except Exception:  # noqa: BLE001 - an invalid site selector must not stop the conversion
            continue
    generic = not candidates
    if generic:  # a leaf div/span outside the code itself, naming a known language
        candidates = [
            t
            for t in _tags_outside(container, body)
            if t.name in ("div", "span") and not any(c.name in ("div", "span") for c in tags(t))
        ]
    for tag in candidates:
        if tag is body or _inside(tag, body) or (body.name == "pre" and tag.find_parent("pre") is body):
            continue
        if tag.name == "button" or tag.find_parent("button") is not None:
            continue
        text = tag.get_text(" ", strip=True)
        if text and _LANGUAGE_LABEL.match(text):
            found = normalize_language(text)
            if found and (not generic or found in KNOWN_LANGUAGES):
                return found
    return ""
