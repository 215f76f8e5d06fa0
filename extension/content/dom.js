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

  /** The element itself if it matches, else its first matching descendant. */
  function selfOrFirst(el, selectors) {
    for (const sel of selectors) if (el.matches(sel)) return el;
    return first(el, selectors);
  }

  const BLOCK = new Set(["P", "DIV", "LI", "PRE", "H1", "H2", "H3", "H4", "H5", "H6", "TR", "TABLE", "BLOCKQUOTE",
    "UL", "OL", "SECTION", "ARTICLE", "HEADER", "FOOTER", "FIGURE", "FIGCAPTION", "HR", "DL", "DT", "DD",
    "MATH", "USER-QUERY-CONTENT", "MESSAGE-CONTENT"]);
  const HIDDEN = ".sr-only,[aria-hidden='true'],annotation,.katex-mathml";

  /** Text with line breaks, computed from a detached copy (no layout read on the page). */
  function blockText(root) {
    const out = [];
    const walk = (node) => {
      for (let child = node.firstChild; child; child = child.nextSibling) {
        if (child.nodeType === 3) { out.push(child.data); continue; }
        if (child.nodeType !== 1) continue;
        const tag = child.tagName;
        if (tag === "BR") { out.push("\n"); continue; }
        const block = BLOCK.has(tag);
        if (block) out.push("\n");
        if (tag === "TD" || tag === "TH") out.push("\t");
        walk(child);
        if (block) out.push("\n");
      }
    };
    walk(root);
    return out.join("").replace(/[ \t]*\n[ \t]*(?=\n)/g, "\n").replace(/\n{3,}/g, "\n\n").trim();
  }

  /** A turn's content as {html, text} from one inert copy: no scripts, handlers, javascript: URLs,
   *  site chrome (buttons, "Copy code"), or screen-reader-only labels. */
  function extract(el, removeSelectors = []) {
    const copy = inertDoc().importNode(el, true);
    const doomed = copy.querySelectorAll([STRIP, ...removeSelectors].join(","));
    for (const node of doomed) node.remove();
    for (const node of [copy, ...copy.querySelectorAll("*")]) {
      for (const attr of Array.from(node.attributes)) {
        const name = attr.name.toLowerCase();
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
    for (const node of copy.querySelectorAll(HIDDEN)) node.remove();
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

  globalThis.VIVIM_DOM = { first, all, selfOrFirst, extract, blockText, hash, insertIntoEditor };
})();
