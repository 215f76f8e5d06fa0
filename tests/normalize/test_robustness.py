"""The converter takes any string and returns a str: hostile, malformed, huge or deep input."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vivim.normalize import html_to_markdown, html_to_text

PROVIDERS = (None, "chatgpt", "claude", "gemini", "unknown-site")
TAGS = [
    "div",
    "p",
    "span",
    "b",
    "i",
    "a",
    "pre",
    "code",
    "ul",
    "ol",
    "li",
    "table",
    "tr",
    "td",
    "th",
    "thead",
    "tbody",
    "blockquote",
    "h1",
    "h3",
    "br",
    "hr",
    "img",
    "script",
    "style",
    "svg",
    "math",
    "annotation",
    "code-block",
    "mjx-container",
    "button",
    "iframe",
    "template",
    "sup",
    "input",
]
ATTRS = [
    "",
    ' class="katex"',
    ' class="katex-display"',
    ' class="language-python"',
    ' href="javascript:x"',
    ' href="/rel"',
    ' src="data:image/png;base64,AAAA"',
    " hidden",
    ' aria-hidden="true"',
    ' class="sr-only"',
    ' data-math="x^2"',
    ' encoding="application/x-tex"',
    ' colspan="3"',
    ' class="whitespace-pre-wrap"',
    ' style="display:none"',
    ' start="7"',
    ' type="checkbox" checked',
]

fragments = st.one_of(
    st.text(max_size=20),
    st.sampled_from(
        [
            "<",
            ">",
            "&",
            "&amp;",
            "&#0;",
            "&#xD800;",
            "]]>",
            "<!--",
            "-->",
            "<!DOCTYPE html>",
            "\x00",
            "\ud800",
            "\udfff",
            "`",
            "```",
            "$",
            "|",
            "*",
            "_",
            "\\",
            "\n",
            "\t",
            " ",
        ]
    ),
    st.builds(lambda t, a: f"<{t}{a}>", st.sampled_from(TAGS), st.sampled_from(ATTRS)),
    st.builds(lambda t: f"</{t}>", st.sampled_from(TAGS)),
)
html_like = st.lists(fragments, max_size=40).map("".join)


def assert_storable(markdown: object) -> None:
    """A str that SQLite (UTF-8) can store: no lone surrogates, no NULs."""
    assert isinstance(markdown, str)
    assert "\x00" not in markdown
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (v TEXT)")
    conn.execute("INSERT INTO t VALUES (?)", (markdown,))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(html=html_like, provider=st.sampled_from(PROVIDERS))
def test_any_html_like_input_converts_to_storable_text(html: str, provider: str | None) -> None:
    assert_storable(html_to_markdown(html, provider))
    assert_storable(html_to_text(html))


@settings(max_examples=200, deadline=None)
@given(text=st.text())
def test_any_unicode_text_converts_without_error(text: str) -> None:
    assert_storable(html_to_markdown(text, "chatgpt"))
    assert_storable(html_to_text(text))


def test_non_string_input_is_empty_markdown_not_an_error() -> None:
    assert html_to_markdown(None) == ""  # type: ignore[arg-type]
    assert html_to_text(None) == ""  # type: ignore[arg-type]


def test_ten_thousand_nested_elements_keep_their_text() -> None:
    for tag in ("div", "b", "blockquote", "li", "table"):
        html = f"<{tag}>" * 10_000 + "the deepest words" + f"</{tag}>" * 10_000
        assert "the deepest words" in html_to_markdown(html, "chatgpt")
        assert html_to_text(html).strip() == "the deepest words"


def test_deep_nesting_is_flattened_cleanly_and_keeps_code_and_math() -> None:
    assert html_to_markdown("<div>" * 10_000 + "words" + "</div>" * 10_000) == "words"
    assert html_to_markdown("<b>" * 10_000 + "words" + "</b>" * 10_000) == "**words**"
    katex = (
        '<span class="katex"><annotation encoding="application/x-tex">x^2</annotation>'
        '<span class="katex-html" aria-hidden="true">x2</span></span>'
    )
    html = (
        "<div>" * 300
        + f"deep {katex}<pre><code class='language-py'>a = 1\n  b</code></pre><p>after</p>"
        + "</div>" * 300
    )
    assert html_to_markdown(html) == "deep $x^2$\n\n```python\na = 1\n  b\n```\n\nafter"


def test_ten_thousand_unclosed_tags_keep_their_text() -> None:
    html = "<p>start " + "<b><i>" * 5_000 + "inner text"
    markdown = html_to_markdown(html)
    assert "start" in markdown and "inner text" in markdown


def test_deep_nesting_text_spread_over_levels_is_all_kept() -> None:
    html = "".join(f"<div>level{i} " for i in range(3_000)) + "</div>" * 3_000
    markdown = html_to_markdown(html)
    for i in (0, 95, 96, 500, 2_999):
        assert f"level{i}" in markdown


def test_huge_attribute_is_dropped_and_text_kept() -> None:
    html = f'<p data-x="{"a" * 3_000_000}" class="{"c " * 100_000}">visible</p><img alt="pic" src="data:image/png;base64,{"A" * 1_000_000}">'
    markdown = html_to_markdown(html)
    assert markdown == "visible\n\n![pic](data:omitted)"


def test_nul_bytes_and_lone_surrogates_become_storable_text() -> None:
    markdown = html_to_markdown("<p>a\x00b \ud800 c\udfff \ud83d\ude00</p>")
    assert markdown == "ab \ufffd c\ufffd 😀"
    assert_storable(markdown)


def test_script_style_iframe_and_handlers_leave_no_trace() -> None:
    html = (
        '<p>ok<script>alert("s")</script><style>.x{}</style><iframe srcdoc="<b>f</b>"></iframe>'
        '<img src=x onerror="alert(1)"><svg onload="alert(2)"><text>svgtext</text></svg></p>'
    )
    markdown = html_to_markdown(html)
    for trace in ("alert", "script", ".x{}", "srcdoc", "onerror", "onload", "svgtext"):
        assert trace not in markdown
    assert markdown.startswith("ok")


def test_unsafe_link_schemes_keep_text_but_lose_the_link() -> None:
    for href in (
        "javascript:alert(1)",
        " JAVASCRIPT:alert(1)",
        "java\tscript:alert(1)",
        "data:text/html,x",
        "vbscript:x",
    ):
        assert html_to_markdown(f'<p><a href="{href}">click</a></p>') == "click"


def test_text_that_looks_like_a_file_name_or_url_converts_without_warnings() -> None:
    # In a fresh interpreter with warnings as errors: bs4's guesses must not reach the host's stderr.
    code = (
        "from vivim.normalize import html_to_markdown as m, html_to_text as t; "
        "assert m('notes.txt') == 'notes.txt'; assert t('https://example.com/a.txt') == 'https://example.com/a.txt'; "
        "assert m('<?xml version=\\'1.0\\'?><p>x</p>') == 'x'"
    )
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
