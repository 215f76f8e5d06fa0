/* Grok, network side (MAIN world, document_start, before content/net/hook.js): grok.com opens a
 * conversation with GET /rest/app-chat/conversations/<id>/response-node?includeThreads=true, the
 * whole tree without text (`responseNodes[]` of {responseId, sender, parentResponseId}), then
 * POST /rest/app-chat/conversations/<id>/load-responses with the ids it wants to show: those responses,
 * `responses[]` of {responseId, message, sender, createTime, parentResponseId, model, thinkingTrace,
 * webSearchResults, ...}, the data export's fields in camelCase (importers/grok.py parses both). A
 * long conversation's load-responses may hold only some of the tree (the shown branch, a batch), so
 * both are read: the host states the conversation complete only when every response id of the tree
 * is stored. The streaming POST .../responses (a new answer) is not read: the DOM captures live
 * turns, and re-opening the conversation brings the stored ones. */
(() => {
  "use strict";
  const ID = "([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})";
  const BODIES = new RegExp(`^/rest/app-chat/conversations/${ID}/load-responses/?$`, "i");
  const TREE = new RegExp(`^/rest/app-chat/conversations/${ID}/response-node/?$`, "i");
  (globalThis.__vivimNetRules ||= []).push({
    provider: "grok",
    match(url, method) {
      if (url.hostname !== "grok.com") return null;
      const path = method === "POST" ? BODIES : method === "GET" ? TREE : null;
      const m = path && path.exec(url.pathname);
      return m ? { conversationId: m[1].toLowerCase() } : null;
    },
  });
})();
