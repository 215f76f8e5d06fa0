"""Behaviours of the HTML -> Markdown normalizer, one rule per test."""

from __future__ import annotations

import pytest

from vivim.normalize import html_to_markdown
from vivim.protocol import TurnIn
from vivim.store.capture import turn_markdown


def md(html: str, provider: str | None = None) -> str:
    return html_to_markdown(html, provider)


# --- code --------------------------------------------------------------------------------
def test_code_fence_is_longer_than_any_backtick_run_inside() -> None:
    html = '<pre><code class="language-md">use ``` fences\nor ```` four</code></pre>'
    assert md(html) == "`````markdown\nuse ``` fences\nor ```` four\n`````"


def test_code_whitespace_tabs_and_angle_brackets_are_verbatim() -> None:
    code = "if a &lt; b:\n\tx  =  '&amp;'  # two  spaces\n\n\n    return x"
    assert (
        md(f"<pre><code>{code}</code></pre>")
        == "```\nif a < b:\n\tx  =  '&'  # two  spaces\n\n\n    return x\n```"
    )


def test_code_language_comes_from_the_site_label_when_no_class_names_it() -> None:
    html = (
        '<code-block><div class="code-block"><div class="code-block-decoration"><span>C++</span>'
        '<div class="buttons"><button aria-label="Copy code"><mat-icon>content_copy</mat-icon></button></div></div>'
        '<pre><code data-test-id="code-content">int main() {}</code></pre></div></code-block>'
    )
    assert md(html, "gemini") == "```cpp\nint main() {}\n```"


def test_generic_wrapper_with_label_and_copy_button_is_chrome() -> None:
    html = (
        '<p>Run:</p><div class="codeblock"><div class="header"><span>bash</span><button>Copy</button></div>'
        "<pre><code>ls -la</code></pre></div><p>Done.</p>"
    )
    assert md(html) == "Run:\n\n```bash\nls -la\n```\n\nDone."


def test_codemirror_lines_become_code_lines() -> None:
    html = '<pre><div class="cm-editor"><div class="cm-content"><div class="cm-line">a = 1</div><div class="cm-line">  b = 2</div></div></div></pre>'
    assert md(html) == "```\na = 1\n  b = 2\n```"


def test_code_block_inside_a_list_item_is_indented_with_it() -> None:
    html = "<ol><li><p>Step:</p><pre><code>x\n\ny</code></pre></li></ol>"
    assert md(html) == "1. Step:\n\n   ```\n   x\n\n   y\n   ```"


def test_inline_code_with_backticks_uses_a_longer_delimiter() -> None:
    assert md("<p>type <code>a`b</code> now</p>") == "type ``a`b`` now"


# --- structure ---------------------------------------------------------------------------
def test_table_with_missing_cells_pipes_and_alignment() -> None:
    html = (
        '<table><thead><tr><th>a</th><th align="right">b|c</th></tr></thead>'
        "<tbody><tr><td>1</td></tr><tr><td>2</td><td>3</td><td>4</td></tr></tbody></table>"
    )
    assert md(html) == "| a | b\\|c | |\n| --- | ---: | --- |\n| 1 | | |\n| 2 | 3 | 4 |"


def test_table_without_header_row_uses_its_first_row() -> None:
    assert (
        md("<table><tr><td>x</td><td>y</td></tr><tr><td>1</td><td>2</td></tr></table>")
        == "| x | y |\n| --- | --- |\n| 1 | 2 |"
    )


def test_nested_lists_keep_start_numbers_and_indentation() -> None:
    html = '<ol start="3"><li>three<ul><li>dot<ol><li>deep</li></ol></li></ul></li><li>four</li></ol>'
    assert md(html) == "3. three\n   - dot\n     1. deep\n4. four"


def test_headings_blockquotes_rules_and_breaks() -> None:
    html = "<h2>Title</h2><blockquote><p>a<br>b</p></blockquote><hr><h6>small</h6>"
    assert md(html) == "## Title\n\n> a\\\n> b\n\n---\n\n###### small"


# --- links, images ------------------------------------------------------------------------
def test_relative_links_resolve_against_the_provider_site() -> None:
    assert md('<a href="/c/abc">chat</a>', "chatgpt") == "[chat](https://chatgpt.com/c/abc)"
    assert md('<a href="/chat/x">chat</a>', "claude") == "[chat](https://claude.ai/chat/x)"


def test_link_whose_text_is_its_url_is_an_autolink() -> None:
    assert md('<a href="https://example.com/a_b">https://example.com/a_b</a>') == "<https://example.com/a_b>"


def test_data_uri_images_are_a_placeholder_and_others_links() -> None:
    assert md('<img alt="x" src="data:image/png;base64,AAAA">') == "![x](data:omitted)"
    assert md('<img alt="" src="https://x.test/a b.png">') == "![](https://x.test/a%20b.png)"


# --- math --------------------------------------------------------------------------------
KATEX = (
    '<span class="katex"><span class="katex-mathml"><math><semantics><mrow><mi>a</mi></mrow>'
    '<annotation encoding="application/x-tex">a_1</annotation></semantics></math></span>'
    '<span class="katex-html" aria-hidden="true">a1</span></span>'
)


def test_katex_inline_and_display_use_the_tex_annotation_once() -> None:
    assert md(f"<p>x {KATEX} y</p>") == "x $a_1$ y"
    assert md(f'<span class="katex-display">{KATEX}</span>') == "$$a_1$$"


def test_math_tex_is_not_escaped() -> None:
    html = '<p><span class="math-inline" data-math="a_*b_* < c"><span class="katex">junk</span></span></p>'
    assert md(html, "gemini") == "$a_*b_* < c$"


# --- chrome and labels ---------------------------------------------------------------------
def test_screen_reader_labels_and_hidden_elements_are_dropped() -> None:
    html = (
        '<h5 class="sr-only">You said:</h5><div>Hi <span class="visually-hidden">(edited)</span>'
        '<span aria-hidden="true">dup</span><span hidden>h</span><span class="hidden">h2</span>'
        '<span class="hidden md:inline">shown</span></div>'
    )
    assert md(html, "chatgpt") == "Hi shown"


def test_thought_toggle_is_dropped_without_content_and_kept_as_quote_with_it() -> None:
    collapsed = "<div><button>Thought for 12s</button></div><p>Answer.</p>"
    assert md(collapsed, "chatgpt") == "Answer."
    expanded = (
        '<div data-testid="thinking-block"><button>Thought process</button>'
        '<div data-testid="thinking-content"><p>Check the units.</p></div></div><p>Answer.</p>'
    )
    assert md(expanded, "claude") == "> Check the units.\n\nAnswer."


def test_label_words_inside_real_paragraphs_are_kept() -> None:
    assert md("<p>Copy</p><p>You said: hello</p>", "chatgpt") == "Copy\n\nYou said: hello"


# --- text ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "snake_case",
        "2 * 3",
        "a - b",
        "50% off",
        "C# and F#",
        "step 1. not at line start",
        "x [1] y",
        "e-mail: a@b.c",
        "~5 min",
        "$5 and $10",
        "done!",
    ],
)
def test_ordinary_text_is_not_littered_with_backslashes(text: str) -> None:
    assert md(f"<p>{text}</p>") == text


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<p>*not emphasis*</p>", "\\*not emphasis\\*"),
        ("<p>_x_</p>", "\\_x\\_"),
        ("<p>1. item</p>", "1\\. item"),
        ("<p>## h</p>", "\\## h"),
        ("<p>[t](u)</p>", "\\[t\\](u)"),
        ("<p>&lt;b&gt;</p>", "\\<b>"),
        ("<p>$x$</p>", "\\$x\\$"),
    ],
)
def test_text_that_would_become_markdown_syntax_is_escaped(html: str, expected: str) -> None:
    assert md(html) == expected


def test_whitespace_collapses_like_a_browser_with_one_blank_line_between_blocks() -> None:
    html = "<div>\n\n  <p>  a \n\t b  </p>\n\n\n<p></p><div><br></div>\n<p>c&nbsp;&nbsp;d</p>  </div>"
    assert md(html) == "a b\n\nc\xa0\xa0d"


def test_non_latin_text_is_preserved_exactly() -> None:
    text = "你好，世界 · مرحبا بالعالم · 👩🏽‍🚀 · Ελληνικά · ｆｕｌｌｗｉｄｔｈ"
    assert md(f"<p>{text}</p>") == text


def test_capture_stores_the_normalizers_markdown_for_html_turns() -> None:
    turn = TurnIn(
        key="m1",
        role="assistant",
        html="<p>Hello <b>there</b></p><button>Copy</button>",
        text="Hello there Copy",
    )
    assert turn_markdown(turn, "chatgpt") == "Hello **there**"


def test_bold_ending_in_punctuation_before_a_word_still_renders_as_bold() -> None:
    # `**重要：**这` would not close in CommonMark: the colon moves outside the markers.
    assert (
        md("<p><strong>重要：</strong>这是内容。<b>Note:</b> fine.</p>")
        == "**重要**：这是内容。**Note:** fine."
    )


def test_chrome_words_in_running_text_or_bold_are_the_users_words() -> None:
    html = (
        "<h3>Run</h3><p>Click <span>Copy</span> to copy, then <strong>Run</strong> it.</p>"
        "<div><span>Edit</span><svg></svg></div>"
    )
    assert md(html, "chatgpt") == "### Run\n\nClick Copy to copy, then **Run** it."


def test_link_around_blocks_becomes_one_line_link_and_empty_headings_vanish() -> None:
    html = "<a href='https://x.test/'><div><h4>Card title</h4><p>desc<br>more</p></div></a><h2> </h2>"
    assert md(html) == "[Card title desc more](https://x.test/)"


def test_long_ordered_list_numbers_every_item() -> None:
    markdown = md('<ol start="0">' + "<li>item</li>" * 3000 + "</ol>")
    lines = markdown.split("\n")
    assert len(lines) == 3000 and lines[0] == "0. item" and lines[-1] == "2999. item"


def test_code_nested_in_quote_and_lists_carries_every_prefix_on_every_line() -> None:
    html = (
        "<ul><li><blockquote><pre><code>a\n\nb</code></pre></blockquote></li>"
        "<li><ol><li><pre><code>x\ny</code></pre></li></ol></li></ul>"
    )
    assert md(html) == ("- > ```\n  > a\n  >\n  > b\n  > ```\n- 1. ```\n     x\n     y\n     ```")


def test_a_prompt_that_is_only_a_chrome_word_is_kept() -> None:
    assert (
        md(
            '<div data-message-author-role="user"><div class="whitespace-pre-wrap">Edit</div></div>',
            "chatgpt",
        )
        == "Edit"
    )


def test_plain_text_fallback_is_escaped_markdown_with_tidy_blank_lines() -> None:
    from vivim.normalize.markdown import plain_markdown

    assert (
        plain_markdown("- not a list\n\n\n\n# not a heading  \nsnake_case *x*")
        == "\\- not a list\n\n\\# not a heading\nsnake_case \\*x\\*"
    )


def test_prose_next_to_an_unknown_sites_code_is_not_taken_for_a_header() -> None:
    assert md("<div><div>Result</div><pre><code>42</code></pre></div>") == "Result\n\n```\n42\n```"
    assert (
        md("<div><div>Rust</div><button>Copy</button><pre><code>fn main(){}</code></pre></div>")
        == "```rust\nfn main(){}\n```"
    )
