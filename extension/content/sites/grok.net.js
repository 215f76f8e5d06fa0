/* Grok, network side (MAIN world, document_start, before content/net/hook.js): grok.com opens a
 * conversation with GET /rest/app-chat/conversations/<id>/response-node (the tree of response ids,
 * no text), then POST /rest/app-chat/conversations/<id>/load-responses with those ids: every response
 * of the tree, `responses[]` of {responseId, message, sender, createTime, parentResponseId, model,
 * thinkingTrace, webSearchResults, ...}, the data export's fields in camelCase (importers/grok.py
 * parses both). That response is read; the streaming POST .../responses (a new answer) is not: the
 * DOM captures live turns, and re-opening the conversation brings the stored ones. */
(() => {
  "use strict";
  const PATH = /^\/rest\/app-chat\/conversations\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\/load-responses\/?$/i;
  (globalThis.__vivimNetRules ||= []).push({
    provider: "grok",
    match(url, method) {
      if (method !== "POST" || url.hostname !== "grok.com") return null;
      const m = PATH.exec(url.pathname);
      return m ? { conversationId: m[1].toLowerCase() } : null;
    },
  });
})();
