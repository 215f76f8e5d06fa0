// @ts-check
/* Le Chat (chat.mistral.ai): everything VIVIM knows about this site's page, behind the shared adapter
 * interface (see content/core.js).
 *
 * What this relies on (2025/2026 markup, Next.js/React with Tailwind classes):
 * - a conversation is /chat/<uuid>; the sidebar links to it (`a[href="/chat/<uuid>"]`);
 * - every message carries `data-message-author-role` (user/assistant) and `data-message-id`, the
 *   same id the data export gives it (so a capture and an import share keys);
 * - a prompt's text is in `.select-text` as `span.whitespace-pre-wrap` runs; an answer's Markdown is
 *   in `.markdown-container-style` (older: `.prose`), code in <pre> with a header
 *   `span.text-xs.capitalize` naming the language and a Copy button, math in KaTeX;
 * - reasoning ("Think" mode) renders in its own collapsible block ahead of the answer: it is sent in
 *   the HTML (the host's rules quote it apart from the answer) and left out of the turn's text;
 * - the prompt box is a ProseMirror/TipTap editor (older: `textarea[name="message.text"]`) in a <form>
 *   whose submit button sends; while an answer streams a Stop button replaces it;
 * - a regenerated answer shows a "2 / 2" pager under the message;
 * - an older generation (2024, as navMistral reads it) had no data attributes: every message a
 *   `div.group.flex.w-full.gap-4`, a prompt's with a left border (`.relative.border-l`), an answer's
 *   without; roles then come from that structure, keys from the core (confirmed in 2025/2026 by a
 *   Le Chat exporter: `[data-message-author-role]`, `data-message-id`, `.select-text`
 *   `span.whitespace-pre-wrap`, `.markdown-container-style`, `pre span.text-xs.capitalize`). */
(() => {
  "use strict";
  const D = globalThis.VIVIM_DOM;

  const SEL = {
    message: ["[data-message-author-role][data-message-id]", "[data-message-author-role]"],
    // Only when no message carries its role (see above), inside <main> (the sidebar's rows share these
    // utility classes), and only with a prompt among them; an answer holds rendered Markdown.
    legacyUser: ["main div.group.flex.w-full.gap-4.relative.border-l"],
    legacyAssistant: ["main div.group.flex.w-full.gap-4:not(.relative):not(.border-l):has(.prose, [class*='markdown'])"],
    content: {
      assistant: [".markdown-container-style", '[data-message-part-type="answer"]', ".prose", "[class*='markdown']"],
      user: [".select-text", '[data-message-part-type="user"]', ".whitespace-pre-wrap"],
    },
    reasoning: ['[data-message-part-type="reasoning"]', '[data-message-part-type="thinking"]',
      "[data-reasoning]", "details.reasoning"],
    stop: ['button[aria-label="Stop"]', 'button[aria-label^="Stop" i]', 'button[aria-label*="Arrêter" i]'],
    streaming: ['[data-message-author-role="assistant"][data-streaming="true"]', '[aria-busy="true"]'],
    title: ['[data-testid="chat-title"]', "header h1"],
    model: ['[data-testid="model-selector"]', 'button[aria-label*="model" i]'],
    editor: ['div.ProseMirror[contenteditable="true"]', 'textarea[name="message.text"]',
      'form [contenteditable="true"][role="textbox"]', "form textarea", '[contenteditable="true"]'],
    send: ['form button[type="submit"]', 'button[aria-label="Send question"]', 'button[aria-label*="Send" i]',
      'button[aria-label*="Envoyer" i]'],
    container: ["main", "body"],
  };
  const CHROME = [".sr-only", "pre button", '[aria-label="Copy to clipboard"]'];
  // The code header's language is read by the host from the HTML; the turn's text is the answer alone.
  const TEXT_ONLY = ["pre span.text-xs.capitalize", ...SEL.reasoning];
  const ID_PATH = /^\/chat\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/i;

  /** A regenerated answer's "2 / 2" pager, under the message. */
  const versionOf = (el) => D.pagerVersion(el.querySelectorAll("span,div"), { several: true });

  /** The sidebar's link to this conversation names it exactly; the document title is the fallback. */
  function sidebarTitle(doc) {
    const id = adapter.conversationId(doc.location?.href || "https://chat.mistral.ai/");
    return id ? D.linkText(doc, `a[href="/chat/${CSS.escape(id)}"]`) : null;
  }

  /** @type {SiteAdapter} */
  const adapter = {
    provider: "mistral",
    selectors: SEL,
    matches: (url) => new URL(url).hostname === "chat.mistral.ai",
    conversationId: (url) => D.pathId(url, ID_PATH)?.toLowerCase() ?? null,
    title: (doc) => D.pageTitle(doc, SEL.title, /\s*[-|]\s*(Le Chat|Mistral AI)\s*$/i, /^(le chat|mistral ai)\b/i,
      sidebarTitle(doc)),
    container: (doc) => D.first(doc, SEL.container),
    isStreaming: (doc) => !!(D.first(doc, SEL.stop) || D.first(doc, SEL.streaming)),
    turns(doc) {
      const model = D.textOf(doc, SEL.model);
      const out = [];
      const marked = D.all(doc, SEL.message);
      let legacy = marked.length ? [] : D.byRole(doc, SEL.legacyUser, SEL.legacyAssistant);
      if (!legacy.some((t) => t.role === "user")) legacy = [];
      for (const el of marked.length ? marked : legacy.map((t) => t.el)) {
        const role = el.getAttribute("data-message-author-role") || legacy.find((t) => t.el === el)?.role;
        if (role !== "user" && role !== "assistant") continue;
        if (out.length && out[out.length - 1].el.contains(el)) continue;
        out.push({
          el, role, messageId: el.getAttribute("data-message-id") || null, index: null,
          streaming: role === "assistant" && el.getAttribute("data-streaming") === "true",
          model: role === "assistant" ? model : null, branch: versionOf(el),
        });
      }
      return D.lastStreams(out, !!D.first(doc, SEL.stop));
    },
    content(turn) {
      if (turn.role === "user") {
        const body = D.first(turn.el, SEL.content.user) || turn.el;
        const { html, text } = D.extract(body, CHROME);
        // A prompt is shown as typed (white-space: pre-wrap): its own characters are its text.
        const typed = (body.textContent || "").trim();
        return { html, text: typed && !body.querySelector("p,li,pre") ? typed : text };
      }
      const reasoning = D.first(turn.el, SEL.reasoning);
      const answer = D.first(turn.el, SEL.content.assistant);
      if (reasoning && answer && !reasoning.contains(answer) && !answer.contains(reasoning)) {
        const thought = D.extract(reasoning, CHROME);
        const said = D.extract(answer, CHROME, TEXT_ONLY);
        return { html: `<div>${thought.html}${said.html}</div>`, text: said.text };
      }
      return D.extract(answer || turn.el, CHROME, TEXT_ONLY);
    },
    captureAll: true, // turns carry the provider's ids: a "Capture all" scroll places older turns correctly
    findEditor: (doc) => D.first(doc, SEL.editor),
    insertText: (editor, text) => D.insertIntoEditor(editor, text),
    sendButton: (doc) => D.first(doc, SEL.send),
  };
  (globalThis.VIVIM_ADAPTERS ||= {})[adapter.provider] = adapter;
})();
