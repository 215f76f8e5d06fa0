// @ts-check
/* ChatGPT (chatgpt.com): everything VIVIM knows about this site's page, behind the adapter interface
 * shared by all sites (see content/core.js). Selectors are listed most specific first; a redesign
 * should be a change to this file and its fixture only. */
(() => {
  "use strict";
  const D = globalThis.VIVIM_DOM;

  const SEL = {
    // One <article> per turn; its data-testid carries the turn's absolute index in the thread.
    turn: ['article[data-testid^="conversation-turn-"]', '[data-testid^="conversation-turn-"]',
      "main [data-message-author-role]"],
    message: ["[data-message-author-role][data-message-id]", "[data-message-author-role]"],
    content: {
      assistant: [".markdown", ".prose", "[data-message-content]"],
      user: [".whitespace-pre-wrap", "[data-message-content]", ".user-message-bubble-color"],
    },
    // Presence means "streaming": exact selectors only (a loose one would match "Stop voice mode").
    stop: ['[data-testid="stop-button"]', 'button[aria-label="Stop streaming"]', 'button[aria-label="Stop generating"]'],
    streamingMark: [".result-streaming", '[data-message-author-role="assistant"] .streaming-animation'],
    title: ['nav a[aria-current="page"]', 'nav [data-active] a', '[data-testid="conversation-title"]'],
    model: ['[data-testid="model-switcher-dropdown-button"]', 'button[aria-label^="Model selector"]'],
    editor: ["#prompt-textarea", 'div.ProseMirror[contenteditable="true"]', 'textarea[name="prompt-textarea"]',
      "form textarea"],
    send: ['[data-testid="send-button"]', "#composer-submit-button", 'button[aria-label="Send prompt"]'],
    container: ["main #thread", "main", "body"],
  };
  // Inside a turn but not content: the "Copy code" bar, the code block's language label row.
  const CHROME = ["[data-testid$='copy-turn-action-button']", ".sr-only", "pre .sticky", "pre [class*='copy']"];
  const ID_PATH = /^\/(?:g\/[^/]+\/)?c\/([A-Za-z0-9-]{8,})/;

  /** @type {SiteAdapter} */
  const adapter = {
    provider: "chatgpt",
    selectors: SEL,
    matches: (url) => new URL(url).hostname === "chatgpt.com",
    conversationId: (url) => D.pathId(url, ID_PATH),
    title: (doc) => D.pageTitle(doc, SEL.title, /\s*[-|]\s*ChatGPT\s*$/, /^ChatGPT$/),
    container: (doc) => D.first(doc, SEL.container),
    isStreaming: (doc) => !!(D.first(doc, SEL.stop) || D.first(doc, SEL.streamingMark)),
    /** Turns in page order: [{el, role, messageId, index, streaming, model}] (content via content()). */
    turns(doc) {
      const streaming = adapter.isStreaming(doc);
      const out = [];
      for (const turnEl of D.all(doc, SEL.turn)) {
        const m = /conversation-turn-(\d+)/.exec(turnEl.getAttribute("data-testid") || "");
        // One turn can hold several messages (an answer that used tools): each is kept, in order.
        const messages = turnEl.matches(SEL.message[1]) ? [turnEl] : D.all(turnEl, SEL.message);
        for (const msg of messages) {
          const role = msg.getAttribute("data-message-author-role");
          if (!role) continue;
          out.push({
            el: msg, role, messageId: msg.getAttribute("data-message-id") || null,
            index: m ? Number(m[1]) : null, streaming: false,
            model: msg.getAttribute("data-message-model-slug") || null,
          });
        }
      }
      D.lastStreams(out, streaming);
      for (const t of out) if (t.el.querySelector(".result-streaming")) t.streaming = true;
      return out;
    },
    /** {html, text} of one turn element. */
    content(turn) {
      const body = D.first(turn.el, SEL.content[turn.role] || []) || turn.el;
      return D.extract(body, CHROME);
    },
    captureAll: true, // turns carry ids/indexes: a "Capture all" scroll places older turns correctly
    findEditor: (doc) => D.first(doc, SEL.editor),
    insertText: (editor, text) => D.insertIntoEditor(editor, text),
    sendButton: (doc) => D.first(doc, SEL.send),
  };
  (globalThis.VIVIM_ADAPTERS ||= {})[adapter.provider] = adapter;
})();
