/* Le Chat, network side (MAIN world, document_start, before content/net/hook.js): the web app loads the
 * open conversation with a tRPC batch GET, /api/trpc/chat.byId,message.all,...?batch=1&input=<JSON
 * naming the chat's id>: the chat (title) and its messages (id, chatId, role, content, contentChunks,
 * createdAt: the export's message objects), as one JSON array or, streamed, JSON lines. Only batches
 * naming `message.all` are read, and only for the chat the input names. Sending (message.newChat, the
 * POST /api/chat stream) is not read: the DOM captures live turns. */
(() => {
  "use strict";
  const PATH = /^\/api\/trpc\/([\w.,]+)$/;
  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

  /** The chat id the batch's input names (`chatId`, or `id` beside it), if exactly one. */
  function chatOf(input) {
    let parsed;
    try { parsed = JSON.parse(input || "null"); } catch { return null; }
    const ids = new Set();
    for (const entry of Object.values(parsed && typeof parsed === "object" ? parsed : {})) {
      const json = entry && typeof entry === "object" ? entry.json : null;
      for (const key of ["chatId", "id"]) {
        const value = json && typeof json === "object" ? json[key] : null;
        if (typeof value === "string" && UUID.test(value)) ids.add(value.toLowerCase());
      }
    }
    return ids.size === 1 ? [...ids][0] : null;
  }

  (globalThis.__vivimNetRules ||= []).push({
    provider: "mistral",
    match(url, method) {
      if (method !== "GET" || url.hostname !== "chat.mistral.ai") return null;
      const m = PATH.exec(url.pathname);
      if (!m || !m[1].split(",").includes("message.all")) return null;
      const id = chatOf(url.searchParams.get("input"));
      return id ? { conversationId: id } : null;
    },
  });
})();
