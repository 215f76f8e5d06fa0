// @ts-check
/* ChatGPT (chatgpt.com): everything VIVIM knows about this site's page, behind the adapter interface
 * shared by all sites (see content/core.js). Selectors are listed most specific first; a redesign
 * should be a change to this file and its fixture only.
 *
 * Two generations of the thread are read:
 * - 2024-2026: one `article`/`section`/`div` per turn, `data-testid="conversation-turn-<n>"` (its absolute
 *   index), holding `[data-message-author-role][data-message-id]` messages;
 * - the rebuilt thread (measured live by public tools in 2026-09/10: a Playwright agent's test of the
 *   "2026-09-22 ChatGPT composer", a context exporter's thread profile, an extractor's "grouped
 *   data-turn-key renderer" test): no `data-message-author-role` at all. Exchanges are `[data-turn-key]`
 *   wrappers; a prompt is the `[data-user-message-bubble]` (its text in `[data-user-message-copy]` or
 *   `.whitespace-pre-wrap`; its id in `data-chatgpt-search-message-ids` on its `…:user` search unit); an
 *   answer is `[data-markdown-text-style="assistant-message"]` (primary tone first) inside the owner
 *   `[data-chatgpt-selection-message-id]` (its id), or `[data-conversation-role="assistant"]`; what the
 *   page marks `[data-markdown-copy="exclude"]` is no content. Stop is an aria-label only, or
 *   `[data-stop-generating]`; a streaming answer may be `[data-message-streaming]`.
 * A turn holding both kinds (a legacy answer inside a grouped exchange) is read from both, once each.
 * The logged-out page (/uc/<id>, a live capture of 2026-10-03 published with a public tool's fixtures):
 * `ol[data-conversation-transcript] > li[data-message-role=user|assistant]` whose element id is the
 * message id (`pending-<uuid>` and `[data-message-streaming]` while it streams), a prompt in
 * `[data-user-message-bubble] > p[data-user-message-copy]`, an answer in `[data-assistant-markdown]`. */
(() => {
  "use strict";
  const D = globalThis.VIVIM_DOM;

  const SEL = {
    // One <article> per turn; its data-testid carries the turn's absolute index in the thread.
    turn: ['article[data-testid^="conversation-turn-"]', '[data-testid^="conversation-turn-"]',
      "main [data-message-author-role]", "[data-conversation-transcript] > [data-message-role]"],
    message: ["[data-message-author-role][data-message-id]", "[data-message-author-role]", "[data-message-role]"],
    // The rebuilt thread (see the header): exchange wrappers, then each role's marks, newest first.
    group: ["[data-turn-key]"],
    user: ['[data-user-message-bubble="true"]', "[data-user-message-bubble]",
      '[data-chatgpt-search-unit-key$=":user"]', '[data-conversation-role="user"]'],
    assistant: ["[data-chatgpt-selection-message-id]:has([data-markdown-text-style='assistant-message'])",
      '[data-conversation-role="assistant"]', '[data-chatgpt-search-unit-key$=":assistant"]',
      '[data-markdown-text-style="assistant-message"]'],
    // Outside a group only inside the thread (the sidebar and composer hold neither).
    looseUser: ['main [data-user-message-bubble="true"]', "main [data-user-message-bubble]"],
    looseAssistant: ["main [data-chatgpt-selection-message-id]:has([data-markdown-text-style='assistant-message'])",
      'main [data-markdown-text-style="assistant-message"]'],
    answerBody: ['[data-markdown-text-style="assistant-message"][data-markdown-text-tone="primary"]',
      '[data-markdown-text-style="assistant-message"]', "[data-assistant-markdown]", ".markdown"],
    content: {
      assistant: ["[data-assistant-markdown]", ".markdown", ".prose", "[data-message-content]"],
      user: [".whitespace-pre-wrap", "[data-message-content]", "[data-user-message-copy]", ".user-message-bubble-color"],
    },
    // Presence means "streaming": exact selectors only (a loose one would match "Stop voice mode").
    stop: ['[data-testid="stop-button"]', 'button[aria-label="Stop streaming"]', 'button[aria-label="Stop generating"]',
      "button[data-composer-submit][data-stop-generating]", "form button[data-stop-generating]"],
    streamingMark: [".result-streaming", '[data-message-author-role="assistant"] .streaming-animation',
      "[data-message-streaming]"],
    title: ['nav a[aria-current="page"]', 'nav [data-active] a', '[data-testid="conversation-title"]'],
    model: ['[data-testid="model-switcher-dropdown-button"]', 'button[aria-label^="Model selector"]'],
    editor: ["#prompt-textarea", 'div.ProseMirror[contenteditable="true"]', 'textarea[name="prompt-textarea"]',
      "form textarea"],
    send: ['[data-testid="send-button"]', "#composer-submit-button", 'button[aria-label="Send prompt"]'],
    container: ["main #thread", "main", "body"],
  };
  // Inside a turn but not content: the "Copy code" bar, the code block's language label row.
  const CHROME = ["[data-testid$='copy-turn-action-button']", ".sr-only", "pre .sticky", "pre [class*='copy']",
    '[data-markdown-copy="exclude"]', "[data-assistant-message-actions]", "[data-user-message-actions]",
    "[data-assistant-placeholder-slot]", "[data-chatgpt-agent-turn-start]", "[data-message-attribution]"];
  // /c/<id>; a custom GPT's /g/<gpt>/c/<id>; a logged-out chat's /uc/<id>.
  const ID_PATH = /^\/(?:g\/[^/]+\/)?u?c\/([A-Za-z0-9-]{8,})/;
  const ASSISTANT_MARK = '[data-markdown-text-style="assistant-message"]';
  // Any mark of the rebuilt thread's roles (SEL.user / SEL.assistant without their :has() parts).
  const GROUPED_MARK = ["[data-user-message-bubble]", ASSISTANT_MARK, "[data-conversation-role]",
    "[data-chatgpt-search-unit-key]", "[data-chatgpt-selection-message-id]"].join(",");

  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
  /** A message's role: its author attribute, or the transcript list's `data-message-role`. */
  const roleOf = (msg) => msg.getAttribute("data-message-author-role") || msg.getAttribute("data-message-role");
  /** A transcript row's element id is its message id; a streaming one's is `pending-<uuid>`, never an id. */
  const idOf = (msg) => (msg.hasAttribute("data-message-role") && UUID.test(msg.id) ? msg.id : null);

  /** Document order, for turns found by two kinds of marks. */
  const byPlace = (a, b) => (a.el.compareDocumentPosition(b.el) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1);

  /** A rebuilt-thread message's provider id: an answer's owner names it; a prompt's `…:user` search
   * unit (or a holder of ids that holds no answer) lists it first. */
  function groupedId(el, role) {
    if (role === "assistant") {
      const owner = el.closest("[data-chatgpt-selection-message-id]") || el.querySelector("[data-chatgpt-selection-message-id]");
      return owner?.getAttribute("data-chatgpt-selection-message-id") || el.getAttribute("data-message-id") || null;
    }
    const unit = el.closest('[data-chatgpt-search-unit-key$=":user"][data-chatgpt-search-message-ids]')
      || el.querySelector("[data-chatgpt-search-message-ids]");
    let holder = unit;
    if (!holder) {
      const around = el.closest("[data-chatgpt-search-message-ids]");
      holder = around && !around.querySelector(ASSISTANT_MARK) ? around : null;
    }
    const first = (holder?.getAttribute("data-chatgpt-search-message-ids") || "").split(/[\s,]+/).find(Boolean);
    return first || el.getAttribute("data-message-id") || null;
  }

  /** Messages of the rebuilt thread inside `root` that no legacy message already covers. */
  function groupedMessages(root, legacy, user = SEL.user, assistant = SEL.assistant) {
    const out = [];
    for (const { el, role } of D.byRole(root, user, assistant)) {
      if (legacy.some((m) => m.el.contains(el) || el.contains(m.el))) continue;
      out.push({ el, role, messageId: groupedId(el, role), model: null });
    }
    return out;
  }

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
      const turnEls = D.all(doc, SEL.turn);
      const groups = turnEls.length ? turnEls : D.all(doc, SEL.group);
      for (const turnEl of groups) {
        const m = /conversation-turn-(\d+)/.exec(turnEl.getAttribute("data-testid") || "");
        // One turn can hold several messages (an answer that used tools): each is kept, in order.
        const messages = (turnEl.matches(SEL.message[1]) ? [turnEl] : D.all(turnEl, SEL.message))
          .filter((msg) => roleOf(msg))
          .map((msg) => ({
            el: msg, role: roleOf(msg), messageId: msg.getAttribute("data-message-id") || idOf(msg),
            model: msg.getAttribute("data-message-model-slug") || null,
          }));
        // (One plain query first: a turn with none of the rebuilt thread's marks costs no :has() queries.)
        const grouped = turnEl.matches(GROUPED_MARK) || turnEl.querySelector(GROUPED_MARK)
          ? groupedMessages(turnEl, messages) : [];
        const found = [...messages, ...grouped].sort(byPlace);
        for (const msg of found) out.push({ ...msg, index: m ? Number(m[1]) : null, streaming: false });
      }
      if (!groups.length) { // neither turn nor exchange wrappers: the roles' own marks, inside <main>
        for (const msg of groupedMessages(doc, [], SEL.looseUser, SEL.looseAssistant)) {
          out.push({ ...msg, index: null, streaming: false });
        }
      }
      D.lastStreams(out, streaming);
      for (const t of out) {
        if (t.el.querySelector(".result-streaming") || t.el.closest("[data-message-streaming]")) t.streaming = true;
      }
      return out;
    },
    /** {html, text} of one turn element. */
    content(turn) {
      if (turn.role === "assistant" && !turn.el.hasAttribute("data-message-author-role")
      && !turn.el.hasAttribute("data-message-role")) {
        // A rebuilt-thread answer: its Markdown blocks (primary tone first), never what the page excludes.
        const blocks = D.all(turn.el, SEL.answerBody).filter((b) => !b.closest('[data-markdown-copy="exclude"]'));
        if (blocks.length > 1) {
          const parts = blocks.map((b) => D.extract(b, CHROME));
          return { html: `<div>${parts.map((p) => p.html).join("")}</div>`, text: parts.map((p) => p.text).join("\n\n") };
        }
        return D.extract(blocks[0] || turn.el, CHROME);
      }
      const body = D.first(turn.el, SEL.content[turn.role] || []) || turn.el;
      const got = D.extract(body, CHROME);
      // The logged-out page's prompt copy is the text as typed (laid out pre-wrap, no class says so).
      if (body.matches("[data-user-message-copy]") && !body.querySelector("p,div,br,li,pre")) {
        return { html: got.html, text: (body.textContent || "").trim() || got.text };
      }
      return got;
    },
    captureAll: true, // turns carry ids/indexes: a "Capture all" scroll places older turns correctly
    findEditor: (doc) => D.first(doc, SEL.editor),
    insertText: (editor, text) => D.insertIntoEditor(editor, text),
    sendButton: (doc) => D.first(doc, SEL.send),
  };
  (globalThis.VIVIM_ADAPTERS ||= {})[adapter.provider] = adapter;
})();
