// @ts-check
/* Claude (claude.ai): everything VIVIM knows about this site's page, behind the shared adapter
 * interface (see content/core.js). Claude puts no message ids in the page, so the core derives keys;
 * the "n / m" version counter Claude shows after a retry or an edit tells branches apart.
 * 2026 (public tools that read the page: a capsule extension's `div[role=feed] div[role=article]` rows
 * with a `[data-user-message-bubble="true"]` around the prompt's `[data-testid=user-message]` and the
 * answer's `.font-claude-response`; an agent's note on the 2026-08 redesign: `.font-claude-response-body`
 * became the class of each paragraph, the answer's container is `.font-claude-response`; a session
 * exporter: the extended-thinking block, a `div.rounded-lg` toggled by a `button.group/row`, holds a
 * `.standard-markdown` of its own): the thinking block's Markdown is never read as the answer. */
(() => {
  "use strict";
  const D = globalThis.VIVIM_DOM;

  const SEL = {
    // Each role's fallbacks, newest markup first (see VIVIM_DOM.byRole).
    user: ['[data-testid="user-message"]', '[data-user-message-bubble="true"]', ".font-user-message",
      '[data-message-author="human"]'],
    assistant: ["div[data-is-streaming]", ".font-claude-response", ".font-claude-message",
      '[data-message-author="assistant"]'],
    content: {
      assistant: [".standard-markdown", ".font-claude-response", ".font-claude-message", ".grid-cols-1"],
      user: ['[data-testid="user-message"]', ".font-user-message"],
    },
    streaming: ['[data-is-streaming="true"]'],
    // The extended-thinking block (its own Markdown inside): reasoning, never the answer.
    thinking: ['[data-testid="thinking-block"]', 'div.rounded-lg[class*="ease-out"]:has(> button[class*="group/row"])'],
    stop: ['button[aria-label="Stop response"]', 'button[aria-label="Stop Response"]'],
    wrapper: ["[data-test-render-count]", ".group"],
    version: ['[data-testid="message-version"]', "span"],
    title: ['[data-testid="chat-menu-trigger"]', '[data-testid="chat-title-button"]', "header h1"],
    model: ['[data-testid="model-selector-dropdown"]', 'button[aria-label*="model" i]'],
    editor: ['div.ProseMirror[contenteditable="true"]', 'div[contenteditable="true"][aria-label*="prompt" i]',
      'fieldset div[contenteditable="true"]', 'div[contenteditable="true"]'],
    send: ['button[aria-label="Send message"]', 'button[aria-label="Send Message"]', 'fieldset button[type="submit"]'],
    container: ['div[data-testid="conversation-thread"]', 'main div[role="feed"]', "main", "body"],
  };
  const CHROME = [".sr-only", "[data-testid='action-bar-copy']", "pre .sticky", "pre [class*='copy']"];
  const ID_PATH = /^\/chat\/([0-9a-f-]{8,})/i;

  function versionOf(el) {
    const wrapper = el.closest(SEL.wrapper.join(","));
    return wrapper ? D.pagerVersion(wrapper.querySelectorAll(SEL.version.join(","))) : null;
  }

  /** @type {SiteAdapter} */
  const adapter = {
    provider: "claude",
    selectors: SEL,
    matches: (url) => new URL(url).hostname === "claude.ai",
    conversationId: (url) => D.pathId(url, ID_PATH),
    title: (doc) => D.pageTitle(doc, SEL.title, /\s*[-|]\s*Claude\s*$/, /^Claude$/),
    container: (doc) => D.first(doc, SEL.container),
    isStreaming: (doc) => !!(D.first(doc, SEL.streaming) || D.first(doc, SEL.stop)),
    // An answer says itself whether it streams (data-is-streaming on it or around it).
    turns: (doc) => D.roleTurns(doc, SEL, false, (el, role) => {
      const flag = role === "user" ? null : (el.hasAttribute("data-is-streaming") ? el : el.closest("[data-is-streaming]"));
      return { streaming: flag?.getAttribute("data-is-streaming") === "true", branch: versionOf(el) };
    }),
    content(turn) {
      if (turn.role === "user") return D.extract(turn.el, CHROME);
      // An answer that used tools is several markdown blocks with tool boxes between them: keep them all,
      // but never the thinking block's own Markdown.
      const thinking = SEL.thinking.join(",");
      const blocks = D.all(turn.el, SEL.content.assistant.slice(0, 1)).filter((b) => !b.closest(thinking));
      if (blocks.length > 1) {
        return D.joinParts(blocks.map((b) => D.extract(b, CHROME)));
      }
      if (blocks.length === 1) return D.extract(blocks[0], CHROME);
      const thought = D.first(turn.el, SEL.thinking);
      if (thought) {
        // Only the thinking so far: nothing to store while it streams; stopped there, it is all there is.
        const { html, text } = D.extract(thought, CHROME);
        return { html, text: turn.streaming ? "" : text };
      }
      return D.extract(D.first(turn.el, SEL.content.assistant) || turn.el, CHROME);
    },
    findEditor: (doc) => D.first(doc, SEL.editor),
    insertText: (editor, text) => D.insertIntoEditor(editor, text),
    sendButton: (doc) => D.first(doc, SEL.send),
  };
  (globalThis.VIVIM_ADAPTERS ||= {})[adapter.provider] = adapter;
})();
