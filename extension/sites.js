// @ts-check
/* The extension's one list of the chat sites it captures. The service worker (dynamic content-script
 * registration, per-site on/off) and the popup (per-site rows) import it; host/vivim/providers.py is
 * the host's list, and tests/layout/test_providers.py checks the two agree.
 *
 * One entry per site, on ONE line (several people add sites at once: one line each keeps merges trivial):
 *   key       the provider key of host/vivim/providers.py; the adapter is content/sites/<key>.js
 *   name      how people write it (the popup shows it)
 *   matches   the match patterns of its pages: https://<host>/* for each of the provider's hosts
 *   net       true when content/sites/<key>.net.js exists (the page's own conversation JSON is read:
 *             it is registered with content/net/hook.js in the MAIN world and content/net/bridge.js)
 *   optional  false: in the manifest's host_permissions and static content_scripts, on by default.
 *             true: in optional_host_permissions; captured only once the user grants the origin in
 *             the popup (permissions.request), the service worker then registers its scripts.
 *   url       the conversation address, "{id}" standing for the conversation id (the popup opens it)
 *
 * Every site, optional or not, can be turned off in the popup (storage.local "siteEnabled"): a site
 * that is off is never read (core.js and bridge.js check before reading anything; an optional one is
 * also unregistered). */

/** @typedef {{ key: string, name: string, matches: string[], net: boolean, optional: boolean, url: string }} Site */

/** @type {readonly Site[]} */
export const SITES = Object.freeze([
  { key: "chatgpt", name: "ChatGPT", matches: ["https://chatgpt.com/*"], net: true, optional: false, url: "https://chatgpt.com/c/{id}" },
  { key: "claude", name: "Claude", matches: ["https://claude.ai/*"], net: true, optional: false, url: "https://claude.ai/chat/{id}" },
  { key: "gemini", name: "Gemini", matches: ["https://gemini.google.com/*"], net: false, optional: false, url: "https://gemini.google.com/app/{id}" },
  { key: "perplexity", name: "Perplexity", matches: ["https://www.perplexity.ai/*"], net: true, optional: true, url: "https://www.perplexity.ai/search/{id}" },
  { key: "deepseek", name: "DeepSeek", matches: ["https://chat.deepseek.com/*"], net: true, optional: true, url: "https://chat.deepseek.com/a/chat/s/{id}" },
  { key: "mistral", name: "Le Chat", matches: ["https://chat.mistral.ai/*"], net: true, optional: true, url: "https://chat.mistral.ai/chat/{id}" },
  { key: "grok", name: "Grok", matches: ["https://grok.com/*"], net: true, optional: true, url: "https://grok.com/c/{id}" },
  { key: "copilot", name: "Copilot", matches: ["https://copilot.microsoft.com/*"], net: true, optional: true, url: "https://copilot.microsoft.com/chats/{id}" },
  { key: "aistudio", name: "AI Studio", matches: ["https://aistudio.google.com/*"], net: true, optional: true, url: "https://aistudio.google.com/prompts/{id}" },
]);

/** storage.local key: {[site key]: false} for the sites the user turned off (absent = on). */
export const ENABLED_KEY = "siteEnabled";

/** @param {string} key @returns {Site | undefined} */
export const siteByKey = (key) => SITES.find((s) => s.key === key);

/** The conversation address for a site's id, or null (an unknown provider). */
export function conversationUrl(key, id) {
  const site = siteByKey(key);
  return site && id ? site.url.replace("{id}", encodeURIComponent(id)) : null;
}

/** The origins ("https://host") the sites live on. */
export const origins = () => SITES.flatMap((s) => s.matches.map((m) => new URL(m.replace("/*", "/")).origin));

/** The content scripts of one site, in the order and worlds of the manifest's static entries. */
export function scriptsOf(site) {
  const id = `vivim-${site.key}`;
  const common = { matches: site.matches, persistAcrossSessions: true, allFrames: false };
  const out = [];
  if (site.net) {
    out.push({ ...common, id: `${id}-net`, js: [`content/sites/${site.key}.net.js`, "content/net/hook.js"],
      runAt: "document_start", world: "MAIN" });
    out.push({ ...common, id: `${id}-bridge`, js: ["content/net/bridge.js"], runAt: "document_start" });
  }
  out.push({ ...common, id: `${id}-page`,
    js: ["content/dom.js", `content/sites/${site.key}.js`, "content/core.js", "content/context_button.js"],
    runAt: "document_idle" });
  return out;
}
