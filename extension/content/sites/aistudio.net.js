/* Google AI Studio, network side (MAIN world, document_start, before content/net/hook.js): which of
 * the page's own requests load the open prompt. Opening /prompts/<Drive id> makes the page POST
 * `…/$rpc/google.internal.alkali.applications.makersuite.v1.MakerSuiteService/ResolveDriveResource`
 * (host alkalimakersuite-pa.clients6.google.com) and answer with the whole prompt as positional JSON
 * (`application/json+protobuf`): every chunk of the chat, the prompt file's content. The request names
 * the prompt in its body, not its URL, so the conversation is the one the page's own URL names; the
 * host checks the payload's `prompts/<id>` against it and refuses a payload of another prompt (a
 * navigation racing the request). GenerateContent / CreatePrompt / UpdatePrompt are not read: the DOM
 * captures live turns and re-opening the prompt brings the saved whole. */
(() => {
  "use strict";
  const RPC = /[./]MakerSuiteService\/ResolveDriveResource$/;
  const RPC_HOST = /(^|\.)(clients6\.google\.com|googleapis\.com)$/;
  const PAGE = /^(?:\/u\/\d+)?(?:\/app)?\/prompts\/([A-Za-z0-9_-]{12,128})\/?$/;
  (globalThis.__vivimNetRules ||= []).push({
    provider: "aistudio",
    match(url, method) {
      if (method !== "POST" || !RPC_HOST.test(url.hostname) || !RPC.test(url.pathname)) return null;
      const m = PAGE.exec(location.pathname);
      return m && m[1] !== "new_chat" ? { conversationId: m[1] } : null;
    },
  });
})();
