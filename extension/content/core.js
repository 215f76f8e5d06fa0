/* VIVIM capture core: knows no site. It picks the adapter whose matches(url) is true, watches the
 * conversation with one debounced MutationObserver, snapshots the turns the adapter lists, and sends
 * only new or changed turns to the service worker as capture.upsert payloads.
 *
 * Adapter interface (content/sites/*.js), one object per site:
 *   provider, matches(url), conversationId(url) -> id|null, title(doc), container(doc),
 *   isStreaming(doc), turns(doc) -> [{el, role, messageId|null, index|null, streaming, model|null,
 *   branch?}], content(turn) -> {html, text}, findEditor(doc), insertText(editor, text), sendButton(doc)
 *
 * Nothing is lost: what was sent is remembered per conversation and a turn missing from the DOM
 * (virtualised or unloaded) is never treated as deleted; a streaming answer is sent when it settles
 * and again when it grows; a regenerated answer or an edited prompt gets a new key (the provider's
 * id, or a derived one), so the host keeps both branches. */
(() => {
  "use strict";
  if (globalThis.VIVIM) return;
  const D = globalThis.VIVIM_DOM;
  const adapter = Object.values(globalThis.VIVIM_ADAPTERS || {}).find((a) => a.matches(location.href));
  if (!adapter) return;

  const CFG = {
    DEBOUNCE_MS: 400,        // quiet time after the last mutation before a snapshot
    MAX_WAIT_MS: 2000,       // ...but never wait longer than this under a steady stream of mutations
    SETTLE_MS: 1500,         // a streaming turn whose text has not changed this long is sent as "streaming"
    STREAM_RECHECK_MS: 500,  // while an answer streams, look again this often (the stop button may sit
                             // outside the observed thread, so its going away is not a mutation we see)
    HEALTH_GRACE_MS: 8000,   // a conversation page with no turns after this long is reported broken
    NETWORK_GRACE_MS: 10000, // ...and one whose own conversation payload was never observed is flagged
    CAPTURE_ALL_WAIT_MS: 900,   // "Capture all": time for the site to load older turns after a scroll up
    CAPTURE_ALL_ROUNDS: 400,    // ...at most this many scrolls
    CAPTURE_ALL_STABLE: 3,      // ...stopping when this many in a row brought nothing new
    URL_POLL_MS: 1000,       // SPA navigation fallback where the Navigation API is missing
    MAX_TURNS_PER_MESSAGE: 40,
    MAX_REMOVED: 500,        // detached elements kept between two snapshots
    MAX_DIRTY: 2000,         // mutation targets tracked between two snapshots (beyond: re-read all)
    SEED_TIMEOUT_MS: 3000,   // how long the first capture waits to learn what the host already has
    MEASURE: "vivim:snapshot",
  };

  const elState = new WeakMap(); // turn element -> {tc, content, hash, changedAt}
  let conv = null;               // state of the conversation on screen (reset on SPA navigation)
  let observer = null, observed = null;
  let timer = null, firstPending = 0, recheckTimer = null;
  let lastUrl = location.href;
  let removed = [];              // elements the page detached since the last snapshot
  let urlPoll = null;
  let dirty = new Set();         // mutation targets since the last snapshot
  let allDirty = true;           // ...or "assume everything changed"

  function newConversation(id) {
    if (conv?.healthTimer) clearTimeout(conv.healthTimer);
    if (conv?.netTimer) clearTimeout(conv.netTimer);
    conv = {
      id,
      sent: new Map(),       // key -> {hash, status}: what the service worker has accepted
      storedKey: new Map(),  // key -> key the host stored it under (a branch key, `key~hash`)
      idPos: new Map(),      // provider message id -> position, for pages without absolute indexes
      maxPos: null,
      health: null, healthTimer: null,
      seeded: false, seeding: null,
      netTimer: null,
    };
    watchNetwork(conv);
  }

  /** Where the site has a network path (content/net/bridge.js), a conversation page whose own
   * conversation payload never arrived gets an adapter.health warning: its completeness is unknown
   * (the network was blocked, or the site changed how it loads conversations). */
  function watchNetwork(state) {
    const net = globalThis.VIVIM_NET;
    if (!net || !state.id) return;
    state.netTimer = setTimeout(() => {
      if (conv !== state || net.seen(state.id)) return;
      send({ kind: "health", payload: { provider: adapter.provider, url: location.href, ok: true,
        warning: "network capture: the page's conversation payload was not observed; completeness unknown" } })
        .catch(() => {});
    }, CFG.NETWORK_GRACE_MS);
  }

  function send(message) {
    if (!chrome.runtime?.id) { shutdown(); return Promise.reject(new Error("VIVIM was updated or removed")); }
    try {
      return chrome.runtime.sendMessage(message);
    } catch (err) { // the extension was reloaded under this page: nothing to talk to any more
      shutdown();
      return Promise.reject(err);
    }
  }

  /** An orphaned content script (the extension was reloaded or removed) stops watching the page. */
  function shutdown() {
    observer?.disconnect();
    clearTimeout(timer);
    clearTimeout(recheckTimer);
    clearInterval(urlPoll);
    if (conv?.healthTimer) clearTimeout(conv.healthTimer);
    removed = [];
    dirty = new Set();
  }

  function reportHealth(ok, problem) {
    if (!conv || conv.health === ok) return;
    conv.health = ok;
    send({ kind: "health", payload: { provider: adapter.provider, url: location.href, ok, problem: problem || null } })
      .catch(() => {});
  }

  /** Positions: the site's absolute index where it has one (ChatGPT), else aligned on provider ids
   * already seen (so older turns loaded above get smaller, even negative, positions), else DOM order. */
  function positions(turns) {
    if (turns.every((t) => Number.isInteger(t.index))) return turns.map((t) => t.index);
    let base = 0;
    const anchor = turns.findIndex((t) => t.messageId && conv.idPos.has(t.messageId));
    if (anchor >= 0) base = conv.idPos.get(turns[anchor].messageId) - anchor;
    else if (conv.maxPos !== null && turns.some((t) => t.messageId)) base = conv.maxPos + 1;
    const out = turns.map((_, i) => base + i);
    turns.forEach((t, i) => {
      if (t.messageId) conv.idPos.set(t.messageId, out[i]);
      conv.maxPos = conv.maxPos === null ? out[i] : Math.max(conv.maxPos, out[i]);
    });
    return out;
  }

  /** Before the first capture of a conversation, learn what the host already has: turns stored
   * unchanged are not sent again after a reload, and pages that show only their newest turns
   * (Gemini) place them at their stored positions, so new turns land after them, not among them. */
  function seed(state) {
    if (state.seeding) return;
    const ask = send({ kind: "request", type: "conversation.get",
      payload: { provider: adapter.provider, external_id: state.id } });
    const timeout = new Promise((resolve) => setTimeout(() => resolve(null), CFG.SEED_TIMEOUT_MS));
    state.seeding = Promise.race([ask, timeout]).then((reply) => {
      for (const m of (reply?.ok && reply.result.messages) || []) {
        state.sent.set(m.key, { hash: D.hash(m.text || ""), status: m.status, parent: m.parent_key });
        state.idPos.set(m.key, m.position);
        state.maxPos = state.maxPos === null ? m.position : Math.max(state.maxPos, m.position);
      }
    }, () => {}).finally(() => {
      state.seeded = true;
      if (conv === state) schedule(0);
    });
  }

  /** Turns the page added and then dropped (virtualisation) between two snapshots are read from
   * their detached elements, where the site numbers its turns so their place is known. */
  function withRemoved(turns) {
    if (!removed.length) return turns;
    const nodes = removed;
    removed = [];
    if (!turns.every((t) => Number.isInteger(t.index))) return turns;
    const slot = (t) => `${t.index}\u0000${t.messageId || t.role}`;
    const gone = new Map();
    for (const node of nodes) {
      if (node.isConnected) continue;
      for (const t of adapter.turns(node)) if (Number.isInteger(t.index)) gone.set(slot(t), t);
    }
    for (const t of turns) gone.delete(slot(t));
    if (!gone.size) return turns;
    // Stable sort: messages sharing a turn index keep their page order.
    return [...gone.values(), ...turns].sort((a, b) => a.index - b.index);
  }

  /** The turn elements that contain a node mutated since the last snapshot, or null for "all of
   * them" (the observer was (re)attached, or too much changed to track). */
  function touchedTurns(turns) {
    const nodes = dirty, all = allDirty;
    dirty = new Set();
    allDirty = false;
    if (all) return null;
    const els = new Set(turns.map((t) => t.el));
    const out = new Set();
    for (const node of nodes) {
      for (let n = node; n && n !== observed; n = n.parentNode) {
        if (els.has(n)) { out.add(n); break; }
      }
    }
    return out;
  }

  function deriveKey(turn, position, parentKey, hash) {
    if (turn.messageId) return turn.messageId;
    // A prompt never streams: its text names it, so an edited prompt is a new key.
    if (turn.role === "user") return `u${position}-${hash}`;
    // An answer is named by its place and its prompt; a retry shown as "2 / 2" is another version.
    const version = turn.branch > 1 ? `-v${turn.branch}` : "";
    return `${turn.role[0]}${position}-${D.hash(parentKey || "")}${version}`;
  }

  function snapshot() {
    const started = performance.now();
    try {
      capture();
    } finally {
      performance.measure(CFG.MEASURE, { start: started, end: performance.now() });
      if (performance.getEntriesByName(CFG.MEASURE).length > 1000) performance.clearMeasures(CFG.MEASURE);
    }
  }

  function capture() {
    const id = adapter.conversationId(location.href);
    if (!conv || conv.id !== id) newConversation(id);
    ensureObserved();
    if (!id) return; // a new or temporary chat: nothing is stored until the site gives it an id
    if (!conv.seeded) { seed(conv); return; }
    const turns = withRemoved(adapter.turns(document));
    const now = Date.now();
    const pos = positions(turns);
    const out = [];
    let prevKey = null, waiting = false, usable = 0;
    const touched = touchedTurns(turns);
    turns.forEach((turn, i) => {
      let st = elState.get(turn.el);
      // Only turns that are new or had a mutation inside are read again (cheap on long pages).
      const tc = !st || !touched || touched.has(turn.el) ? turn.el.textContent || "" : st.tc;
      if (!st || st.tc !== tc) {
        const content = adapter.content(turn);
        const hash = D.hash(content.text);
        st = { tc, content, hash, changedAt: st && st.hash === hash ? st.changedAt : now };
        elState.set(turn.el, st);
      }
      if (!st.content.text) { if (turn.streaming) waiting = true; return; }
      usable++;
      const key = deriveKey(turn, pos[i], prevKey, st.hash);
      const storedKey = conv.storedKey.get(key) || key;
      const parentKey = prevKey;
      prevKey = storedKey;
      const sent = conv.sent.get(key);
      let status = "complete";
      if (turn.streaming) {
        if (sent && sent.hash === st.hash) return;
        if (now - st.changedAt < CFG.SETTLE_MS) { waiting = true; return; }
        status = "streaming";
        waiting = true; // look again: it may grow, or finish
      } else if (sent && sent.hash === st.hash && sent.status === "complete" && (sent.parent || !parentKey)) {
        return; // unchanged (a turn first sent with nothing above it is sent again once its parent loads)
      }
      out.push({
        key: storedKey, role: turn.role, position: pos[i], parent_key: parentKey,
        message_id: turn.messageId && !turn.messageId.includes(":") ? turn.messageId : null,
        model: turn.model || null, html: st.content.html, text: st.content.text, status,
        _key: key, _hash: st.hash,
      });
    });

    if (usable) {
      reportHealth(true);
    } else if (conv.health === null && !conv.healthTimer) {
      conv.healthTimer = setTimeout(() => {
        conv.healthTimer = null;
        const found = adapter.turns(document).some((t) => adapter.content(t).text);
        if (!found && adapter.conversationId(location.href) === conv.id) {
          reportHealth(false, "conversation page but no turns found; the site may have changed its layout");
        }
      }, CFG.HEALTH_GRACE_MS);
    }
    if (out.length) deliver(out);
    if (waiting) {
      clearTimeout(recheckTimer);
      recheckTimer = setTimeout(() => schedule(0), CFG.STREAM_RECHECK_MS);
    }
  }

  function deliver(turns) {
    const state = conv;
    const conversation = {
      provider: adapter.provider, external_id: state.id, title: adapter.title(document),
      url: location.origin + location.pathname,
      model: turns.map((t) => t.model).filter(Boolean).pop() || null,
    };
    for (const t of turns) state.sent.set(t._key, { hash: t._hash, status: t.status, parent: t.parent_key });
    for (let i = 0; i < turns.length; i += CFG.MAX_TURNS_PER_MESSAGE) {
      const batch = turns.slice(i, i + CFG.MAX_TURNS_PER_MESSAGE);
      const capture = {
        conversation, source: "capture",
        turns: batch.map(({ _key, _hash, ...wire }) => wire),
      };
      send({ kind: "capture", capture }).then((reply) => {
        const keys = reply?.result?.keys;
        if (Array.isArray(keys) && keys.length === batch.length) { // (a capture split to fit a frame: skip)
          batch.forEach((t, j) => { if (keys[j] && keys[j] !== t._key) state.storedKey.set(t._key, keys[j]); });
        }
      }, () => {
        for (const t of batch) state.sent.delete(t._key); // not even queued: try again next snapshot
      });
    }
  }

  function schedule(delay = CFG.DEBOUNCE_MS) {
    const now = performance.now();
    if (!firstPending) firstPending = now;
    clearTimeout(timer);
    timer = setTimeout(run, Math.min(delay, Math.max(0, firstPending + CFG.MAX_WAIT_MS - now)));
  }

  function run() {
    firstPending = 0;
    timer = null;
    if (!on) return;
    try {
      snapshot();
    } catch (err) {
      console.warn("[vivim] capture snapshot failed", err);
    }
  }

  function ensureObserved() {
    const target = adapter.container(document) || document.body;
    if (!target || (target === observed && observed.isConnected)) return;
    // The hot path: no DOM reads; remember where the page changed and what it detached, for later.
    observer ||= new MutationObserver((records) => {
      for (const record of records) {
        if (dirty.size < CFG.MAX_DIRTY) dirty.add(record.target);
        else allDirty = true;
        for (const node of record.removedNodes) {
          if (node.nodeType === 1 && removed.length < CFG.MAX_REMOVED) removed.push(node);
        }
      }
      schedule();
    });
    allDirty = true; // a new observation target: nothing is known about what changed before it
    observer.disconnect();
    observer.observe(target, {
      childList: true, subtree: true, characterData: true,
      attributes: true, attributeFilter: ["data-is-streaming", "aria-busy", "data-message-id"],
    });
    observed = target;
  }

  function checkUrl() {
    if (location.href === lastUrl) return;
    lastUrl = location.href;
    schedule(0);
  }

  // The user's per-site switch (storage.local "siteEnabled", sites.js): a site turned off is never read.
  // Checked before the first look at the page; turning it off later stops everything at once.
  const ENABLED_KEY = "siteEnabled";
  let on = false;
  let changed = false;  // a switch change arrived: it is newer than the first read, which then does not count
  const isOn = (stored) => ((stored && stored[ENABLED_KEY]) || {})[adapter.provider] !== false;
  const checkStart = performance.now();
  const enabled = Promise.resolve().then(() => chrome.storage.local.get(ENABLED_KEY))
    .then(isOn, () => false) // unreadable settings (the extension was reloaded under the page): nothing is read
    .then((value) => {
      // bench/sites_bench.py reads this: what the switch costs before the first look at the page.
      try { performance.measure("vivim:enabled", { start: checkStart, end: performance.now() }); } catch { /* old engines */ }
      if (!changed) on = value;
      return on;
    });
  chrome.storage.onChanged?.addListener((changes, area) => {
    if (area !== "local" || !changes[ENABLED_KEY]) return;
    changed = true;
    const now = ((changes[ENABLED_KEY].newValue || {})[adapter.provider]) !== false;
    if (on && !now) { on = false; stop(); }
    else if (!on && now) { on = true; start(); }
  });

  globalThis.VIVIM = {
    adapter,
    /** Resolves to whether this site is on (the other content scripts wait for it). */
    enabled,
    on: () => on,
    /** Ask the host something through the service worker: resolves to the host's reply. */
    request: (type, payload = {}) => send({ kind: "request", type, payload }),
    conversationId: () => adapter.conversationId(location.href),
    snapshotNow: run,
  };

  function scrollParent(el) {
    for (let n = el?.parentElement; n; n = n.parentElement) {
      const style = getComputedStyle(n);
      if (/(auto|scroll)/.test(style.overflowY) && n.scrollHeight > n.clientHeight) return n;
    }
    return document.scrollingElement || document.documentElement;
  }

  let capturingAll = null;
  /** "Capture all" (popup, only when the user asks): scroll the thread up, visibly, until the site
   * loads no older turns, snapshotting as it goes, then back down. For pages with no network path
   * (Gemini) or where it failed. Only on sites whose turns carry ids or indexes, so turns loaded above
   * keep their place (Claude's DOM has neither: its network payload is the complete path). */
  function captureAll() {
    if (capturingAll) return capturingAll;
    capturingAll = (async () => {
      if (!adapter.captureAll) return { ok: false, error: "this site is captured completely from its own data" };
      const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
      let stable = 0, rounds = 0;
      const scroller = scrollParent(adapter.turns(document)[0]?.el);
      while (stable < CFG.CAPTURE_ALL_STABLE && rounds < CFG.CAPTURE_ALL_ROUNDS) {
        const turns = adapter.turns(document);
        const first = turns[0]?.el, count = turns.length;
        first?.scrollIntoView({ block: "start" });
        scroller.scrollTop = 0;
        await wait(CFG.CAPTURE_ALL_WAIT_MS);
        run();
        const now = adapter.turns(document);
        stable = now[0]?.el === first && now.length === count ? stable + 1 : 0;
        rounds++;
      }
      scroller.scrollTop = scroller.scrollHeight;
      run();
      return { ok: true, rounds };
    })().finally(() => { capturingAll = null; });
    return capturingAll;
  }

  // The popup asks which conversation this tab shows (to state its completeness), or to capture all.
  chrome.runtime.onMessage?.addListener((message, sender, reply) => {
    if (!on && (message?.kind === "vivim.captureAll" || message?.kind === "vivim.page")) {
      reply({ provider: adapter.provider, enabled: false, ok: false, error: "VIVIM is turned off on this site" });
      return false;
    }
    if (message?.kind === "vivim.captureAll") {
      captureAll().then(reply, (err) => reply({ ok: false, error: String(err) }));
      return true;
    }
    if (message?.kind !== "vivim.page") return false;
    reply({ provider: adapter.provider, external_id: adapter.conversationId(location.href),
      network: globalThis.VIVIM_NET?.seen(adapter.conversationId(location.href) || "") || null,
      capture_all: !!adapter.captureAll });
    return false;
  });

  if (globalThis.navigation?.addEventListener) navigation.addEventListener("navigatesuccess", () => on && checkUrl());
  addEventListener("popstate", () => on && checkUrl());

  function start() {
    clearInterval(urlPoll);
    urlPoll = setInterval(checkUrl, CFG.URL_POLL_MS);
    lastUrl = location.href;
    ensureObserved();
    schedule(0);
  }

  /** Turned off: stop watching and forget the page (turning it on again starts afresh). */
  function stop() {
    shutdown();
    observer = null;
    observed = null;
    conv = null;
  }

  enabled.then((value) => { if (value) start(); });
})();
