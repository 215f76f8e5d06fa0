// @ts-check
/* Perplexity (www.perplexity.ai): everything VIVIM knows about this site's page, behind the shared
 * adapter interface (see content/core.js). A thread (/search/<slug>) is a column of entries: each entry
 * is the user's query (a heading of class "group/query", its text in span.select-text or Lexical spans)
 * and the answer (a "prose" block, id markdown-content-<n>), with its sources (citation chips linking the
 * cited pages) beside it. The page puts no message ids in the DOM: the thread JSON it loads
 * (perplexity.net.js) gives the stable ids and every entry.
 * Confirmed by public exporters: pplxport (2026-04; the answer `.prose.text-pretty.dark:prose-invert`,
 * the query's `span.select-text` / Lexical spans / `.whitespace-pre-line.text-pretty.break-words`,
 * `.max-w-threadContentWidth`, `.citation` chips) and a multi-site exporter extension (code blocks in
 * `.codeWrapper` with a `[data-testid=code-language-indicator]`). */
(() => {
  "use strict";
  const D = globalThis.VIVIM_DOM;

  const SEL = {
    // Each role's fallbacks, newest markup first (see VIVIM_DOM.byRole).
    // A short query is an h1, a long one a div (both "group/query"): one selector finds both kinds.
    user: ['[data-testid="user-query"]', ":is(h1, h2, div)[class*='group/query']", "[class*='group/query']",
      ".whitespace-pre-line.text-pretty.break-words"],
    assistant: ['div[id^="markdown-content-"]', '[data-testid="answer"]', ".prose.dark\\:prose-invert",
      "[class*='prose'][class*='prose-invert']"],
    content: {
      user: ["span.select-text", ".whitespace-pre-line"],
    },
    stop: ['button[data-testid="stop-generating-response-button"]', 'button[aria-label="Stop generating response"]',
      'button[aria-label="Stop generating"]', 'button[aria-label="Stop"]',
      // A streaming answer's own indicator (an answer notifier's Perplexity detector, 2025/2026).
      '[data-testid="streaming-indicator"]'],
    busy: ['[aria-busy="true"]'],
    title: ['[data-testid="thread-title"]', "h1[class*='group/query'] span.select-text"],
    model: ['[data-testid="answer-model"]', 'button[aria-label="Choose a model"]', 'button[aria-label*="model" i]'],
    editor: ["#ask-input[contenteditable='true']", 'div[contenteditable="true"][data-lexical-editor="true"]',
      "textarea#ask-input", 'textarea[placeholder*="follow" i]', "textarea[placeholder]",
      'div[contenteditable="true"][role="textbox"]'],
    send: ['button[data-testid="submit-button"]', 'button[aria-label="Submit"]', 'button[aria-label*="Submit" i]',
      'button[type="submit"]'],
    container: ['.max-w-threadContentWidth', '[class*="threadContentWidth"]', "main", "body"],
  };
  // Site chrome inside a turn: copy/rewrite buttons, "Sources" headers, related-question lists.
  const CHROME = [".sr-only", '[data-testid="copy-code-button"]', "pre [class*='copy']", ".related-queries",
    '[data-testid="related-questions"]', 'button[data-testid="copy-query-button"]'];
  // Kept in the HTML (the host makes links and a code fence's language of them), not in the text: the
  // text is then the page's words, as the thread's JSON has them (the two merge into one stored turn).
  const TEXT_ONLY = ["span.citation", "a.citation", "[data-pplx-citation-url]",
    '[data-testid="code-language-indicator"]', 'pre div[class*="text-text-200"]'];
  const ID_PATH = /^\/search\/([A-Za-z0-9][\w.%-]{2,199})/;

  /** @type {SiteAdapter} */
  const adapter = {
    provider: "perplexity",
    selectors: SEL,
    matches: (url) => new URL(url).hostname === "www.perplexity.ai",
    conversationId(url) {
      const id = D.pathId(url, ID_PATH);
      return id === "new" ? null : id; // /search/new: a thread not created yet
    },
    title(doc) {
      const t = doc.title.replace(/\s*[-|]\s*Perplexity(\s*AI)?\s*$/i, "").trim();
      if (t && !/^perplexity/i.test(t)) return t;
      return D.textOf(doc, SEL.title);
    },
    container: (doc) => D.first(doc, SEL.container),
    isStreaming: (doc) => !!D.first(doc, SEL.stop),
    turns: (doc) => D.roleTurns(doc, SEL, adapter.isStreaming(doc),
      (el, role) => ({ streaming: role !== "user" && !!D.first(el, SEL.busy) })),
    content(turn) {
      const body = turn.role === "user" ? D.first(turn.el, SEL.content.user) || turn.el : turn.el;
      return D.extract(body, CHROME, TEXT_ONLY);
    },
    findEditor: (doc) => D.first(doc, SEL.editor),
    insertText: (editor, text) => D.insertIntoEditor(editor, text),
    sendButton: (doc) => D.first(doc, SEL.send),
  };
  (globalThis.VIVIM_ADAPTERS ||= {})[adapter.provider] = adapter;
})();
