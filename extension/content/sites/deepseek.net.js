/* DeepSeek, network side (MAIN world, document_start, before content/net/hook.js): the web app loads the
 * open conversation with GET /api/v0/chat/history_messages?chat_session_id=<uuid> (sometimes with
 * `cache_version`): `{code, data: {biz_code, biz_data: {chat_session: {id, title, current_message_id},
 * chat_messages: [{message_id, parent_id, role, fragments|content...}]}}}`, every branch included.
 * It gives DeepSeek turns the message ids its DOM lacks. The streaming POST /api/v0/chat/completion is
 * not read: the DOM captures live turns, and re-opening the conversation brings the finished list. */
(() => {
  "use strict";
  const PATH = /^\/api\/v\d+\/chat\/history_messages\/?$/;
  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
  (globalThis.__vivimNetRules ||= []).push({
    provider: "deepseek",
    match(url, method) {
      if (method !== "GET" || url.hostname !== "chat.deepseek.com" || !PATH.test(url.pathname)) return null;
      const id = url.searchParams.get("chat_session_id") || "";
      return UUID.test(id) ? { conversationId: id.toLowerCase() } : null;
    },
  });
})();
