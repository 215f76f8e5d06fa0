// @ts-check
/* Gemini (gemini.google.com): everything VIVIM knows about this site's page, behind the shared adapter
 * interface (see content/core.js). Gemini renders Angular custom elements (<user-query>,
 * <model-response>, <message-content id="message-content-id-r_…">) inside an infinite scroller that
 * loads older turns when scrolled up. */
(() => {
  "use strict";
  const D = globalThis.VIVIM_DOM;

  const SEL = {
    // Each role's fallbacks, newest markup first (see VIVIM_DOM.byRole).
    user: ["user-query", '[data-test-id="user-query"]', ".user-query-container", ".query-text"],
    assistant: ["model-response", '[data-test-id="model-response"]', ".model-response-container", "message-content"],
    pair: [".conversation-container", "[data-conversation-turn]"],
    responseId: ['message-content[id^="message-content-id-"]', '[id^="message-content-id-"]', "[data-response-id]"],
    content: {
      assistant: ["message-content .markdown", ".markdown-main-panel", "message-content", ".model-response-text"],
      user: [".query-text", "user-query-content", ".user-query-bubble-with-background"],
    },
    // Only positive signals: a missed "busy" costs an extra update, a false one a turn left "streaming".
    busy: ['[aria-busy="true"]'],
    stop: ['button[aria-label="Stop response"]', "button.send-button.stop", '[data-test-id="stop-button"]'],
    title: ['[data-test-id="conversation-title"]', ".conversation-title-container .conversation-title",
      ".selected .conversation-title"],
    model: ['[data-test-id="bard-mode-menu-button"] .current-mode-title', ".current-mode-title",
      '[data-test-id="bard-mode-menu-button"]'],
    editor: ['rich-textarea .ql-editor[contenteditable="true"]', ".ql-editor[contenteditable='true']",
      'div[contenteditable="true"][role="textbox"]'],
    send: ["button.send-button", 'button[aria-label="Send message"]', 'button[aria-label*="Send" i]'],
    // (`[data-test-id="chat-history-container"]` / `.chat-history-scroll-container`: the scroller as
    // Gemini exporters name it, 2025/2026.)
    container: ["#chat-history", "infinite-scroller.chat-history", '[data-test-id="chat-history-container"]',
      ".chat-history-scroll-container", "main", "body"],
  };
  const CHROME = [".cdk-visually-hidden", ".sr-only", "mat-icon", ".response-footer", "sources-list", ".thoughts-header"];
  // The code block's header carries its language: the host reads it from the HTML; the text skips it.
  const TEXT_ONLY = [".code-block-decoration"];
  const ID_PATH = /^\/(?:u\/\d+\/)?(?:app|gem\/[^/]+)\/([0-9a-zA-Z_-]{8,})/;

  function responseId(el) {
    const holder = D.selfOrFirst(el, SEL.responseId);
    if (!holder) return null;
    const raw = holder.getAttribute("data-response-id") || holder.id.replace(/^message-content-id-/, "");
    return raw || null;
  }

  /** @type {SiteAdapter} */
  const adapter = {
    provider: "gemini",
    selectors: SEL,
    matches: (url) => new URL(url).hostname === "gemini.google.com",
    conversationId: (url) => D.pathId(url, ID_PATH),
    title: (doc) => D.pageTitle(doc, SEL.title, /\s*[-|]\s*(Google\s*)?Gemini\s*$/, /^Gemini$/),
    container: (doc) => D.first(doc, SEL.container),
    isStreaming: (doc) => !!D.first(doc, SEL.stop),
    turns: (doc) => D.roleTurns(doc, SEL, adapter.isStreaming(doc), (el, role) => {
      const isUser = role === "user";
      const pair = el.closest(SEL.pair.join(","));
      const messageId = isUser ? (pair?.id ? `${pair.id}:user` : null)
        : responseId(el) || (pair?.id ? `${pair.id}:model` : null);
      return { messageId, streaming: !isUser && !!D.first(el, SEL.busy) };
    }),
    content(turn) {
      const body = D.first(turn.el, SEL.content[turn.role]) || turn.el;
      return D.extract(body, CHROME, TEXT_ONLY);
    },
    captureAll: true, // turns carry ids/indexes: a "Capture all" scroll places older turns correctly
    findEditor: (doc) => D.first(doc, SEL.editor),
    insertText: (editor, text) => D.insertIntoEditor(editor, text),
    sendButton: (doc) => D.first(doc, SEL.send),
  };
  (globalThis.VIVIM_ADAPTERS ||= {})[adapter.provider] = adapter;
})();
