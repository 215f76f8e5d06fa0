/* VIVIM network bridge: the isolated-world end of content/net/hook.js, at document_start.
 *
 * Sends the MAIN-world observer a fresh random secret (the handshake works whichever of the two
 * scripts runs first, and ends before any page script runs), receives the response texts it
 * observed under that secret, checks them (types, sizes, ids: the page is untrusted), and forwards
 * each to the service worker as a `network` message; the host parses, stores and states completeness.
 * Failures (the conversation request failed, a body too large) become adapter.health warnings.
 * `VIVIM_NET.seen(id)` tells the capture core whether this page delivered a conversation's payload. */
(() => {
  "use strict";
  if (globalThis.VIVIM_NET) return;
  const PROVIDERS = {
    "chatgpt.com": "chatgpt",
    "claude.ai": "claude",
    "chat.deepseek.com": "deepseek",
    "chat.mistral.ai": "mistral",
  };
  const provider = PROVIDERS[location.hostname];
  if (!provider) return;
  const MAX_CHARS = 32 * 1024 * 1024;
  const MAX_META = 4096;
  const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
  const seen = new Map(); // conversation id -> {ok, at, why}

  const bytes = crypto.getRandomValues(new Uint8Array(16));
  const secret = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  let acked = false;
  const hello = () => window.dispatchEvent(new CustomEvent("vivim-net-hello", { detail: secret }));
  const onReady = () => { if (!acked) hello(); };
  window.addEventListener("vivim-net-ready", onReady);
  window.addEventListener(`vivim-net-ack-${secret}`, () => {
    acked = true;
    window.removeEventListener("vivim-net-ready", onReady);
  }, { once: true });
  window.addEventListener(`vivim-net-${secret}`, (event) => receive(event.detail));
  hello();

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
    if (typeof detail !== "string") return;
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
    if (meta.probe === true && !body.includes('"mapping"')) return; // not the conversation's messages
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
    provider,
    /** {ok, at, why} for a conversation whose payload this page observed, else undefined. */
    seen: (id) => seen.get(id),
  };
})();
