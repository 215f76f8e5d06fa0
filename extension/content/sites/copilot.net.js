/* Microsoft Copilot, network side (MAIN world, document_start, before content/net/hook.js): the page
 * loads an open conversation with GET /c/api/conversations/<id>/history?api-version=2, newest messages
 * first, and older ones with the same path and a `cursor` query parameter as the user scrolls up:
 * {"results": [{"id", "author": {"type": "human"|"ai"}, "createdAt", "content": [{"type": "text",
 * "text"}]}], "next": <cursor, absent on the oldest page>}. Every page is read; the host joins them
 * (importers/copilot.py) and says `partial` until the oldest page was seen. The chat itself (a
 * WebSocket) is not read: the DOM captures live turns. */
(() => {
  "use strict";
  const PATH = /^\/c\/api\/conversations\/([A-Za-z0-9_-]{8,})\/history\/?$/;
  (globalThis.__vivimNetRules ||= []).push({
    provider: "copilot",
    match(url, method) {
      if (method !== "GET" || url.hostname !== "copilot.microsoft.com") return null;
      const m = PATH.exec(url.pathname);
      return m ? { conversationId: m[1] } : null;
    },
  });
})();
