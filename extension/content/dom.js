/* VIVIM content-script DOM helpers, shared by the site adapters and the core.
 * Classic script (content scripts cannot be ES modules): it defines globalThis.VIVIM_DOM.
 * Nothing here knows any site. Captured content is untrusted: it is only ever read,
 * copied into an inert document, serialised, and sent as a string. */
(() => {
  "use strict";
  if (globalThis.VIVIM_DOM) return;

  // Removed from the HTML we send: never content, sometimes dangerous.
  const STRIP = "script,style,noscript,iframe,object,embed,template,button,svg,form,input,textarea,select";
  const URL_ATTRS = ["href", "src", "xlink:href", "action", "formaction", "srcset"];
  // One inert document per content script: nodes imported into it never load or run anything.
  let inert = null;
  const inertDoc = () => (inert ||= document.implementation.createHTMLDocument(""));

  /** The first element matching any selector, in the order given (most specific first). */
  function first(root, selectors) {
    if (!root) return null;
    for (const sel of selectors) {
      const el = root.querySelector(sel);
      if (el) return el;
    }
    return null;
  }

  /** Elements matching the first selector that matches anything (the root itself included, so a
   * detached turn element handed over by the MutationObserver is found too). */
  function all(root, selectors) {
    if (!root) return [];
    for (const sel of selectors) {
      const found = Array.from(root.querySelectorAll(sel));
      if (root.nodeType === 1 && root.matches(sel)) found.unshift(root);
      if (found.length) return found;
    }
    return [];
  }

  /** User and assistant turn elements in document order. Each role has its own fallback list, so
   * a redesign that renames only one side still finds both: the first selector of each list that
   * matches anything is used, and one combined query keeps the page's order. */
  function byRole(root, userSelectors, assistantSelectors) {
    const pick = (selectors) => selectors.find((sel) => root.querySelector(sel) || (root.nodeType === 1 && root.matches(sel)));
    const user = pick(userSelectors), assistant = pick(assistantSelectors);
    const combined = [user, assistant].filter(Boolean).join(", ");
    if (!combined) return [];
    const found = Array.from(root.querySelectorAll(combined));
    if (root.nodeType === 1 && root.matches(combined)) found.unshift(root);
    const out = [];
    for (const el of found) {
      const last = out[out.length - 1];
      if (last && last.el.contains(el)) continue; // one turn, matched at two depths
      out.push({ el, role: user && el.matches(user) ? "user" : "assistant" });
    }
    return out;
  }

  /** The element itself if it matches, else its first matching descendant. */
  function selfOrFirst(el, selectors) {
    for (const sel of selectors) if (el.matches(sel)) return el;
    return first(el, selectors);
  }

  /** The trimmed text of the first element matching any selector; null when none matches or it is empty. */
  function textOf(root, selectors) {
    return first(root, selectors)?.textContent?.trim() || null;
  }

  /** The conversation id a URL's path carries (`pattern`'s first group), or null. */
  function pathId(url, pattern) {
    return pattern.exec(new URL(url).pathname)?.[1] ?? null;
  }

  /** A conversation's title: what the page itself calls it (`named`, when the adapter found it some way
   * of its own, else the first of `selectors`), else the tab's title without the site's `suffix`, unless
   * all that is left is the site's own name (`generic`: a new chat's tab says only that). */
  function pageTitle(doc, selectors, suffix, generic, named = null) {
    const text = named || textOf(doc, selectors);
    if (text) return text;
    const t = doc.title.replace(suffix, "").trim();
    return t && !generic.test(t) ? t : null;
  }

  /** The text of the first link matching `selector` that has any: a sidebar's link to the open
   * conversation names it exactly, where the page has no title element of its own. */
  function linkText(doc, selector) {
    for (const link of doc.querySelectorAll(selector)) {
      const text = (link.textContent || "").trim();
      if (text) return text;
    }
    return null;
  }

  const PAGER = /^\s*(\d+)\s*\/\s*(\d+)\s*$/;

  /** Which version an "n / m" pager shows (an edited prompt, a regenerated answer): n from the first of
   * `nodes` that is a leaf reading "n / m", passing over those `skip` names (the message's own text)
   * and, with `several`, pagers of one version only ("1 / 1"); null when there is none. */
  function pagerVersion(nodes, { skip = null, several = false } = {}) {
    for (const node of nodes) {
      if (node.childElementCount || skip?.(node)) continue;
      const m = PAGER.exec(node.textContent || "");
      if (m && (!several || Number(m[2]) > 1)) return Number(m[1]);
    }
    return null;
  }

  /** While the page streams, its last turn, if an answer, is the one being written. */
  function lastStreams(turns, streaming) {
    const last = turns[turns.length - 1];
    if (streaming && last && last.role === "assistant") last.streaming = true;
    return turns;
  }

  /** The turns byRole finds with a site's `SEL.user` / `SEL.assistant` lists, as the core reads them:
   * no ids or indexes, answers carrying the model the page names (`SEL.model`, where the site shows
   * one); `more(el, role)` adds what the site itself reads from a turn (an id, a branch, a streaming
   * mark). While `streaming` (the page's own signal) the last answer is still being written. */
  function roleTurns(root, SEL, streaming, more = null) {
    const model = SEL.model ? textOf(root, SEL.model) : null;
    const out = byRole(root, SEL.user, SEL.assistant).map(({ el, role }) => ({
      el, role, messageId: null, index: null, streaming: false, model: role === "user" ? null : model,
      ...(more ? more(el, role) : {}),
    }));
    return lastStreams(out, streaming);
  }

  /** One turn's content from several blocks of it (an answer with tool boxes or images between its
   * Markdown blocks): the HTML one block a line, the text one block a paragraph. */
  function joinParts(parts) {
    return { html: parts.map((p) => p.html).join("\n"), text: parts.map((p) => p.text).join("\n\n") };
  }

  /** An answer with its reasoning ahead of it: the reasoning marked for the host's normalizer, which
   * keeps it as a blockquote apart from the answer; the text is the answer alone. */
  function withReasoning(thought, said) {
    return { html: `<div data-vivim-reasoning="">${thought.html}</div>\n${said.html}`, text: said.text };
  }

  const BLOCK = new Set(["P", "DIV", "LI", "PRE", "H1", "H2", "H3", "H4", "H5", "H6", "TR", "TABLE", "BLOCKQUOTE",
    "UL", "OL", "SECTION", "ARTICLE", "HEADER", "FOOTER", "FIGURE", "FIGCAPTION", "HR", "DL", "DT", "DD",
    "MATH", "USER-QUERY-CONTENT", "MESSAGE-CONTENT"]);
  // Sites style preformatted prompts with utility classes (white-space: pre-wrap) instead of <pre>.
  const PRE_CLASS = /(^|\s)!?whitespace-pre/;
  // Styles are dropped from what is sent; a preformatted one (a code body laid out with an inline
  // `white-space: pre`, as on grok.com) is kept as the utility class the text and the host read.
  const PRE_STYLE = /white-space\s*:\s*pre(?!-line)/i;
  const HIDDEN = ".sr-only,[aria-hidden='true'],annotation,.katex-mathml";

  /** Text laid out the way innerText would (line breaks after blocks, a blank line around
   * paragraphs, tabs between table cells, whitespace collapsed outside <pre>), computed from a
   * detached copy so the page never has to lay anything out. */
  function blockText(root) {
    const out = [];
    let pending = 0;   // line breaks owed before the next text
    let last = "";     // last character written
    const write = (s) => {
      if (!s) return;
      if (pending && out.length) {
        if (last === " ") out[out.length - 1] = out[out.length - 1].replace(/ +$/, "");
        out.push("\n".repeat(pending));
        last = "\n";
      }
      pending = 0;
      out.push(s);
      last = s[s.length - 1];
    };
    const walk = (node, pre) => {
      for (let child = node.firstChild; child; child = child.nextSibling) {
        if (child.nodeType === 3) {
          let s = pre ? child.data : child.data.replace(/[ \t\n\r\f]+/g, " ");
          if (!pre && (pending || !out.length || last === "\n" || last === " " || last === "\t")) s = s.replace(/^ /, "");
          write(s);
          continue;
        }
        if (child.nodeType !== 1) continue;
        const tag = child.tagName;
        if (tag === "BR") { pending = 0; write("\n"); continue; }
        const breaks = tag === "P" ? 2 : BLOCK.has(tag) ? 1 : 0;
        if (breaks) pending = Math.max(pending, breaks);
        if ((tag === "TD" || tag === "TH") && child.previousElementSibling) write("\t");
        walk(child, pre || tag === "PRE" || PRE_CLASS.test(child.className));
        if (breaks) pending = Math.max(pending, breaks);
      }
    };
    walk(root, root.tagName === "PRE" || PRE_CLASS.test(root.className));
    return out.join("").replace(/ +\n/g, "\n").trim();
  }

  /** A turn's content as {html, text} from one inert copy: no scripts, handlers, javascript: URLs,
   *  site chrome (buttons, "Copy code"), or screen-reader-only labels. */
  function extract(el, removeSelectors = [], textOnlySelectors = []) {
    const copy = inertDoc().importNode(el, true);
    const doomed = copy.querySelectorAll([STRIP, ...removeSelectors].join(","));
    for (const node of doomed) node.remove();
    for (const node of [copy, ...copy.querySelectorAll("*")]) {
      for (const attr of Array.from(node.attributes)) {
        const name = attr.name.toLowerCase();
        if (name === "style" && PRE_STYLE.test(attr.value)) node.classList.add("whitespace-pre");
        if (name.startsWith("on") || name === "style" || name === "srcdoc") node.removeAttribute(attr.name);
        else if (URL_ATTRS.includes(name) && /^\s*(javascript|vbscript|data:text\/html)/i.test(attr.value)) {
          node.removeAttribute(attr.name);
        }
      }
    }
    const html = copy.outerHTML;
    // Math reads as its TeX source, not as the glyphs KaTeX drew.
    for (const math of copy.querySelectorAll(".katex")) {
      const tex = math.querySelector("annotation[encoding='application/x-tex']");
      if (!tex) continue;
      const display = math.parentElement?.classList.contains("katex-display");
      const target = display ? math.parentElement : math;
      target.replaceWith(copy.ownerDocument.createTextNode(display ? `$$${tex.textContent}$$` : `$${tex.textContent}$`));
    }
    // Kept in the HTML for the host's converter (e.g. a code block's language label), not in the text.
    const textOnly = [HIDDEN, ...textOnlySelectors].join(",");
    for (const node of copy.querySelectorAll(textOnly)) node.remove();
    return { html, text: blockText(copy) };
  }

  /** cyrb53: a fast 53-bit string hash, plenty to tell versions of one turn apart. */
  function hash(str, seed = 0) {
    let h1 = 0xdeadbeef ^ seed, h2 = 0x41c6ce57 ^ seed;
    for (let i = 0; i < str.length; i++) {
      const ch = str.charCodeAt(i);
      h1 = Math.imul(h1 ^ ch, 2654435761);
      h2 = Math.imul(h2 ^ ch, 1597334677);
    }
    h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
    h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
    return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36);
  }

  /** ProseMirror / Quill / textarea insertion the site's own editor registers. */
  function insertIntoEditor(editor, text) {
    if (!editor) return false;
    editor.focus();
    if (editor instanceof HTMLTextAreaElement || editor instanceof HTMLInputElement) {
      const start = editor.selectionStart ?? editor.value.length;
      const end = editor.selectionEnd ?? start;
      editor.setRangeText(text, start, end, "end");
      editor.dispatchEvent(new InputEvent("input", { bubbles: true, inputType: "insertText", data: text }));
      return true;
    }
    const before = editor.textContent;
    if (document.execCommand("insertText", false, text) && editor.textContent !== before) return true;
    // Fallback: a synthetic paste, which ProseMirror and Quill both handle.
    const data = new DataTransfer();
    data.setData("text/plain", text);
    editor.dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }));
    return editor.textContent !== before;
  }

  globalThis.VIVIM_DOM = {
    first, all, byRole, selfOrFirst, textOf, pathId, pageTitle, linkText, pagerVersion, lastStreams, roleTurns,
    joinParts, withReasoning, extract, blockText, hash, insertIntoEditor,
  };
})();
