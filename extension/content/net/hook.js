/* VIVIM network observer: runs in the page's MAIN world at document_start, before any page script.
 *
 * It wraps fetch and XMLHttpRequest to read a clone of the responses the page itself requests for a
 * conversation (the site's rules, content/sites/<site>.net.js, say which), and hands their text to
 * VIVIM's isolated content script (content/net/bridge.js). It never changes, delays or issues a
 * request: the page gets the very promise/response it would have got, and our reading starts only
 * after it resolves, from a clone. No parsing here: the body travels as text, and the host parses it
 * (the page's thread pays for a clone and a string hand-over, nothing proportional to JSON depth).
 *
 * The channel: the bridge sends a random secret once ("vivim-net-hello"); payloads go out as events
 * named after it, on dispatch functions captured before any page script ran. Page scripts cannot
 * learn the name; and everything that arrives is untrusted anyway (the bridge and the host check it).
 * The acknowledgement names the rules' providers (the bridge knows no site); the bridge answers on the
 * gate ("on"/"off", the user's per-site switch): no response is read before "on", none after "off".
 * A rule's hit may say `probe: "<marker>"`: such a body is kept only if it contains the marker. */
(() => {
  "use strict";
  const rules = globalThis.__vivimNetRules || [];
  try { delete globalThis.__vivimNetRules; } catch { /* non-configurable: leave it */ }
  if (!rules.length || globalThis.__vivimNetHooked) return;
  Object.defineProperty(globalThis, "__vivimNetHooked", { value: true });

  const MAX_CHARS = 32 * 1024 * 1024; // the bridge and the host cap again; beyond this: a warning
  const MAX_BACKLOG = 8;
  const MEASURE = "vivim:net";  // bench/capture_network.py reads these: the page's cost, per response
  const win = window;
  const dispatch = EventTarget.prototype.dispatchEvent;
  const addListener = EventTarget.prototype.addEventListener;
  const removeListener = EventTarget.prototype.removeEventListener;
  const Custom = CustomEvent;
  const stringify = JSON.stringify;
  const URLCtor = URL;
  const now = () => performance.now();
  const measure = (start, what) => {
    try { performance.measure(`${MEASURE}:${what}`, { start, end: now() }); } catch { /* old engines */ }
  };

  let secret = null;
  const backlog = [];
  let gate = null;           // null until the bridge says whether this site is on; then true / false
  const waiting = [];        // reads held until the gate opens (at most MAX_BACKLOG)

  /** Run read() once the user's switch is known to be on; drop() if it is off (or too much waits). */
  function whenAllowed(read, drop) {
    if (gate === true) read();
    else if (gate === null && waiting.length < MAX_BACKLOG) waiting.push({ read, drop });
    else drop();
  }

  function onGate(event) {
    gate = event.detail === "on";
    for (const item of waiting.splice(0)) (gate ? item.read : item.drop)();
  }

  function emit(meta, body) {
    const detail = `${stringify(meta)}\n${body || ""}`;
    if (!secret) {
      if (backlog.length < MAX_BACKLOG) backlog.push(detail);
      return;
    }
    dispatch.call(win, new Custom(`vivim-net-${secret}`, { detail }));
  }

  function onHello(event) {
    const value = event.detail;
    if (secret || typeof value !== "string" || !/^[0-9a-f]{32}$/.test(value)) return;
    secret = value;
    removeListener.call(win, "vivim-net-hello", onHello);
    addListener.call(win, `vivim-net-gate-${secret}`, onGate);
    const providers = [];
    for (const rule of rules) if (!providers.includes(rule.provider)) providers.push(rule.provider);
    dispatch.call(win, new Custom(`vivim-net-ack-${secret}`, { detail: stringify(providers) }));
    for (const detail of backlog.splice(0)) dispatch.call(win, new Custom(`vivim-net-${secret}`, { detail }));
  }
  addListener.call(win, "vivim-net-hello", onHello);
  dispatch.call(win, new Custom("vivim-net-ready"));

  function match(rawUrl, method) {
    if (gate === false) return null; // the site is turned off: not even its requests' addresses are looked at
    let url;
    try { url = new URLCtor(rawUrl, location.href); } catch { return null; }
    for (const rule of rules) {
      const hit = rule.match(url, method);
      if (hit) {
        return { provider: rule.provider, conversationId: hit.conversationId, url: url.href,
          probe: typeof hit.probe === "string" ? hit.probe : null };
      }
    }
    return null;
  }

  function failed(hit, why) {
    if (hit.probe || gate === false) return; // a probed sub-resource failing says nothing about the conversation
    whenAllowed(() => emit({ type: "failed", provider: hit.provider, conversationId: hit.conversationId,
      url: hit.url, why }), () => {});
  }

  function deliver(hit, text) {
    if (typeof text !== "string" || gate !== true) return;
    if (hit.probe && !text.includes(hit.probe)) return; // not the conversation's messages
    if (text.length > MAX_CHARS) {
      failed(hit, `response too large to read (${text.length} characters)`);
      return;
    }
    const start = now();
    emit({ type: "payload", provider: hit.provider, conversationId: hit.conversationId, url: hit.url,
      probe: hit.probe }, text);
    measure(start, "handover");
  }

  // ---- fetch --------------------------------------------------------------------------------
  const originalFetch = win.fetch;
  if (typeof originalFetch === "function") {
    const wrapped = function fetch(input, init) {
      const result = originalFetch.apply(this, arguments);
      const start = now();
      try {
        const rawUrl = typeof input === "string" ? input : (input && (input.url || input.href)) || String(input);
        const method = String((init && init.method) || (input && input.method) || "GET").toUpperCase();
        const hit = match(rawUrl, method);
        if (hit) {
          // Our callback is registered before the page gets the promise, so it runs before the page
          // can read the body: the clone is taken while the body is still unread.
          result.then((response) => {
            if (!response.ok) { failed(hit, `HTTP ${response.status}`); return; }
            const length = Number(response.headers.get("content-length") || 0);
            if (length > MAX_CHARS) { failed(hit, `response too large to read (${length} bytes)`); return; }
            let copy;
            try { copy = response.clone(); } catch { return; }
            whenAllowed(() => { copy.text().then((text) => deliver(hit, text), () => {}); },
              () => { copy.body?.cancel().catch(() => {}); });
          }, (err) => {
            // The page cancelled it itself (navigating away, a newer request): not a failure to report.
            if (err && err.name === "AbortError") return;
            failed(hit, String((err && err.message) || err || "request failed").slice(0, 200));
          });
        }
      } catch { /* never let observing break the page's request */ }
      measure(start, "observe");
      return result;
    };
    try {
      Object.defineProperty(wrapped, "name", { value: "fetch" });
      win.fetch = wrapped;
    } catch { /* a frozen fetch: capture falls back to the DOM */ }
  }

  // ---- XMLHttpRequest -----------------------------------------------------------------------
  const XHR = win.XMLHttpRequest && win.XMLHttpRequest.prototype;
  if (XHR) {
    const open = XHR.open, send = XHR.send;
    const pending = new WeakMap();
    XHR.open = function (method, url) {
      try { pending.set(this, match(String(url), String(method || "GET").toUpperCase())); } catch { /* ignore */ }
      return open.apply(this, arguments);
    };
    XHR.send = function () {
      const hit = pending.get(this);
      if (hit) {
        const xhr = this;
        let aborted = false;
        addListener.call(xhr, "abort", () => { aborted = true; });
        addListener.call(xhr, "loadend", () => {
          try {
            if (aborted) return; // cancelled by the page itself
            if (xhr.status < 200 || xhr.status >= 300) { failed(hit, `HTTP ${xhr.status}`); return; }
            whenAllowed(() => {
              const type = xhr.responseType;
              if (type === "" || type === "text") deliver(hit, xhr.responseText);
              else if (type === "json" && xhr.response != null) deliver(hit, stringify(xhr.response));
            }, () => {});
          } catch { /* ignore */ }
        });
      }
      return send.apply(this, arguments);
    };
  }
})();
