// @ts-check
/* VIVIM service worker (Chromium) / background script (Firefox).
 *
 * Owns the one Native Messaging port to the host (com.vivim.host): request ids, replies matched by id,
 * chunked replies (over 1 MB) reassembled, reconnect with backoff. Captures from content scripts go
 * into a queue persisted in storage.local first and leave it only when the host's ok reply (sent after
 * its commit) arrives, so a killed worker, a closed browser or a missing host loses nothing; the queue
 * is resent in order when the host is back (the host is idempotent). The badge shows the queued count,
 * or "!" when the host is missing. MV3 may stop this worker at any time: everything that matters is
 * in storage, and every event that wakes the worker also retries the queue. */
"use strict";

import { ENABLED_KEY, SITES, scriptsOf } from "../sites.js";

const api = globalThis.browser?.runtime?.connectNative ? globalThis.browser : globalThis.chrome;

const HOST_NAME = "com.vivim.host";
const PROTOCOL_VERSION = 1;
const CLIENT_VERSION = api.runtime.getManifest().version;
const REQUEST_TIMEOUT_MS = 30_000;
const MAX_CAPTURE_BYTES = 6 * 1024 * 1024; // the host refuses frames over 8 MB
// Capped under MV3's 30 s idle limit: while captures wait, each retry (an extension API call) keeps
// the worker alive, so a host that comes back is found without waiting for another page event.
// With an empty queue a retry finds nothing to send and the chain ends.
const BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 15000, 20000];
const QUEUE_KEY = "captureQueue";
const HEALTH_KEY = "adapterHealth";
const STATUS_KEY = "hostStatus";
const ACTIVITY_KEY = "siteActivity"; // {provider: {last_capture_at}}: the popup's "last saved" per site
const RETRYABLE = new Set(["store_busy", "unavailable", "internal", "store_error", "timeout", "disconnected"]);
const BADGE = { queued: "#b26a00", missing: "#c62828" };

let port = null;
let connecting = null;       // Promise of the hello reply while a connection is being made
let helloResult = null;
let lastError = null;
let nextId = 1;
const pending = new Map();   // request id -> {resolve, reject, timer}
const chunks = new Map();    // request id -> {total, parts[]}
let backoffIndex = 0;
let retryTimer = null;
let flushing = null;

// ---- the port --------------------------------------------------------------------------------

function connect() {
  if (port && helloResult) return Promise.resolve(helloResult);
  if (connecting) return connecting;
  connecting = new Promise((resolve, reject) => {
    let p;
    try {
      p = api.runtime.connectNative(HOST_NAME);
    } catch (err) {
      connecting = null;
      hostDown(String(err?.message || err));
      reject(err);
      return;
    }
    port = p;
    p.onMessage.addListener(onFrame);
    p.onDisconnect.addListener(() => {
      // Firefox reports the reason on the port itself (Port.error), Chromium in runtime.lastError.
      const why = api.runtime.lastError?.message || /** @type {any} */ (p).error?.message
        || "the host closed the connection";
      if (port === p) port = null;
      helloResult = null;
      for (const [id, req] of pending) {
        clearTimeout(req.timer);
        req.reject(Object.assign(new Error(why), { code: "disconnected" }));
        pending.delete(id);
      }
      chunks.clear();
      hostDown(why);
      if (connecting) { connecting = null; reject(new Error(why)); }
    });
    call("hello", { client: "vivim-extension", client_version: CLIENT_VERSION }).then((reply) => {
      if (!reply.ok) throw Object.assign(new Error(reply.error?.message || "hello refused"), { code: "disconnected" });
      const result = reply.result;
      helloResult = result;
      connecting = null;
      backoffIndex = 0;
      lastError = null;
      saveStatus({ connected: true, host_version: result.host_version, protocol: result.protocol, error: null });
      resolve(result);
      // Whatever brought the host back (a search, a health report), what waits goes first.
      loadQueue().then((q) => { if (q.length) flush(); }, () => {});
      flushNetwork().catch(() => {});
      reconcileSwitches();
    }).catch((err) => {
      if (connecting) { connecting = null; reject(err); }
    });
  });
  return connecting;
}

function onFrame(frame) {
  if (frame && frame.chunk && frame.id != null) { // a reply over 1 MB, in base64 pieces
    let entry = chunks.get(frame.id);
    if (!entry) chunks.set(frame.id, entry = { total: frame.chunk.total, parts: new Array(frame.chunk.total) });
    entry.parts[frame.chunk.seq] = frame.data;
    if (entry.parts.filter((x) => x !== undefined).length < entry.total) return;
    chunks.delete(frame.id);
    const bytes = entry.parts.map(b64ToBytes);
    const joined = new Uint8Array(bytes.reduce((n, b) => n + b.length, 0));
    let offset = 0;
    for (const b of bytes) { joined.set(b, offset); offset += b.length; }
    try {
      frame = JSON.parse(new TextDecoder().decode(joined));
    } catch (err) {
      frame = { id: frame.id, ok: false, error: { code: "invalid_json", message: "a chunked reply did not parse" } };
    }
  }
  if (!frame || frame.id == null) return; // a push: nothing listens for them yet
  const req = pending.get(String(frame.id));
  if (!req) return;
  pending.delete(String(frame.id));
  clearTimeout(req.timer);
  req.resolve(frame);
}

function b64ToBytes(data) {
  const bin = atob(data);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Send one request on the open port; resolves to the whole reply envelope (ok or not). */
function call(type, payload) {
  return new Promise((resolve, reject) => {
    if (!port) { reject(Object.assign(new Error("not connected"), { code: "disconnected" })); return; }
    const id = String(nextId++);
    const timer = setTimeout(() => {
      pending.delete(id);
      reject(Object.assign(new Error(`the host did not answer ${type} in time`), { code: "timeout" }));
    }, REQUEST_TIMEOUT_MS);
    pending.set(id, { resolve: (reply) => resolve(reply), reject, timer });
    try {
      port.postMessage({ v: PROTOCOL_VERSION, id, type, payload });
    } catch (err) {
      pending.delete(id);
      clearTimeout(timer);
      reject(Object.assign(err, { code: "disconnected" }));
    }
  });
}

/** Connect if needed, then ask. */
async function request(type, payload) {
  await connect();
  return call(type, payload);
}

function hostDown(why) {
  lastError = why;
  saveStatus({ connected: false, host_version: null, error: why });
  scheduleRetry();
}

function scheduleRetry() {
  if (retryTimer) return;
  const delay = BACKOFF_MS[Math.min(backoffIndex, BACKOFF_MS.length - 1)];
  backoffIndex++;
  retryTimer = setTimeout(() => { retryTimer = null; flush(); }, delay);
}

// ---- the queue -------------------------------------------------------------------------------

/** @returns {Promise<Array<{qid: string} & Record<string, any>>>} the captures waiting for the host, oldest first */
async function loadQueue() {
  return /** @type {any} */ ((await api.storage.local.get(QUEUE_KEY))[QUEUE_KEY]) || [];
}

async function saveQueue(queue) {
  try {
    await api.storage.local.set({ [QUEUE_KEY]: queue });
  } catch (err) {
    // Over the storage quota: keep every turn's text, drop the oldest HTML (the host can use text).
    for (const item of queue) for (const t of item.capture.turns) t.html = null;
    await api.storage.local.set({ [QUEUE_KEY]: queue });
  }
  updateBadge(queue.length);
}

// Storage writes are serialised so concurrent captures never overwrite each other's queue.
let storageChain = Promise.resolve();
function withQueue(fn) {
  const run = storageChain.then(async () => {
    const queue = await loadQueue();
    const out = await fn(queue);
    await saveQueue(queue);
    return out;
  });
  storageChain = run.catch(() => {});
  return run;
}

const utf8Size = (value) => new TextEncoder().encode(JSON.stringify(value)).length;

/** Captures cut to fit the host's frame limit: fewer turns per message, then a huge turn without its
 * HTML (the host falls back to the text), then its text cut (marked) as a last resort. */
function fitToFrame(capture) {
  if (utf8Size(capture) <= MAX_CAPTURE_BYTES) return [capture];
  if (capture.turns.length > 1) {
    const half = Math.ceil(capture.turns.length / 2);
    return [
      ...fitToFrame({ ...capture, turns: capture.turns.slice(0, half) }),
      ...fitToFrame({ ...capture, turns: capture.turns.slice(half) }),
    ];
  }
  const turn = { ...capture.turns[0], html: null };
  while (utf8Size({ ...capture, turns: [turn] }) > MAX_CAPTURE_BYTES) {
    turn.text = `${turn.text.slice(0, Math.floor(turn.text.length * 0.8))}\n[… cut by VIVIM: too large to send]`;
  }
  return [{ ...capture, turns: [turn] }];
}

async function enqueue(capture) {
  const stamp = Date.now().toString(36);
  const parts = fitToFrame(capture).map((part, i) => ({
    qid: `${stamp}-${Math.random().toString(36).slice(2, 8)}-${i}`, capture: part, queued_at: Date.now(),
  }));
  await withQueue((queue) => { queue.push(...parts); });
  return parts[parts.length - 1].qid;
}

/** Send queued captures in order until the queue is empty or the host fails. */
function flush() {
  if (flushing) return flushing;
  flushing = (async () => {
    const results = new Map();
    try {
      for (;;) {
        const queue = await loadQueue();
        updateBadge(queue.length);
        if (!queue.length) break;
        const item = queue[0];
        let reply;
        try {
          reply = await request("capture.upsert", item.capture);
        } catch (err) {
          lastError = err.message;
          scheduleRetry();
          break;
        }
        if (!reply.ok && RETRYABLE.has(reply.error?.code)) {
          lastError = reply.error.message;
          scheduleRetry();
          break;
        }
        if (!reply.ok) console.warn("[vivim] the host refused a capture; dropping it", reply.error);
        if (reply.error?.code === "capture_off") reconcileSwitches(); // turned off in the web app
        results.set(item.qid, reply);
        await withQueue((q) => {
          const i = q.findIndex((x) => x.qid === item.qid);
          if (i >= 0) q.splice(i, 1);
        });
        if (reply.ok) {
          saveStatus({ last_capture_at: Date.now() });
          await recordActivity(item.capture.conversation?.provider);
        }
      }
    } finally {
      flushing = null;
    }
    return results;
  })();
  return flushing;
}

// ---- status, badge, health -------------------------------------------------------------------

let statusCache = {};
function saveStatus(patch) {
  statusCache = { ...statusCache, ...patch, updated_at: Date.now() };
  api.storage.local.set({ [STATUS_KEY]: statusCache }).catch(() => {});
  loadQueue().then((q) => updateBadge(q.length), () => {});
}

function updateBadge(queued) {
  const missing = statusCache.connected === false;
  const text = queued > 0 ? String(queued > 999 ? "999+" : queued) : (missing ? "!" : "");
  const color = missing ? BADGE.missing : BADGE.queued;
  api.action.setBadgeText({ text }).catch?.(() => {});
  if (text) api.action.setBadgeBackgroundColor({ color }).catch?.(() => {});
  api.action.setTitle({
    title: missing ? `VIVIM: host not reachable (${statusCache.error || "unknown"}); ${queued} capture(s) waiting`
      : queued ? `VIVIM: ${queued} capture(s) waiting` : "VIVIM",
  }).catch?.(() => {});
}

/** When the host last stored something from a site (the popup says "last saved … ago" per site). */
async function recordActivity(provider) {
  if (typeof provider !== "string") return;
  const all = (await api.storage.local.get(ACTIVITY_KEY))[ACTIVITY_KEY] || {};
  all[provider] = { last_capture_at: Date.now() };
  await api.storage.local.set({ [ACTIVITY_KEY]: all });
}

async function recordHealth(payload) {
  const all = (await api.storage.local.get(HEALTH_KEY))[HEALTH_KEY] || {};
  const before = all[payload.provider] || {};
  // A network warning sits beside the DOM adapter's ok/problem; a DOM report keeps the last warning.
  all[payload.provider] = payload.warning
    ? { ok: true, problem: null, ...before, warning: payload.warning, warning_at: Date.now() }
    : { warning: before.warning || null, warning_at: before.warning_at || null, ...payload, checked_at: Date.now() };
  await api.storage.local.set({ [HEALTH_KEY]: all });
  try {
    await request("adapter.health", payload);
  } catch {
    // the local copy is enough for the popup; the host learns on the next report
  }
}

async function status() {
  const queue = await loadQueue();
  const health = (await api.storage.local.get(HEALTH_KEY))[HEALTH_KEY] || {};
  const activity = (await api.storage.local.get(ACTIVITY_KEY))[ACTIVITY_KEY] || {};
  let connected = false;
  try {
    await connect();
    connected = true;
  } catch (err) {
    lastError = err.message;
  }
  return {
    connected, host_version: helloResult?.host_version || null, protocol: helloResult?.protocol || null,
    error: connected ? null : lastError, queued: queue.length, health, activity,
  };
}

// ---- network payloads ------------------------------------------------------------------------
// The conversation JSON a page loaded (content/net/bridge.js). Sent gzip + base64, in parts when
// over a frame. Not kept in the persisted queue (it can be tens of MB; storage.local is small): if
// the host is down the newest few wait in memory, and re-opening the conversation brings it again.
// The DOM capture, which is queued, is what never loses a rendered turn.
const NETWORK_PART_CHARS = 4 * 1024 * 1024;
const NETWORK_BACKLOG = 4;
const networkBacklog = [];

async function gzipBase64(text) {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  const bytes = new Uint8Array(await new Response(stream).arrayBuffer());
  let bin = "";
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

async function sendNetwork(payload) {
  // The bridge compresses where it can (so the page never copies the whole body in one task).
  const body = payload.encoding === "gzip-base64" ? payload.body : await gzipBase64(payload.body);
  const parts = Math.max(1, Math.ceil(body.length / NETWORK_PART_CHARS));
  const payloadId = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
  let reply = null;
  try {
    for (let i = 0; i < parts; i++) {
      reply = await request("capture.network", {
        provider: payload.provider, external_id: payload.external_id, url: payload.url,
        body: body.slice(i * NETWORK_PART_CHARS, (i + 1) * NETWORK_PART_CHARS), encoding: "gzip-base64",
        payload_id: payloadId, part: i, parts,
      });
      if (!reply.ok) break;
    }
  } catch (err) {
    networkBacklog.push(payload);
    if (networkBacklog.length > NETWORK_BACKLOG) networkBacklog.shift();
    return { ok: false, queued: true, error: { code: err.code || "disconnected", message: err.message } };
  }
  if (!reply.ok && reply.error?.code === "capture_off") {
    reconcileSwitches();
  } else if (!reply.ok) {
    console.warn("[vivim] the host refused a network payload", reply.error);
    await recordLocalWarning(payload.provider, `network capture: ${reply.error?.message || "refused"}`);
  } else if (reply.result?.completeness) {
    saveStatus({ last_capture_at: Date.now() });
    await recordActivity(payload.provider);
    await clearLocalWarning(payload.provider);
  }
  return reply;
}

async function recordLocalWarning(provider, warning) {
  const all = (await api.storage.local.get(HEALTH_KEY))[HEALTH_KEY] || {};
  all[provider] = { ok: true, problem: null, ...(all[provider] || {}), warning, warning_at: Date.now() };
  await api.storage.local.set({ [HEALTH_KEY]: all });
}

async function clearLocalWarning(provider) {
  const all = (await api.storage.local.get(HEALTH_KEY))[HEALTH_KEY] || {};
  if (!all[provider]?.warning) return;
  all[provider] = { ...all[provider], warning: null, warning_at: null };
  await api.storage.local.set({ [HEALTH_KEY]: all });
}

async function flushNetwork() {
  while (networkBacklog.length && port && helloResult) {
    const reply = await sendNetwork(networkBacklog.shift());
    if (reply.queued) break;
  }
}

// ---- messages from content scripts and the popup ---------------------------------------------

/**
 * @param {WorkerMessage} message
 * @param {chrome.runtime.MessageSender} sender
 * @returns {Promise<CaptureReply | RequestReply | StatusReply | SitesReply | { ok: boolean } | { queued: number }>}
 */
async function handle(message, sender) {
  switch (message?.kind) {
    case "capture": {
      const qid = await enqueue(message.capture);
      let results = await flush();
      // Enqueued while a flush was finishing: that flush may have missed it; one more pass sends it.
      if (!results.has(qid) && port && (await loadQueue()).some((x) => x.qid === qid)) results = await flush();
      const reply = results.get(qid);
      return reply ? { queued: false, ok: reply.ok, result: reply.result, error: reply.error } : { queued: true };
    }
    case "health":
      await recordHealth(message.payload);
      return { ok: true };
    case "network":
      return sendNetwork(message.payload);
    case "request": {
      try {
        return await request(message.type, message.payload || {});
      } catch (err) {
        return { ok: false, error: { code: err.code || "disconnected", message: err.message } };
      }
    }
    case "status":
      flush();
      return status();
    case "flush":
      await flush();
      return { queued: (await loadQueue()).length };
    case "sites":
      // The popup's per-site rows, after taking the host's switches (a change made in the web app)
      // and making the registrations match grants and toggles.
      // Bounded: a slow host never holds the popup's rows back (the popup re-draws when they change).
      if (port && helloResult) await Promise.race([reconcileSwitches(), new Promise((r) => setTimeout(r, 1000))]);
      return { ok: true, sites: await syncSites() };
    default:
      return { ok: false, error: { code: "bad_request", message: `unknown message kind ${/** @type {any} */ (message)?.kind}` } };
  }
}

api.runtime.onMessage.addListener((message, sender, sendResponse) => {
  if (sender.id !== api.runtime.id) return false;
  handle(message, sender).then(sendResponse, (err) => sendResponse({ ok: false, error: { code: "internal", message: String(err) } }));
  return true; // the answer comes asynchronously
});

// ---- optional sites: content scripts registered while granted and on -------------------------
// The original three sites are static manifest entries; every optional site's scripts (the same lists,
// sites.js scriptsOf) are registered here once the user granted its origin and while it is on, and
// unregistered when either goes. Idempotent: what is registered is read first, so any number of wake-ups
// (install, start-up, a grant, a toggle) converge on the same set. Serialised: two events never interleave.

/** @type {Promise<unknown>} */
let sitesChain = Promise.resolve();
let netUnsupported = false; // registering a MAIN-world script failed here once: DOM-only registrations

/** @returns {Promise<Record<string, boolean>>} {key: false} for each site the user turned off */
async function loadEnabled() {
  return /** @type {any} */ ((await api.storage.local.get(ENABLED_KEY))[ENABLED_KEY]) || {};
}

/** Each site's state: granted (its origins are held), enabled (not turned off), registered (its scripts). */
async function siteStates() {
  const enabled = await loadEnabled();
  const registered = new Set((await api.scripting.getRegisteredContentScripts()).map((s) => s.id));
  /** @type {Record<string, SiteState>} */
  const out = {};
  for (const site of SITES) {
    const granted = !site.optional || await api.permissions.contains({ origins: site.matches });
    const ids = scriptsOf(site).map((s) => s.id);
    out[site.key] = {
      optional: site.optional, granted, enabled: enabled[site.key] !== false,
      registered: site.optional ? ids.some((id) => id.endsWith("-page") && registered.has(id)) : granted,
    };
  }
  return out;
}

/**
 * Registered scripts run in pages loaded from now on; a tab of the site that is already open (the
 * user granted the site from the popup while looking at a conversation, or the browser restored the
 * tab before this worker woke up and registered) would stay unread until reloaded. Run the same
 * scripts there now, in the same worlds and order. The scripts guard against running twice (a page
 * that loaded while registration finished gets both), and a page's responses fetched before the hook
 * arrived are not seen: its DOM turns are, and the completeness check says what the network missed.
 * @param {import("../sites.js").Site} site @param {ReturnType<typeof scriptsOf>} scripts
 */
async function injectIntoOpenTabs(site, scripts) {
  /** @type {chrome.tabs.Tab[]} */
  let tabs;
  try {
    tabs = await api.tabs.query({ url: site.matches });
  } catch (err) {
    console.warn("[vivim] could not list the open tabs of", site.key, err);
    return;
  }
  for (const tab of tabs) {
    if (tab.id === undefined || tab.discarded) continue;
    for (const script of scripts) {
      try {
        await api.scripting.executeScript({
          target: { tabId: tab.id }, files: script.js,
          ...("world" in script && script.world === "MAIN" ? { world: /** @type {any} */ ("MAIN") } : {}),
        });
      } catch (err) {
        // A tab mid-navigation or showing an error page: its next load runs the registered scripts.
        console.warn("[vivim] could not start capture in an open tab of", site.key, err);
        break;
      }
    }
  }
}

// ---- one switch per site, wherever the user flips it --------------------------------------------
// The popup's switch is storage.local "siteEnabled" (what the content scripts check before reading);
// the web app's Settings has the host's "capture.<key>" (the vault's, for every browser on it). They
// are one decision. "siteEnabledHost" keeps the host's values as last agreed: a siteEnabled that
// differs from them is a flip made here, given to the host (at once, or on the next connection when
// the host is away); otherwise the host's values are taken, on every connection, when the popup
// opens, and when the host refuses a capture because the site was turned off in the web app. All of
// it runs one step at a time, the decision made inside the step, so a flip is never overwritten by a
// read of the host that started before it.

const HOST_SWITCHES_KEY = "siteEnabledHost"; // {key: bool}: the host's capture.<key>, as last agreed
/** @type {Promise<unknown>} */
let switchesChain = Promise.resolve();

const settingKey = (/** @type {string} */ key) => `capture.${key}`;

/** @param {Record<string, boolean>} enabled @returns {Record<string, boolean>} every site's on/off */
const switchesOf = (enabled) => Object.fromEntries(SITES.map((s) => [s.key, enabled[s.key] !== false]));

/** @param {Record<string, boolean>} switches @returns {Record<string, boolean>} siteEnabled's form */
const enabledOf = (switches) => Object.fromEntries(Object.entries(switches).filter(([, on]) => !on));

async function reconcileStep() {
  const stored = await api.storage.local.get([ENABLED_KEY, HOST_SWITCHES_KEY]);
  const mine = switchesOf(/** @type {any} */ (stored[ENABLED_KEY]) || {});
  const agreed = /** @type {Record<string, boolean> | undefined} */ (stored[HOST_SWITCHES_KEY]);
  if (agreed && SITES.some((s) => (agreed[s.key] ?? true) !== mine[s.key])) {
    // Flipped here since the last agreement: the host takes this browser's switches.
    const values = Object.fromEntries(SITES.map((s) => [settingKey(s.key), mine[s.key]]));
    const reply = await request("settings.set", { values }).catch(() => null);
    if (reply?.ok) await api.storage.local.set({ [HOST_SWITCHES_KEY]: mine });
    return;
  }
  const reply = await request("settings.get", { keys: SITES.map((s) => settingKey(s.key)) }).catch(() => null);
  if (!reply?.ok) return;
  const settings = reply.result?.settings || {};
  const next = { ...mine };
  for (const site of SITES) {
    const host = settings[settingKey(site.key)];
    if (typeof host !== "boolean") continue;
    // On the first meeting (an extension that had switches before they were shared) off wins.
    next[site.key] = agreed ? host : host && mine[site.key];
  }
  const hostDiffers = SITES.some((s) => settings[settingKey(s.key)] !== next[s.key]);
  if (hostDiffers) {
    const values = Object.fromEntries(SITES.map((s) => [settingKey(s.key), next[s.key]]));
    if (!(await request("settings.set", { values }).catch(() => null))?.ok) return;
  }
  const same = agreed && SITES.every((s) => agreed[s.key] === next[s.key] && mine[s.key] === next[s.key]);
  if (same) return; // nothing to write (a write would wake the change listener, and this step, again)
  // One write: the agreement and the switches change together (the change event then reads as agreed).
  await api.storage.local.set({ [HOST_SWITCHES_KEY]: next, [ENABLED_KEY]: enabledOf(next) });
}

/** Make this browser's switches and the host's agree (see above); resolves when done. */
function reconcileSwitches() {
  const run = switchesChain.then(reconcileStep);
  switchesChain = run.catch((err) => { console.warn("[vivim] could not reconcile the site switches", err); });
  return switchesChain;
}

function syncSites() {
  const run = sitesChain.then(async () => {
    const enabled = await loadEnabled();
    const registered = new Set((await api.scripting.getRegisteredContentScripts()).map((s) => s.id));
    for (const site of SITES) {
      if (!site.optional) continue;
      const scripts = scriptsOf(site);
      const want = enabled[site.key] !== false && await api.permissions.contains({ origins: site.matches });
      const have = scripts.filter((s) => registered.has(s.id)).map((s) => s.id);
      const domOnly = scripts.filter((s) => !s.id.endsWith("-net") && !s.id.endsWith("-bridge"));
      const complete = have.length === scripts.length || (have.length === domOnly.length && netUnsupported);
      if (want && !complete) {
        if (have.length) await api.scripting.unregisterContentScripts({ ids: have }); // a partial set: redo
        let added = scripts;
        try {
          await api.scripting.registerContentScripts(/** @type {any} */ (scripts));
        } catch (err) {
          if (!site.net) throw err;
          // A browser without world: "MAIN" for registered scripts (Firefox before 128): the DOM
          // capture still works; the page's own JSON is not read there, and the popup says so.
          netUnsupported = true;
          added = domOnly;
          await api.scripting.registerContentScripts(/** @type {any} */ (domOnly));
          await recordLocalWarning(site.key, `network capture unavailable in this browser (${err?.message || err})`);
        }
        await injectIntoOpenTabs(site, added);
      } else if (!want && have.length) {
        await api.scripting.unregisterContentScripts({ ids: have });
      }
    }
    return siteStates();
  });
  sitesChain = run.catch((err) => { console.warn("[vivim] could not (un)register site scripts", err); });
  return run;
}

api.permissions?.onAdded?.addListener(() => { syncSites(); });
api.permissions?.onRemoved?.addListener(() => { syncSites(); });
api.storage.onChanged.addListener((changes, area) => {
  if (area === "local" && changes[ENABLED_KEY]) {
    syncSites();
    reconcileSwitches();
  }
});

api.runtime.onStartup?.addListener(() => { syncSites(); flush(); });
api.runtime.onInstalled?.addListener(() => { syncSites(); flush(); });
// Every wake-up retries what is waiting.
flush();
