/* Claude, network side (MAIN world, document_start, before content/net/hook.js): the page loads the
 * open conversation with GET /api/organizations/<org>/chat_conversations/<id>?tree=True
 * &rendering_mode=messages&render_all_tools=true: `chat_messages` (uuid, parent_message_uuid, sender,
 * content blocks, created_at) and `current_leaf_message_uuid`, the export's shape, with every branch.
 * It also gives Claude turns the stable ids its DOM lacks. Completions (POST .../completion) are not read. */
(() => {
  "use strict";
  const PATH = /^\/api\/organizations\/[^/]+\/chat_conversations\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\/?$/i;
  (globalThis.__vivimNetRules ||= []).push({
    provider: "claude",
    match(url, method) {
      if (method !== "GET" || url.hostname !== "claude.ai") return null;
      const m = PATH.exec(url.pathname);
      return m ? { conversationId: m[1].toLowerCase() } : null;
    },
  });
})();
