/* Perplexity, network side (MAIN world, document_start, before content/net/hook.js): which of the
 * page's own requests load the open thread. A thread page (/search/<slug>) loads its entries with
 * GET /rest/thread/<slug>?with_parent_info=true&with_schematized_response=true&version=…&source=default
 * &limit=…&offset=…&from_first=true: {status, entries: [{backend_uuid, uuid, query_str, thread_title,
 * thread_url_slug, display_model, status, updated_datetime, blocks: [{intended_usage: "ask_text",
 * markdown_block: {answer, chunks, …}}, {intended_usage: "sources_answer_mode" | "web_results",
 * …{web_results|rows: [{name, url, …}]}}, …]}], has_next_page, next_cursor}; a long thread comes in
 * pages (offset/cursor). Each page must carry "entries" (a probe: other GETs under /rest/thread/, such as
 * list_recent, are not the thread). The host parses these (importers/perplexity_thread.py) and keeps
 * each answer's cited URLs. The streaming POST /rest/sse/perplexity_ask is not read: the DOM captures
 * live answers, and re-opening the thread brings the finished entries. */
(() => {
  "use strict";
  const PATH = /^\/rest\/thread\/([A-Za-z0-9][\w.%-]{2,199})\/?$/;
  // Calls under /rest/thread/ that are not one thread's entries.
  const NOT_A_THREAD = /^(?:list_|export|delete|rename|fork|mark_|update_|set_|get_|bulk_)/;
  (globalThis.__vivimNetRules ||= []).push({
    provider: "perplexity",
    match(url, method) {
      if (method !== "GET" || url.hostname !== "www.perplexity.ai") return null;
      const m = PATH.exec(url.pathname);
      if (!m || NOT_A_THREAD.test(m[1])) return null;
      return { conversationId: m[1], probe: '"entries"' };
    },
  });
})();
