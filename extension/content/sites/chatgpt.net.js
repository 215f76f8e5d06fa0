/* ChatGPT, network side (runs in the page's MAIN world at document_start, before content/net/hook.js):
 * which of the page's own requests load the open conversation. The web app loads a conversation with
 * GET /backend-api/conversation/<id>: the export's document (`mapping` tree with every branch,
 * `current_node`, `title`, `default_model_slug`); a paged load of a long conversation asks the same
 * path with query parameters (e.g. `num_turns`, a cursor) and each page is a `mapping` holding part
 * of the tree. Other GETs under the conversation's path are probed: kept only if they carry a `mapping`.
 * The host parses these with the ChatGPT export parser and joins the pages.
 * The rebuilt app (2026-09/10, as a public context exporter reads it) loads the thread with GET
 * /backend-api/conversations/<id> or /backend-api/conversations/<id>/messages (plural; older runs asked
 * for with the newer page's `start_cursor`): `{conversation_id, title, messages: [...], page_info}`,
 * forwarded when the body carries a `page_info` (the host joins the runs, importers/chatgpt_thread.py).
 * The streaming POST /backend-api/conversation (f/conversation) is not read: the DOM captures live
 * turns, and re-opening the conversation brings the finished document. */
(() => {
  "use strict";
  const PATH = /^\/backend-api\/conversation\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(\/[\w/-]*)?$/i;
  // Sub-resources of a conversation that are known not to be its messages.
  const NOT_MESSAGES = /^\/(?:stream_status|textdocs?|attachment|download|feedback|init|share)/i;
  const THREAD = /^\/backend-api\/conversations\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(?:\/messages)?\/?$/i;
  (globalThis.__vivimNetRules ||= []).push({
    provider: "chatgpt",
    match(url, method) {
      if (method !== "GET" || url.hostname !== "chatgpt.com") return null;
      const thread = THREAD.exec(url.pathname);
      if (thread) return { conversationId: thread[1].toLowerCase(), probe: '"page_info"' };
      const m = PATH.exec(url.pathname);
      if (!m) return null;
      const rest = (m[2] || "").replace(/\/+$/, "");
      if (!rest) return { conversationId: m[1].toLowerCase() };
      // Another path under the conversation (a paged variant of its messages?): a probe, forwarded
      // only if its body holds a `mapping`, and never a warning when it does not.
      return NOT_MESSAGES.test(rest) ? null : { conversationId: m[1].toLowerCase(), probe: '"mapping"' };
    },
  });
})();
