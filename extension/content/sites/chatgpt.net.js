/* ChatGPT, network side (runs in the page's MAIN world at document_start, before content/net/hook.js):
 * which of the page's own requests load the open conversation. The web app loads a conversation with
 * GET /backend-api/conversation/<id>: the export's document (`mapping` tree with every branch,
 * `current_node`, `title`, `default_model_slug`); a paged load of a long conversation asks the same
 * path with query parameters (e.g. `num_turns`, a cursor) and each page is a `mapping` holding part
 * of the tree. The host parses these with the ChatGPT export parser and joins the pages.
 * The streaming POST /backend-api/conversation (f/conversation) is not read: the DOM captures live
 * turns, and re-opening the conversation brings the finished document. */
(() => {
  "use strict";
  const PATH = /^\/backend-api\/conversation\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\/?$/i;
  (globalThis.__vivimNetRules ||= []).push({
    provider: "chatgpt",
    match(url, method) {
      if (method !== "GET" || url.hostname !== "chatgpt.com") return null;
      const m = PATH.exec(url.pathname);
      return m ? { conversationId: m[1].toLowerCase() } : null;
    },
  });
})();
