/* VIVIM network bridge: the isolated-world end of content/net/hook.js, at document_start.
 *
 * Sends the MAIN-world observer a fresh random secret (the handshake works whichever of the two
 * scripts runs first, and ends before any page script runs); the observer's acknowledgement names the
 * provider of its site's rule (content/sites/<key>.net.js), so this file knows no site. Then it checks
 * the user's per-site switch (storage.local "siteEnabled") and tells the observer whether it may read
 * anything at all: a site that is off is never read. It receives the response texts observed under the
 * secret, checks them (types, sizes, ids: the page is untrusted), and forwards each to the service worker
 * as a `network` message; the host parses, stores and states completeness.
 * Failures (the conversation request failed, a body too large) become adapter.health warnings.
 * `VIVIM_NET.seen(id)` tells the capture core whether this page delivered a conversation's payload. */
(() => {
  "use strict";
  if (globalThis.VIVIM_NET) return;
  const ENABLED_KEY = "siteEnabled"; // sites.js ENABLED_KEY: {[key]: false} for each site turned off
  let provider = null;  // named by the observer's rule in its acknowledgement
  let enabled = false;  // ...and read from the user's switch: nothing is accepted before both are known
  const MAX_CHARS = 32 * 1024 * 1024;
  const MAX_META = 4096;
  // Conversation ids of every site: UUIDs, slugs, base64-ish ids (the host checks again).
  const ID = /^[A-Za-z0-9][\w.~%:-]{0,199}$/;
  const PROVIDER = /^[a-z][a-z0-9-]{0,31}$/;
  const seen = new Map(); // conversation id -> {ok, at, why}

  const bytes = crypto.getRandomValues(new Uint8Array(16));
  const secret = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  let acked = false;
  const hello = () => window.dispatchEvent(new CustomEvent("vivim-net-hello", { detail: secret }));
  const onReady = () => { if (!acked) hello(); };
  window.addEventListener("vivim-net-ready", onReady);
  window.addEventListener(`vivim-net-ack-${secret}`, (event) => {
    acked = true;
    window.removeEventListener("vivim-net-ready", onReady);
    let named = [];
    try { named = JSON.parse(typeof event.detail === "string" ? event.detail : "[]"); } catch { /* none */ }
    provider = Array.isArray(named) ? named.find((p) => typeof p === "string" && PROVIDER.test(p)) || null : null;
    if (provider) checkEnabled();
  }, { once: true });
  window.addEventListener(`vivim-net-${secret}`, (event) => receive(event.detail));
  hello();

  /** The user's switch for this site, told to the observer ("on" lets it read; "off" stops it). */
  function checkEnabled() {
    Promise.resolve().then(() => chrome.storage.local.get(ENABLED_KEY)).then(
      (stored) => (stored?.[ENABLED_KEY] || {})[provider] !== false,
      () => false, // unreadable settings (the extension was reloaded under the page): nothing is read
    ).then((on) => {
      enabled = on;
      window.dispatchEvent(new CustomEvent(`vivim-net-gate-${secret}`, { detail: on ? "on" : "off" }));
    });
  }
  chrome.storage.onChanged?.addListener((changes, area) => {
    if (area === "local" && changes[ENABLED_KEY] && provider) checkEnabled();
  });

  function send(message) {
    try {
      return chrome.runtime.sendMessage(message);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  function warn(url, warning) {
    send({ kind: "health", payload: { provider, url: String(url).slice(0, 2000), ok: true, warning } }).catch(() => {});
  }

  function receive(detail) {
    if (!enabled || !provider || typeof detail !== "string") return;
    const cut = detail.indexOf("\n");
    if (cut < 0 || cut > MAX_META) return;
    let meta;
    try { meta = JSON.parse(detail.slice(0, cut)); } catch { return; }
    if (!meta || typeof meta !== "object" || meta.provider !== provider || typeof meta.url !== "string"
        || typeof meta.conversationId !== "string" || !ID.test(meta.conversationId)) return;
    const id = meta.conversationId;
    if (meta.type === "failed") {
      const why = typeof meta.why === "string" ? meta.why.slice(0, 200) : "unknown";
      if (!seen.get(id)?.ok) seen.set(id, { ok: false, at: Date.now(), why });
      warn(meta.url, `network capture: the page's conversation request failed (${why}); completeness unknown`);
      return;
    }
    if (meta.type !== "payload") return;
    const body = detail.slice(cut + 1);
    if (!body || body.length > MAX_CHARS || !/^\s*[{[]/.test(body.slice(0, 64))) {
      warn(meta.url, "network capture: the page's conversation response was empty, too large or not JSON; ignored");
      return;
    }
    seen.set(id, { ok: true, at: Date.now() });
    // Out of the page's dispatch (its fetch callback is waiting): compress in a stream, then send a
    // string a fraction of the size, so no single task on the page's thread copies the whole body.
    setTimeout(() => forward(id, meta.url.slice(0, 2000), body), 0);
  }

  async function forward(id, url, body) {
    let payload;
    try {
      payload = { provider, external_id: id, url, body: await gzipBase64(body), encoding: "gzip-base64" };
    } catch {
      payload = { provider, external_id: id, url, body, encoding: "json" }; // no CompressionStream here
    }
    const start = performance.now();
    const sent = send({ kind: "network", payload });
    performance.measure("vivim:net:send", { start, end: performance.now() });
    sent.then((reply) => {
      if (reply && reply.ok === false) seen.set(id, { ok: false, at: Date.now(), why: reply.error?.message });
    }, () => {});
  }

  /** gzip in a stream (chunked, asynchronous), then base64 in slices: each slice a short task. */
  async function gzipBase64(text) {
    const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
    const bytes = new Uint8Array(await new Response(stream).arrayBuffer());
    const parts = [];
    const SLICE = 3 * 8192; // a multiple of 3: the slices' base64 joins without padding in between
    for (let i = 0; i < bytes.length; i += SLICE) {
      const start = performance.now();
      parts.push(btoa(String.fromCharCode.apply(null, bytes.subarray(i, i + SLICE))));
      performance.measure("vivim:net:base64", { start, end: performance.now() });
      if (i && i % (SLICE * 16) === 0) await new Promise((resolve) => setTimeout(resolve, 0));
    }
    return parts.join("");
  }

  globalThis.VIVIM_NET = {
    get provider() { return provider; },
    /** {ok, at, why} for a conversation whose payload this page observed, else undefined. */
    seen: (id) => seen.get(id),
  };
})();
