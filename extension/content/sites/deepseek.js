// @ts-check
/* DeepSeek (chat.deepseek.com): everything VIVIM knows about this site's page, behind the shared adapter
 * interface (see content/core.js).
 *
 * What this relies on (2025/2026 markup, React with build-hashed class names, so only the site's own
 * stable `ds-*` names are used, with the hashed ones as last fallbacks):
 * - a conversation is /a/chat/s/<uuid> (older links: /chat/s/<uuid>); the sidebar links to it;
 * - turns live in a virtual list (`.ds-virtual-list-visible-items > [data-virtual-list-item-key]`);
 *   every message is a `div.ds-message`: the answer's is the one holding
 *   `div.ds-markdown.ds-assistant-message-main-content`, the prompt's holds no `.ds-markdown`;
 * - DeepThink reasoning is `div.ds-think-content` (its own `.ds-markdown` inside) ahead of the answer,
 *   under a "Thought for N seconds" toggle: it is sent in the HTML (the host's rules make it a quote
 *   apart from the answer) and left out of the turn's text, so the answer is what the turn says;
 * - early-2025 markup had no `ds-message`: prompts in `div.fbb737a4`, answers in
 *   `div.ds-markdown.ds-markdown--block` inside `div.f9bf7997`, reasoning in `div.e1675d8b`;
 * - late-2026 markup (measured by public DeepSeek tools, 2026-09/10): rows of the virtual list lost their
 *   `data-virtual-list-item-key` (only hashed classes are left: a row is a child of
 *   `.ds-virtual-list-visible-items`); a prompt's text is in `.ds-collapsible-text`; a code block is
 *   `div.md-code-block` whose only content is its <pre> (the rest is its language header and buttons);
 * - while an answer streams, the round primary Send button turns into Stop in place: same element, same
 *   classes, no aria-label, only its icon changes (an arrow becomes a square, older builds a <rect>);
 *   while the model thinks the same button holds a spinner (`.ds-loading`, `svg[data-icon=spin]`);
 * - an edited prompt or a regenerated answer shows a "‹ 2 / 3 ›" pager beside the message;
 * - the prompt box is a React <textarea> (id chat-input, placeholder "Message DeepSeek"), Send a
 *   `div[role=button]` that is `aria-disabled` until the box has text.
 * DeepSeek puts no message ids in the page: the core derives keys (the network payload brings the ids). */
(() => {
  "use strict";
  const D = globalThis.VIVIM_DOM;

  const SEL = {
    // Each role's fallbacks, newest markup first (see VIVIM_DOM.byRole).
    user: [".ds-message:not(:has(.ds-markdown)):not(:has(.ds-think-content))", ".ds-user-message",
      ".ds-message:has(.ds-collapsible-text)", "div.fbb737a4", '[data-role="user"]',
      // No `ds-message` at all: the virtual list's row holding a prompt's collapsible text.
      ".ds-virtual-list-visible-items > :has(.ds-collapsible-text):not(:has(.ds-markdown))"],
    assistant: [".ds-message:has(.ds-assistant-message-main-content)", ".ds-message:has(.ds-markdown)",
      ".ds-message:has(.ds-think-content)", "div.f9bf7997", "div:has(> .ds-markdown.ds-markdown--block)",
      '[data-role="assistant"]', ".ds-virtual-list-visible-items > :has(.ds-markdown)"],
    content: {
      // The answer alone, never the reasoning's own .ds-markdown.
      answer: [".ds-assistant-message-main-content", ":scope > .ds-markdown", ".ds-markdown--block",
        ".ds-markdown:not(.ds-think-content .ds-markdown)"],
      user: [".ds-collapsible-text", ".fbb737a4", ".ds-message-text", "[class*='user-message']"],
    },
    reasoning: [".ds-think-content", "div.e1675d8b", "div.edb250b1"],
    // The same round button as Send: told apart by its icon only (the square's path, an older <rect>,
    // the thinking spinner). Exact shapes, never "not the arrow": a missed Stop costs an update, a false
    // one a turn left streaming.
    stop: ['div[role="button"][aria-label^="Stop" i]', 'button[aria-label^="Stop" i]',
      'div[role="button"].ds-button--circle:has(svg path[d^="M2 4.88"])',
      'div[role="button"].ds-button--primary.ds-button--circle:has(svg rect)',
      'div[role="button"].ds-button--circle:has(svg[data-icon="spin"])',
      'div[role="button"].ds-button--circle:has(.ds-loading)'],
    wrapper: ["[data-virtual-list-item-key]", ".ds-virtual-list-visible-items > *", "._4f9bf79", "._9663006"],
    title: ["header h1", '[class*="chat-title"]'],
    editor: ["textarea#chat-input", 'textarea[placeholder*="DeepSeek" i]', 'textarea[name="search"]',
      "form textarea", "textarea"],
    send: ['div[role="button"].ds-button--primary.ds-button--circle', 'div[role="button"][aria-label^="Send" i]',
      'button[aria-label^="Send" i]', 'button[type="submit"]', 'div[role="button"][aria-disabled]'],
    // A page may hold more than one virtual list (a side panel's too, which may render before the chat's):
    // the conversation's is the printable one, or the one whose rows are messages. A list that holds no
    // message yet is never chosen: until the chat's rows exist the whole app is watched (#root, as public
    // DeepSeek tools root their reading), so the rows' arrival is a mutation seen, and the next snapshot
    // narrows the watch to their list.
    container: [".ds-virtual-list--printable .ds-virtual-list-visible-items",
      ".ds-virtual-list-visible-items:has(.ds-message)",
      ".ds-virtual-list-visible-items:has(.ds-markdown, .ds-collapsible-text)",
      ".ds-virtual-list-items:has(.ds-message)", "#root", "main", "body"],
  };
  // Inside a message but not content: action bars, the code block's Copy/Download buttons, the reasoning
  // toggle's "Thought for 5 seconds" label.
  const CHROME = [".ds-markdown-code-copy-button", ".md-code-block-action", ".ds-message-actions",
    ".ds-think-header", ".sr-only", ".md-code-block [role='button']", ".md-code-block button"];
  // In the HTML (the host reads the reasoning and the code block's language from it), not in the text.
  // A code block's frame holds its <pre> and, whatever their classes, its header and icons.
  const TEXT_ONLY = [".md-code-block-banner", ".md-code-block-banner-wrap, .md-code-block > :not(pre)",
    ...SEL.reasoning];
  const ID_PATH = /^\/(?:a\/)?chat\/s\/([0-9a-z-]{8,})/i;

  /** Which version ("2 / 3") of an edited prompt or a regenerated answer is on screen, if any: the
   * pager beside the message, in its row. */
  function versionOf(el) {
    const wrapper = el.closest(SEL.wrapper.join(",")) || el.parentElement;
    if (!wrapper) return null;
    return D.pagerVersion(wrapper.querySelectorAll("div,span"), { skip: (node) => el.contains(node), several: true });
  }

  /** The sidebar's link to this conversation names it exactly; the document title is the fallback. */
  function sidebarTitle(doc) {
    const id = adapter.conversationId(doc.location?.href || "https://chat.deepseek.com/");
    return id ? D.linkText(doc, `a[href$="/s/${CSS.escape(id)}"]`) : null;
  }

  /** @type {SiteAdapter} */
  const adapter = {
    provider: "deepseek",
    selectors: SEL,
    matches: (url) => new URL(url).hostname === "chat.deepseek.com",
    conversationId: (url) => D.pathId(url, ID_PATH)?.toLowerCase() ?? null,
    title: (doc) => D.pageTitle(doc, SEL.title, /\s*[-|]\s*DeepSeek\s*$/i, /^deepseek\b/i, sidebarTitle(doc)),
    container: (doc) => D.first(doc, SEL.container),
    isStreaming: (doc) => !!D.first(doc, SEL.stop),
    turns: (doc) => D.roleTurns(doc, SEL, adapter.isStreaming(doc), (el) => ({ branch: versionOf(el) })),
    content(turn) {
      if (turn.role === "user") {
        // A prompt is plain text shown as typed (white-space: pre-wrap): its own characters are its text.
        const body = D.first(turn.el, SEL.content.user) || turn.el;
        const { html, text } = D.extract(body, CHROME);
        const typed = (body.textContent || "").replace(/^\s*\n|\s+$/g, "");
        return { html, text: typed.trim() && !body.querySelector("p,br,li") ? typed : text };
      }
      const reasoning = D.first(turn.el, SEL.reasoning);
      const answer = D.first(turn.el, SEL.content.answer);
      if (reasoning && answer && !reasoning.contains(answer)) {
        // Reasoning first, the answer after it: two extracts, so neither can stand in for the other.
        const thought = D.extract(reasoning, CHROME, TEXT_ONLY.slice(0, 2));
        const said = D.extract(answer, CHROME, TEXT_ONLY);
        return { html: `<div>${thought.html}${said.html}</div>`, text: said.text };
      }
      if (reasoning && !answer) {
        // Still thinking: nothing to store yet (the core waits). Stopped while thinking: the reasoning
        // alone is all there is, kept as reasoning (its HTML is the think block, quoted by the host).
        const thought = D.extract(reasoning, CHROME, TEXT_ONLY.slice(0, 2));
        return { html: thought.html, text: turn.streaming ? "" : thought.text };
      }
      return D.extract(answer || turn.el, CHROME, TEXT_ONLY);
    },
    findEditor: (doc) => D.first(doc, SEL.editor),
    insertText: (editor, text) => D.insertIntoEditor(editor, text),
    sendButton: (doc) => D.first(doc, SEL.send),
  };
  (globalThis.VIVIM_ADAPTERS ||= {})[adapter.provider] = adapter;
})();
