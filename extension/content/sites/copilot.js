// @ts-check
/* Microsoft Copilot (copilot.microsoft.com): everything VIVIM knows about this site's page, behind the
 * shared adapter interface (see content/core.js). What it relies on (2025/2026 page, and the exporters
 * and extensions that read it: CopilotWebChatExporter, copilot-chat-copier, fogbank's notes):
 * - a conversation lives at /chats/<id> (a short URL-safe id, not a UUID); a new chat at / has none;
 * - prompts are `[data-content="user-message"]`, answers `[data-content="ai-message"]` (the body in
 *   `.group/ai-message-item`), inside `[data-content="conversation"]`; each answer starts with a
 *   screen-reader heading "Copilot said" (and a prompt "You said"), dropped as chrome;
 * - the page puts no message ids in the DOM: the core derives keys; the history JSON the page loads
 *   (content/sites/copilot.net.js) carries the ids;
 * - Copilot shows no branch counter: a regenerated answer replaces the old one;
 * - an answer's body may come in several `group/ai-message-item` blocks (text, an image, more text;
 *   2026-02 markup: turns are [role="article"] inside [data-testid="highlighted-chats"]): all are read;
 * - "Think Deeper" answers show their reasoning in a collapsible block above the answer (the history
 *   JSON's `chainOfThought` parts, importers/copilot.py): kept apart, never as the answer;
 * - while an answer streams the Send button is a Stop button (the answer itself has no streaming mark);
 * - the prompt box is a plain <textarea id="userInput">, Send is button[data-testid="submit-button"], the
 *   mode picker a button[data-testid*="chat-mode-"] (as SeleniumBase's Copilot example drives them);
 *   the placeholder is translated, so it is never matched.
 */
(() => {
  "use strict";
  const D = globalThis.VIVIM_DOM;

  const SEL = {
    // Each role's fallbacks, newest markup first (see VIVIM_DOM.byRole).
    user: ['[data-content="user-message"]', '[data-testid="user-message"]', '[data-message-author="user"]'],
    // Last: the answer body's own group class, for a page whose answers lost `data-content` (exporters
    // pair prompts with the `.group/ai-message-item` after them).
    assistant: ['[data-content="ai-message"]', '[data-testid="ai-message"]', '[data-message-author="bot"]',
      '[class~="group/ai-message-item"]'],
    content: {
      assistant: ['[data-testid="ai-message-body"]', '[class*="group/ai-message-item"]', '[data-testid="ai-message-content"]',
        ".ai-message-item"],
      user: ['[class*="group/user-message-item"]', '[data-testid="user-message-content"]', ".whitespace-pre-wrap"],
    },
    reasoning: ['[data-testid="reasoning-block"]', '[data-content="reasoning"]', '[data-testid*="reasoning"]',
      '[data-testid*="chain-of-thought"]', '[class*="chain-of-thought"]', '[class*="reasoning"]'],
    reasoningBody: ['[data-testid="reasoning-content"]', '[class*="reasoning-content"]'],
    // Presence means "streaming": exact labels only.
    stop: ['button[data-testid="stop-button"]', 'button[aria-label="Stop responding"]',
      'button[aria-label="Interrupt message"]'],
    title: ['[data-testid="conversation-title"]', 'nav a[aria-current="page"]', '[aria-current="page"] [data-testid="chat-title"]'],
    // The mode ("Quick response", "Think Deeper", "Smart (GPT-5)"): the composer's chat-mode trigger.
    model: ['[data-testid="composer-chat-mode-button"]', 'form button[data-testid*="chat-mode-"]',
      'button[data-testid*="chat-mode-"]'],
    editor: ["textarea#userInput", 'textarea[data-testid="composer-input"]', "form textarea",
      'div[contenteditable="true"][role="textbox"]'],
    send: ['button[data-testid="submit-button"]', 'button[aria-label="Submit message"]', 'form button[type="submit"]'],
    container: ['[data-content="conversation"]', '[data-testid="highlighted-chats"]', "main", "body"],
  };
  // Inside a turn but not content: screen-reader headings, action rows, code block buttons.
  const CHROME = [".sr-only", '[data-testid="message-actions"]', '[data-testid="copy-button"]', "pre button",
    '[data-testid="code-block"] button'];
  const ID_PATH = /^\/chats\/([A-Za-z0-9_-]{8,})\/?$/;
  const GENERIC_TITLE = /^(Microsoft\s+)?Copilot(\s*[:|-].*)?$/i;

  /** @type {SiteAdapter} */
  const adapter = {
    provider: "copilot",
    selectors: SEL,
    matches: (url) => new URL(url).hostname === "copilot.microsoft.com",
    conversationId: (url) => D.pathId(url, ID_PATH),
    title: (doc) => D.pageTitle(doc, SEL.title, /\s*[-|]\s*(Microsoft\s+)?Copilot.*$/i, GENERIC_TITLE),
    container: (doc) => D.first(doc, SEL.container),
    isStreaming: (doc) => !!D.first(doc, SEL.stop),
    turns: (doc) => D.roleTurns(doc, SEL, adapter.isStreaming(doc)),
    content(turn) {
      if (turn.role === "user") return D.extract(D.first(turn.el, SEL.content.user) || turn.el, CHROME);
      const reasoning = D.first(turn.el, SEL.reasoning);
      const items = D.all(turn.el, SEL.content.assistant);
      const outside = items.filter((el) => !reasoning || !reasoning.contains(el));
      // A "reasoning" match that holds the whole answer is no reasoning block: read the answer as is.
      const apart = reasoning && (!items.length || outside.length) ? reasoning : null;
      const blocks = (apart ? outside : items).filter((el, _, list) => !list.some((o) => o !== el && o.contains(el)));
      const skip = apart ? [...CHROME, ...SEL.reasoning] : CHROME;
      const parts = (blocks.length ? blocks : [turn.el]).map((el) => D.extract(el, skip)).filter((p) => p.text.trim());
      const said = parts.length === 1 ? parts[0] : D.joinParts(parts);
      if (!apart) return said;
      const thought = D.extract(D.first(apart, SEL.reasoningBody) || apart, [...CHROME, "button"]);
      if (!thought.text.trim()) return said;
      return D.withReasoning(thought, said); // normalize/sites/copilot.py keeps it apart from the answer
    },
    findEditor: (doc) => D.first(doc, SEL.editor),
    insertText: (editor, text) => D.insertIntoEditor(editor, text),
    sendButton: (doc) => D.first(doc, SEL.send),
  };
  (globalThis.VIVIM_ADAPTERS ||= {})[adapter.provider] = adapter;
})();
