// @ts-check
/* Grok (grok.com): everything VIVIM knows about this site's page, behind the shared adapter interface
 * (see content/core.js). What it relies on (2025/2026 page, and the exporters that read it):
 * - a conversation lives at /c/<uuid> (a project chat at /project/<id>?chat=<uuid>);
 * - each turn is a `div.group` with id="response-<uuid>": the response id the page's JSON
 *   (content/sites/grok.net.js) and the data export use, so DOM and network turns share keys;
 *   prompts are `items-end`, answers `items-start`; text in `div.message-bubble`, an answer's
 *   Markdown in `div.response-content-markdown`;
 * - reasoning ("Think", Grok 4) in `div.thinking-container` above the answer (the normalizer keeps it
 *   apart as a blockquote: content() sends it with the answer, marked by its container);
 * - "< 2/3 >" under an edited prompt or a regenerated answer names the branch on screen;
 * - while an answer streams the Send button is a "Stop model response" button;
 * - the prompt box: a TipTap/ProseMirror contenteditable in the query bar (older: a textarea);
 * - 2026 (measured by a public Grok client, 2026-09): an answer's bubble is itself
 *   `div.message-bubble[role=article][data-testid=assistant-message]` (reasoning `.thinking-container`
 *   ahead of `.response-content-markdown`), a prompt's bubble the `.message-bubble` that is not; the
 *   prompt box `div[data-testid=chat-input] div[role=textbox]` (labels are translated), Send
 *   `button[data-testid=chat-submit]`. Roles therefore fall back to the bubbles themselves.
 * The exporters' selectors (`.message-bubble`, `.response-content-markdown`, `.items-end[id]`) are kept
 * as fallbacks after the id-based ones. */
(() => {
  "use strict";
  const D = globalThis.VIVIM_DOM;

  const SEL = {
    // Each role's fallbacks, newest markup first (see VIVIM_DOM.byRole).
    user: ['div[id^="response-"].items-end', '[data-testid="user-message"]', "div.group.items-end:has(.message-bubble)",
      'div.message-bubble:not([data-testid="assistant-message"]):not([role="article"])'],
    assistant: ['div[id^="response-"].items-start', '[data-testid="assistant-message"]',
      "div.group.items-start:has(.message-bubble)", 'div.message-bubble[role="article"]'],
    content: {
      assistant: [".response-content-markdown", ".message-bubble .markdown", ".message-bubble"],
      user: [".message-bubble", "span.whitespace-pre-wrap", "p.break-words"],
    },
    responseId: '[id^="response-"]',
    reasoning: [".thinking-container", '[class*="thinking-container"]'],
    reasoningBody: [".thinking-content", '[class*="thinking-content"]', ".response-content-markdown", '[class*="prose"]'],
    // Presence means "streaming": exact labels only.
    stop: ['button[aria-label="Stop model response"]', 'button[aria-label="Stop generating"]',
      'form button[aria-label="Stop"]'],
    streamingMark: ['[id^="response-"] [data-streaming="true"]', ".message-bubble .animate-pulse-dot"],
    version: [".action-buttons span", "span.tabular-nums"],
    title: ['[data-testid="conversation-title"]', "header h1"],
    model: ["#model-select-trigger", 'button[aria-label="Model select"]', '[data-testid="model-select"]'],
    editor: ['div[data-testid="chat-input"] [contenteditable="true"][role="textbox"]',
      'form .query-bar div.ProseMirror[contenteditable="true"]', 'div.tiptap.ProseMirror[contenteditable="true"]',
      'textarea[aria-label*="Ask Grok" i]', "form .query-bar textarea", "form textarea",
      'div[contenteditable="true"][role="textbox"]'],
    send: ['button[data-testid="chat-submit"]', 'form button[type="submit"][aria-label="Submit"]', 'button[aria-label="Submit"]',
      'form button[type="submit"]', 'button[aria-label="Send"]'],
    container: ['div[class*="scrollbar-gutter-stable"]', "main", "body"],
  };
  // Inside a turn but not content: action rows, code block buttons, the reasoning toggle.
  const CHROME = [".action-buttons", ".sr-only", '[data-testid="code-block"] button', ".thinking-container > button"];
  const ID_PATH = /^\/c\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/i;
  const PROJECT_PATH = /^\/project\/[^/]+\/?$/;
  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

  /** The response id on the turn, or on the element inside or around it that carries it. */
  function responseId(el) {
    const holder = el.matches(SEL.responseId) ? el : el.querySelector(SEL.responseId) || el.closest(SEL.responseId);
    const raw = (holder?.id || "").replace(/^response-/, "");
    return UUID.test(raw) ? raw.toLowerCase() : null;
  }

  function versionOf(el) {
    return D.pagerVersion(el.querySelectorAll(SEL.version.join(",")), { skip: (span) => span.closest(".message-bubble") });
  }

  /** @type {SiteAdapter} */
  const adapter = {
    provider: "grok",
    selectors: SEL,
    matches: (url) => new URL(url).hostname === "grok.com",
    conversationId(url) {
      const id = D.pathId(url, ID_PATH);
      if (id) return id.toLowerCase();
      const parsed = new URL(url);
      const chat = parsed.searchParams.get("chat");
      return PROJECT_PATH.test(parsed.pathname) && chat && UUID.test(chat) ? chat.toLowerCase() : null;
    },
    title: (doc) => D.pageTitle(doc, SEL.title, /\s*[-|]\s*Grok\s*$/, /^Grok$/),
    container: (doc) => D.first(doc, SEL.container),
    isStreaming: (doc) => !!(D.first(doc, SEL.stop) || D.first(doc, SEL.streamingMark)),
    turns: (doc) => D.roleTurns(doc, SEL, adapter.isStreaming(doc),
      (el) => ({ messageId: responseId(el), branch: versionOf(el) })),
    content(turn) {
      if (turn.role === "user") return D.extract(D.first(turn.el, SEL.content.user) || turn.el, CHROME);
      // The reasoning block sits beside the answer's bubble: both go to the host, the reasoning
      // inside its own container so the normalizer keeps it apart from the answer.
      const answer = D.first(turn.el, SEL.content.assistant);
      const reasoning = D.first(turn.el, SEL.reasoning);
      if (!answer) return D.extract(turn.el, CHROME);
      if (!reasoning) return D.extract(answer, CHROME);
      const thought = D.extract(D.first(reasoning, SEL.reasoningBody) || reasoning, CHROME);
      const said = D.extract(answer, CHROME);
      if (!thought.text.trim()) return said; // collapsed: only its "Thought for 9s" toggle is in the page
      return D.withReasoning(thought, said); // normalize/sites/grok.py keeps it apart from the answer
    },
    captureAll: true, // turns carry their response ids: a "Capture all" scroll places older turns correctly
    findEditor: (doc) => D.first(doc, SEL.editor),
    insertText: (editor, text) => D.insertIntoEditor(editor, text),
    sendButton: (doc) => D.first(doc, SEL.send),
  };
  (globalThis.VIVIM_ADAPTERS ||= {})[adapter.provider] = adapter;
})();
