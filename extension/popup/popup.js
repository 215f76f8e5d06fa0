/* VIVIM popup: host status, counts, each site's switch and capture health, and search as you type.
 * Everything shown here came from captured pages and is untrusted: it is rendered with
 * textContent and createElement only, never innerHTML. */
"use strict";

import { ENABLED_KEY, SITES, conversationUrl, origins } from "../sites.js";

const api = globalThis.browser?.runtime?.sendMessage ? globalThis.browser : globalThis.chrome;
const SEARCH_DEBOUNCE_MS = 150;
// Display names: the chat sites (sites.js), then what the host reads on this machine.
const PROVIDERS = { ...Object.fromEntries(SITES.map((s) => [s.key, s.name])), "claude-code": "Claude Code",
  codex: "Codex", "gemini-cli": "Gemini CLI", note: "Note" };
// Only the sites' origins are ever opened from a result; anything else in a stored URL is ignored.
const SAFE_ORIGINS = origins();
const MARK_START = "\u0002", MARK_END = "\u0003";

const $ = (id) => document.getElementById(id);
let active = -1;
let items = [];
let searchTimer = null;
let searchSeq = 0;
// The first query waits (bounded) for the embedding model warmed when the popup opened, so its
// answer does not change a second later when meaning search joins in.
const FIRST_QUERY_MODEL_WAIT_S = 5;
let modelWaited = false;

const send = (message) => api.runtime.sendMessage(message);

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text != null) node.textContent = text;
  return node;
}

/** Snippet text with U+0002..U+0003 hits wrapped in <mark>, built node by node. */
function snippetNode(snippet) {
  const out = el("div", "snippet");
  const parts = String(snippet || "").split(MARK_START);
  out.append(document.createTextNode(parts[0].replaceAll(MARK_END, "")));
  for (const part of parts.slice(1)) {
    const end = part.indexOf(MARK_END);
    if (end < 0) { out.append(document.createTextNode(part)); continue; }
    out.append(el("mark", null, part.slice(0, end)));
    out.append(document.createTextNode(part.slice(end + 1).replaceAll(MARK_END, "")));
  }
  return out;
}

function safeUrl(conversation) {
  try {
    const url = new URL(conversation.url);
    if (url.protocol === "https:" && SAFE_ORIGINS.includes(url.origin)) return url.href;
  } catch { /* fall through to the URL we can build ourselves */ }
  return conversationUrl(conversation.provider, conversation.external_id);
}

function when(seconds) {
  if (!seconds) return "";
  return new Date(seconds * 1000).toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" });
}

/** The browser's own words for a host that cannot start ("Specified native messaging host not
 * found.") as what to do about it, with the command to run. */
function hostProblem(error) {
  const text = String(error || "");
  if (/not found/i.test(text)) {
    return ["VIVIM is not set up for this browser yet. In a terminal, run ", "vivim install", ", then reopen this popup."];
  }
  if (/forbidden/i.test(text)) {
    return ["This browser may not start VIVIM (its extension ID is not allowed). Run ", "vivim install", " again."];
  }
  if (/exited|closed|crash|disconnect/i.test(text)) {
    return ["VIVIM's host stopped as it started. Run ", "vivim doctor", " in a terminal to see why."];
  }
  return ["VIVIM's host does not answer", text ? ` (${text.replace(/\.+$/, "")})` : "", ". Run ", "vivim doctor", " in a terminal."];
}

function commandText(parts) {
  const span = el("span", "host-help");
  parts.forEach((part, i) => span.append(i % 2 ? el("code", null, part) : document.createTextNode(part)));
  return span;
}

let webUrl = null;  // the web app's address (with its token), when it runs: results open there

async function refreshStatus() {
  const status = await send({ kind: "status" }).catch((err) => ({ connected: false, error: String(err) }));
  $("host-dot").className = `dot ${status.connected ? "ok" : "bad"}`;
  if (status.connected) {
    $("host-status").textContent = `Host connected · v${status.host_version}`;
  } else {
    $("host-status").replaceChildren(document.createTextNode("Not connected."), commandText(hostProblem(status.error)));
  }
  const queued = $("queued");
  queued.hidden = !status.queued;
  queued.textContent = status.queued ? `${status.queued} waiting` : "";
  let stats = null;
  if (status.connected) {
    const reply = await send({ kind: "request", type: "stats", payload: {} }).catch(() => null);
    if (reply?.ok) stats = reply.result;
  }
  $("counts").textContent = stats
    ? `${counted(stats.conversations, "conversation")} · ${counted(stats.messages, "message")}`
    : "Counts appear when the host is connected.";
  const sites = await send({ kind: "sites" }).catch(() => null);
  lastRemote = stats?.adapter_health || {};
  // The line about this tab is drawn with the site rows, in one step: drawn after them, it pushed
  // every row down under the user's pointer, and a click on "Turn on" landed on the row above.
  const [line, rows] = await Promise.all([
    status.connected ? thisTabLine().catch(() => null) : null,
    healthRows(status, lastRemote, sites?.sites || {}),
  ]);
  if (line) $("this-tab").replaceWith(line);
  keepUnchanged($("health"), rows);
  if (status.connected) {
    const reply = await send({ kind: "request", type: "web.url", payload: {} }).catch(() => null);
    webUrl = reply?.ok && reply.result.running ? reply.result.url : null;
  }
}

const SITE_TABS = SITES.flatMap((s) => s.matches);

/** The conversation in the current tab (or the site tab used last), and how complete VIVIM has it:
 * "complete", "partial (n of m)" or "unknown": a partial capture is never shown as complete. Null
 * when no tab shows a conversation. */
async function thisTabLine() {
  const [current] = await api.tabs.query({ active: true, currentWindow: true });
  let tab = current;
  if (!tab?.url || !SAFE_ORIGINS.includes(new URL(tab.url).origin)) {
    // Only the origins VIVIM holds may be queried by URL (an optional site not granted is not one).
    const held = [];
    for (const pattern of SITE_TABS) {
      if (await api.permissions.contains({ origins: [pattern] }).catch(() => false)) held.push(pattern);
    }
    const tabs = held.length ? await api.tabs.query({ url: held }) : [];
    tab = tabs.sort((a, b) => (b.lastAccessed || 0) - (a.lastAccessed || 0))[0];
  }
  if (!tab) return null;
  const page = await api.tabs.sendMessage(tab.id, { kind: "vivim.page" }).catch(() => null);
  if (!page?.external_id) return null;
  const reply = await send({ kind: "request", type: "conversation.get",
    payload: { provider: page.provider, external_id: page.external_id } }).catch(() => null);
  const line = el("p", "this-tab");
  line.id = "this-tab";
  if (!reply?.ok) {
    line.className = "this-tab unknown";
    line.textContent = "This conversation: not stored yet";
    return line;
  }
  const c = reply.result.conversation.completeness || { status: "unknown", label: "unknown" };
  line.className = `this-tab ${c.status}`;
  line.dataset.status = c.status;
  line.textContent = `This conversation: ${c.label}`;
  if (c.status !== "complete" && page.capture_all) {
    // Where the site's own data did not prove it complete: scroll the thread up, visibly, on request.
    const button = el("button", "capture-all", "Capture all");
    button.type = "button";
    button.title = "Scroll this conversation to its start so every turn is loaded and captured";
    button.addEventListener("click", async () => {
      button.disabled = true;
      button.textContent = "Capturing…";
      const done = await api.tabs.sendMessage(tab.id, { kind: "vivim.captureAll" }).catch(() => null);
      button.textContent = done?.ok ? "Done" : "Could not capture all";
    });
    line.append(" ", button);
  }
  line.title = c.status === "complete" ? "every turn and branch the provider holds is stored"
    : c.status === "partial" ? "VIVIM has only part of this conversation"
      : "VIVIM could not check this conversation against the provider's own copy";
  return line;
}

/** One row per site: its switch (or, for an optional site not granted yet, "Turn on"), and whether
 * it captures. The switch is storage.local "siteEnabled"; the service worker follows it (registering or
 * unregistering an optional site's scripts) and the content scripts check it before reading anything. */
let lastRemote = {};  // the host's adapter health, kept for re-drawing the rows after a switch

/** How many tabs show a site (only sites whose origins VIVIM holds can be asked about). */
async function openTabs(site, granted) {
  if (!granted) return 0;
  return (await api.tabs.query({ url: site.matches }).catch(() => [])).length;
}

/** "1 conversation", "2,400 conversations". */
function counted(n, noun) {
  return `${Number(n).toLocaleString("en")} ${noun}${n === 1 ? "" : "s"}`;
}

function ago(ms) {
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  return s < 60 ? "just now" : s < 3600 ? `${Math.round(s / 60)} min ago`
    : s < 86400 ? `${Math.round(s / 3600)} h ago` : `${Math.round(s / 86400)} d ago`;
}

async function renderHealth(status, remote, states) {
  keepUnchanged($("health"), await healthRows(status, remote, states));
}

async function healthRows(status, remote, states) {
  const local = status.health || {}, activity = status.activity || {};
  const tabs = {};
  for (const site of SITES) {
    const st = states[site.key] || { granted: !site.optional, enabled: true };
    tabs[site.key] = await openTabs(site, st.granted && st.enabled);
  }
  const rows = [];
  for (const site of SITES) {
    const provider = site.key, label = site.name;
    const st = states[provider] || { optional: site.optional, granted: !site.optional, enabled: true };
    const a = local[provider], b = remote[provider];
    // Prefer the newer report: local times are ms, the host's are seconds.
    const h = !a ? b : !b ? a : (a.checked_at / 1000 >= b.checked_at ? a : b);
    const usable = st.granted && st.enabled;
    // The dot's colour is said in words too: grey meant "not visited yet", which nobody could guess.
    const item = el("li", usable && h ? (h.ok ? "ok" : "bad") : usable ? "" : "off");
    item.dataset.site = provider;
    const state = !st.granted ? "not turned on" : !st.enabled ? "off"
      : !h ? "not visited yet" : h.ok ? "capturing" : "capture broken";
    item.append(el("span", "site", label), el("span", "state", state));
    // Capturing now (a tab open on the site) and when something was last saved from it.
    const details = [];
    if (usable && tabs[provider]) details.push(`${tabs[provider]} tab${tabs[provider] > 1 ? "s" : ""} open`);
    if (activity[provider]?.last_capture_at) details.push(`saved ${ago(activity[provider].last_capture_at)}`);
    if (details.length) item.append(el("span", "detail", details.join(" · ")));
    item.title = !st.granted ? `VIVIM does not read ${label} until you turn it on`
      : !st.enabled ? `VIVIM does not read ${label}: it is turned off here`
        : !h ? `Open ${label} with this browser: VIVIM starts capturing there` : h.ok
          ? `Your ${label} conversations are being saved` : `Capture is broken here: ${h.problem || "no turns found"}`;
    const warning = usable && (a?.warning || b?.warning);
    if (warning) {
      item.classList.add("warn");
      item.title += ` · ${warning}`;
    }
    item.append(st.granted ? siteSwitch(site, st.enabled) : turnOnButton(site));
    rows.push(item);
  }
  return rows;
}

/**
 * Put rows into a list, leaving every row that would look and act the same as the one shown: the
 * popup re-draws whenever a switch or the host's report changes (often right as it opens), and a row
 * swapped under the pointer between press and release loses the user's click on "Turn on".
 * @param {HTMLElement} list @param {HTMLElement[]} rows
 */
function keepUnchanged(list, rows) {
  rows.forEach((row, i) => {
    const shown = /** @type {HTMLElement | undefined} */ (list.children[i]);
    if (!shown) list.append(row);
    else if (!sameRow(shown, row)) shown.replaceWith(row);
  });
  while (list.children.length > rows.length) list.lastElementChild?.remove();
}

/** Same markup and, for a switch, the same checked state (a property the markup does not carry). */
function sameRow(/** @type {HTMLElement} */ a, /** @type {HTMLElement} */ b) {
  const switchA = /** @type {HTMLInputElement | null} */ (a.querySelector(".switch"));
  const switchB = /** @type {HTMLInputElement | null} */ (b.querySelector(".switch"));
  return a.isEqualNode(b) && switchA?.checked === switchB?.checked;
}

function siteSwitch(site, enabled) {
  const box = el("input", "switch");
  box.type = "checkbox";
  box.checked = enabled;
  box.setAttribute("aria-label", `Capture ${site.name}`);
  box.title = enabled ? `Turn VIVIM off on ${site.name}` : `Turn VIVIM on for ${site.name}`;
  box.addEventListener("change", async () => {
    await setEnabled(site.key, box.checked);
    await refreshSites();
  });
  return box;
}

/** An optional site: the browser asks the user to allow it (this click is the gesture it needs). */
function turnOnButton(site) {
  const button = el("button", "turn-on", "Turn on");
  button.type = "button";
  button.title = `Let VIVIM read your ${site.name} conversations (the browser asks you first)`;
  button.addEventListener("click", async () => {
    // permissions.request first, in the click itself: an await before it would lose the user gesture.
    const granted = await api.permissions.request({ origins: site.matches }).catch((err) => {
      $("search-note").textContent = `Could not turn ${site.name} on: ${err.message || err}`;
      return false;
    });
    if (!granted) return;
    await setEnabled(site.key, true);
    await refreshSites();
  });
  return button;
}

async function setEnabled(key, enabled) {
  const all = (await api.storage.local.get(ENABLED_KEY))[ENABLED_KEY] || {};
  if (enabled) delete all[key];
  else all[key] = false;
  await api.storage.local.set({ [ENABLED_KEY]: all });
}

/** Re-draw the rows once the service worker has made its registrations match (the "sites" reply). */
// A switch changed elsewhere (the web app's Settings, taken by the service worker): re-draw the rows.
let redraw = null;
api.storage.onChanged.addListener((changes, area) => {
  if (area !== "local" || !changes[ENABLED_KEY]) return;
  clearTimeout(redraw);
  redraw = setTimeout(() => { refreshSites(); }, 100);
});

async function refreshSites() {
  const sites = await send({ kind: "sites" }).catch(() => null);
  const status = await send({ kind: "status" }).catch(() => ({}));
  await renderHealth(status, lastRemote, sites?.sites || {});
}

function setActive(i) {
  const nodes = $("results").children;
  if (!nodes.length) { active = -1; return; }
  active = (i + nodes.length) % nodes.length;
  Array.from(nodes).forEach((n, j) => n.setAttribute("aria-selected", String(j === active)));
  nodes[active].scrollIntoView({ block: "nearest" });
  $("q").setAttribute("aria-activedescendant", nodes[active].id);
}

/** The local web app, opened with its token through a tab the extension creates (a plain link
 * from this page would be a cross-site navigation, which the app refuses). */
async function openWebApp() {
  const reply = await send({ kind: "request", type: "web.url", payload: {} }).catch(() => null);
  if (!reply?.ok) {
    $("search-note").textContent = "The web app needs the VIVIM host: run “vivim install”.";
    return;
  }
  // The host puts the token in the address only for a listener that proved it is this vault's
  // web app; anything else on the port ("other") must not be opened with our token.
  if (reply.result.listener === "other") {
    $("search-note").textContent = `Port ${reply.result.port} is used by another program, not this VIVIM: ` +
      "choose a free one with “vivim web --port N” and restart VIVIM.";
    return;
  }
  if (!reply.result.running || !String(reply.result.url).includes("token=")) {
    $("search-note").textContent = "The web app is not running: start it with “vivim serve”.";
    return;
  }
  api.tabs.create({ url: reply.result.url });
  window.close();
}

/** A result opens VIVIM's own copy in the web app (it works offline and after the chat was
 * deleted upstream); the provider's page only when the web app is not running, or from the
 * small link beside each result. */
function open(i, where = "vivim") {
  const item = items[i];
  const url = where === "vivim" && item?.app ? item.app : item?.url;
  if (!url) {
    if (!webUrl) $("search-note").textContent = "Start the web app (“vivim serve”) to read this conversation in VIVIM.";
    return;
  }
  api.tabs.create({ url });
  window.close();
}

function appUrl(conv, hit) {
  if (!webUrl || !conv.id) return null;
  const at = hit.message_id ? `/m/${encodeURIComponent(hit.message_id)}` : "";
  const q = encodeURIComponent($("q").value.trim());
  return `${webUrl}#/c/${encodeURIComponent(conv.id)}${at}?q=${q}`;
}

/** One line saying why an answer may be partial (words only, or chunks still being indexed); "" if complete. */
function searchState(result) {
  const index = result.index || {};
  const modes = result.modes || [];
  if (result.complete !== false) return "";
  if (index.model === "unavailable") return "Meaning search is unavailable: words only.";
  const meaning = ["vector", "first_pass", "multilingual"].some((m) => modes.includes(m));
  if (!meaning && (index.model === "loading" || index.model === "idle")) {
    return "Meaning search is starting: these results match words only.";
  }
  // After an import both wait: say the second too (an English question finds no Russian chat yet).
  const languages = index.other_languages_pending
    ? ` Search across languages: ${index.other_languages_pending.toLocaleString("en-US")} chunks still to check.`
    : "";
  if (index.chunks && index.pending) {
    const later = index.eta_seconds ? ` (about ${duration(index.eta_seconds)})` : "";
    if (index.first_pass >= index.pending) {
      return `Meaning search: all ${index.chunks.toLocaleString("en-US")} searchable by a quick first pass; refining ${index.embedded.toLocaleString("en-US")} of ${index.chunks.toLocaleString("en-US")}${later}: results may still improve.${languages}`;
    }
    let text = `Meaning search: ${index.embedded.toLocaleString("en-US")} of ${index.chunks.toLocaleString("en-US")} indexed`;
    if (index.first_pass) text += `, ${index.first_pass.toLocaleString("en-US")} more by a quick first pass`;
    return text + later + ": results may be missing." + languages;
  }
  if (meaning && index.other_languages_pending) {
    return `Search across languages: ${index.other_languages_pending.toLocaleString("en-US")} chunks still to check: results in other languages may still improve.`;
  }
  return meaning ? "" : "Words only: meaning search did not answer.";
}

function duration(seconds) {
  if (seconds < 90) return "1 min";
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

function renderResults(result) {
  const list = $("results");
  list.replaceChildren();
  items = [];
  for (const group of result.results || []) {
    const conv = group.conversation || {};
    const hit = (group.hits || [])[0] || {};
    const i = items.length;
    const provider = PROVIDERS[conv.provider] || conv.provider;
    items.push({ url: safeUrl(conv), app: appUrl(conv, hit) });
    const li = el("li");
    li.id = `result-${i}`;
    li.setAttribute("role", "option");
    li.setAttribute("aria-selected", "false");
    if (items[i].url) {
      const source = el("button", "source", `${provider} ↗`);
      source.type = "button";
      source.title = `Open the original on ${provider}`;
      source.setAttribute("aria-label", `Open the original on ${provider}`);
      source.addEventListener("click", (e) => { e.preventDefault(); e.stopPropagation(); open(i, "provider"); });
      li.append(source);
    }
    li.title = items[i].app ? "Open in VIVIM" : `Open on ${provider}`;
    if (group.match === "weak") li.classList.add("weak");
    const title = el("div", "title", conv.title || "Untitled conversation");
    if (group.match === "weak") title.append(el("span", "strength", "weak match"));
    li.append(title);
    li.append(el("div", "meta", `${PROVIDERS[conv.provider] || conv.provider} · ${hit.role || ""} · ${when(hit.created_at || conv.updated_at)}`));
    li.append(snippetNode(hit.snippet));
    li.addEventListener("click", () => open(i));
    list.append(li);
  }
  $("q").setAttribute("aria-expanded", String(items.length > 0));
  const allWeak = items.length && (result.results || []).every((g) => g.match === "weak");
  $("search-note").textContent = !$("q").value.trim() ? ""
    : !items.length ? "No close matches."
    : allWeak ? "No close matches. The nearest, loosely related:" : "";
  $("search-state").textContent = $("q").value.trim() ? searchState(result) : "";
  active = -1;
  if (items.length) setActive(0);
}

async function search() {
  await statusReady;  // results need to know whether the web app runs (they open there)
  const query = $("q").value.trim();
  const seq = ++searchSeq;
  if (!query) { renderResults({ results: [] }); return; }
  const days = Number($("since").value);
  const since = days ? Date.now() / 1000 - days * 86400 : null;
  const payload = { query, limit: 20, provider: $("provider").value || null, since };
  if (!modelWaited) { payload.wait_for_model = FIRST_QUERY_MODEL_WAIT_S; modelWaited = true; }
  const reply = await send({ kind: "request", type: "search", payload }).catch((err) => ({ ok: false, error: { message: String(err) } }));
  if (seq !== searchSeq) return; // a newer keystroke already asked
  if (!reply?.ok) {
    renderResults({ results: [] });
    $("search-note").textContent = `Search failed: ${reply?.error?.message || "no answer from the host"}`;
    return;
  }
  renderResults(reply.result);
}

function scheduleSearch() {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(search, SEARCH_DEBOUNCE_MS);
}

// The provider filter lists every chat site (sites.js), in its order.
for (const site of SITES) {
  const option = el("option", null, site.name);
  option.value = site.key;
  $("provider").append(option);
}

$("q").addEventListener("input", scheduleSearch);
$("provider").addEventListener("change", search);
$("since").addEventListener("change", search);
$("open-app").addEventListener("click", openWebApp);
$("search-form").addEventListener("submit", (e) => { e.preventDefault(); if (active >= 0) open(active); });
$("q").addEventListener("keydown", (e) => {
  if (e.key === "ArrowDown") { e.preventDefault(); setActive(active + 1); }
  else if (e.key === "ArrowUp") { e.preventDefault(); setActive(active - 1); }
  else if (e.key === "Enter") { e.preventDefault(); if (active >= 0) open(active); }
});

const statusReady = refreshStatus().catch(() => {});
// Warm the embedding model now: the user is about to type a query. The same reply tells how far
// meaning search is from covering everything (an import still being embedded).
send({ kind: "request", type: "embed.status", payload: { warm: true } }).then((reply) => {
  const index = reply?.ok && reply.result?.index;
  if (index && index.pending && !$("q").value.trim()) {
    $("search-state").textContent = searchState({ complete: false, modes: ["vector"], index });
  }
}).catch(() => null);
