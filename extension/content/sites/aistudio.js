// @ts-check
/* Google AI Studio (aistudio.google.com): everything VIVIM knows about this site's page, behind the
 * shared adapter interface (see content/core.js).
 *
 * What this relies on (2025/2026 markup, from exporter userscripts and extensions that read the page):
 * - A saved chat lives at /prompts/<Drive file id> (the prompt is a file in the user's Drive folder
 *   "Google AI Studio"); /prompts/new_chat is an unsaved chat: nothing is stored until it has an id.
 * - Each turn is an Angular `<ms-chat-turn id="turn-…">` holding `.chat-turn-container.user|.model`
 *   and a `[data-turn-role="User"|"Model"]` box whose `.turn-content` has `ms-prompt-chunk`s:
 *   `ms-text-chunk > ms-cmark-node` (the rendered Markdown), `ms-thought-chunk` (the model's
 *   "Thoughts" expansion panel, kept as reasoning), `ms-code-block`, `ms-image-chunk`, `ms-file-chunk`.
 *   The `turn-…` ids are made by the page when it renders (the prompt file has no message ids), so
 *   turns are keyed by their place: every turn keeps its `ms-chat-turn` element while scrolled away
 *   (only its content is rendered lazily), so the element's ordinal is the turn's index.
 * - No "< 2/3 >" versions: "Rerun" replaces an answer in place and "Branch from here" saves a new
 *   prompt (a new id, so a new conversation here).
 * - The prompt box is a plain `<textarea>` in `ms-prompt-box` (older: `ms-prompt-input-wrapper`,
 *   `ms-chunk-input`); the Run button `ms-run-button button` is disabled until the textarea has text
 *   and turns into a Stop button (with a spinner) while the model answers.
 * - The model is named in the run settings panel's model selector.
 * - Confirmed by public exporters (GhostXia/Google-AI-Studio-Exporter, 2025-12-31; a Violentmonkey
 *   exporter 3.8, late 2025): `ms-chat-turn`, `.chat-turn-container.user|.model`,
 *   `[data-turn-role="Model"]`, `.turn-content > ms-prompt-chunk`, `ms-thought-chunk`, and role boxes
 *   whose class only contains `model-prompt-container` / `user-prompt-container` (matched as
 *   substrings); chunks may be `ms-response-chunk`s; a "Model"/"User" role tag may sit in a chunk.
 *   A turn with no role mark at all is left out rather than guessed. A 2026 client (build of 2026-06)
 *   finds Run and Stop to be one `ms-run-button button` told apart only by its text, and every turn
 *   to carry a Run (rerun) button of its own: Send is the composer's, Stop read from its text. A
 *   userscript also lists `ms-bidi-turn` turns and `textarea[formcontrolname=promptText]`.
 */
(() => {
  "use strict";
  const D = globalThis.VIVIM_DOM;

  const SEL = {
    // The turn element; if a redesign drops <ms-chat-turn>, its role container, then its role box.
    turn: ["ms-chat-turn", "ms-bidi-turn", ".chat-turn-container", "[data-turn-role]"],
    // Role: the container's class, then the role box's attribute (both checked, newest first).
    userMark: [".chat-turn-container.user", '[data-turn-role="User"]', '[data-turn-role="user"]',
      ".user-prompt-container", '[class*="user-prompt-container"]'],
    modelMark: [".chat-turn-container.model", '[data-turn-role="Model"]', '[data-turn-role="model"]',
      ".model-prompt-container", '[class*="model-prompt-container"]', "ms-thought-chunk"],
    content: [".turn-content", '[data-turn-role] .turn-content', ".chat-turn-container"],
    // Only positive signals: a missed "busy" costs an extra update, a false one a turn left "streaming".
    stop: ['ms-run-button button[aria-label="Stop"]', "ms-run-button button.stoppable",
      "ms-run-button .stoppable-spinner", 'button[aria-label="Stop generating"]', 'button[aria-label="Stop run"]'],
    // The composer's Run button (every turn has a Run button of its own, for a rerun): in 2026 it is also
    // its Stop button, the state shown only by its text ("Run" / "Stop", followed by its shortcut).
    runButton: ["ms-prompt-box ms-run-button button", "footer ms-run-button button"],
    turnBusy: ["ms-chat-loading-indicator", ".loading-indicator", '[aria-busy="true"]'],
    title: ["h1.mode-title", ".page-title h1", "ms-toolbar h1", ".toolbar-title h1", "ms-prompt-title"],
    model: ['ms-run-settings [data-test-id="model-name"]', '[data-test-id="model-name"]',
      ".model-selector-card .title", 'ms-model-selector button span.title',
      "mat-select[data-test-ms-model-selector] .model-option-content span",
      "[data-test-ms-model-selector] span"],
    editor: ["ms-prompt-box textarea", "ms-prompt-input-wrapper textarea", "ms-chunk-input textarea",
      'textarea[aria-label="Type something or tab to choose an example prompt"]',
      'textarea[aria-label*="prompt" i]', 'textarea[formcontrolname="promptText"]', "ms-autosize-textarea textarea",
      'footer textarea'],
    send: ['ms-prompt-box ms-run-button button[type="submit"]', "ms-prompt-box ms-run-button button",
      "footer ms-run-button button", "ms-run-button button", 'button[aria-label="Run"]', "button.run-button"],
    container: ["ms-autoscroll-container", ".chat-view-container", ".chat-scrollable-container",
      "ms-chunk-editor", "main", "body"],
  };
  // Page chrome inside a turn: the author label and timestamp, the turn's action bar and options
  // menu, the run-time pill, feedback buttons, icon ligatures, and the thought panel's header text.
  const CHROME = [".author-label", ".actions-container", ".actions", "ms-chat-turn-options", ".turn-footer",
    ".model-run-time-pill", "ms-prompt-feedback", "button", ".material-symbols-outlined", ".material-icons",
    // (the 2025-12 exporter also reads icon ligatures from `span.ms-button-icon-symbol`: "download", …)
    ".ms-button-icon-symbol",
    "mat-icon", ".cdk-visually-hidden", ".thought-collapsed-text", ".thought-panel-footer",
    "ms-search-entry-point", ".search-entry-point", ".role-label", ".ms-role-tag"];
  // Kept in the HTML for the host, left out of the text: the code block's header (it names the language)
  // and the model's thoughts (the host quotes them apart from the answer; the text, which live and
  // imported copies of a turn are matched on, is the answer alone, as in the prompt file).
  const TEXT_ONLY = ["ms-code-block mat-expansion-panel-header", "ms-thought-chunk", ".thought-panel"];
  // /prompts/<id> (2025-2026); /app/prompts/<id> in older links.
  const ID_PATH = /^(?:\/u\/\d+)?(?:\/app)?\/prompts\/([A-Za-z0-9_-]{12,})\/?$/;

  function roleOf(el) {
    if (D.selfOrFirst(el, SEL.userMark)) return "user";
    if (D.selfOrFirst(el, SEL.modelMark)) return "assistant";
    return null;
  }

  /** @type {SiteAdapter} */
  const adapter = {
    provider: "aistudio",
    selectors: SEL,
    matches: (url) => new URL(url).hostname === "aistudio.google.com",
    conversationId(url) {
      const id = D.pathId(url, ID_PATH);
      return id === "new_chat" ? null : id; // an unsaved chat
    },
    title: (doc) => D.pageTitle(doc, SEL.title, /\s*[-|–—]\s*(Google\s+)?AI\s*Studio\s*$/i, /^(Google\s+)?AI\s*Studio$/i),
    container: (doc) => D.first(doc, SEL.container),
    isStreaming: (doc) => !!D.first(doc, SEL.stop) || (D.first(doc, SEL.runButton)?.textContent || "").includes("Stop"),
    turns(root) {
      const doc = root.ownerDocument || root;
      const model = D.textOf(doc, SEL.model);
      const out = [];
      // `root` may be one detached turn (the page dropped it): D.all finds the root itself too.
      const els = D.all(root, SEL.turn);
      const every = root === doc ? els : D.all(doc, SEL.turn);
      for (const el of els) {
        const role = roleOf(el);
        if (!role) continue;
        const at = every.indexOf(el);
        out.push({
          el, role, messageId: null, index: at >= 0 ? at : null,
          streaming: role === "assistant" && !!D.first(el, SEL.turnBusy),
          model: role === "assistant" ? model : null,
        });
      }
      if (out.some((t) => t.index === null)) out.forEach((t) => { t.index = null; });
      return D.lastStreams(out, adapter.isStreaming(doc));
    },
    content(turn) {
      const body = D.first(turn.el, SEL.content) || turn.el;
      return D.extract(body, CHROME, TEXT_ONLY);
    },
    captureAll: true, // turns carry indexes: a "Capture all" scroll places lazily rendered turns correctly
    findEditor: (doc) => D.first(doc, SEL.editor),
    insertText: (editor, text) => D.insertIntoEditor(editor, text),
    sendButton: (doc) => D.first(doc, SEL.send),
  };
  (globalThis.VIVIM_ADAPTERS ||= {})[adapter.provider] = adapter;
})();
