/* VIVIM popup: host status, counts, capture health per site, and search as you type.
 * Everything shown here came from captured pages and is untrusted: it is rendered with
 * textContent and createElement only, never innerHTML. */
"use strict";

const api = globalThis.browser?.runtime?.sendMessage ? globalThis.browser : globalThis.chrome;
const SEARCH_DEBOUNCE_MS = 150;
const PROVIDERS = { chatgpt: "ChatGPT", claude: "Claude", gemini: "Gemini" };
// Only these origins are ever opened from a result; anything else in a stored URL is ignored.
const SITE_URL = {
  chatgpt: (id) => `https://chatgpt.com/c/${encodeURIComponent(id)}`,
  claude: (id) => `https://claude.ai/chat/${encodeURIComponent(id)}`,
  gemini: (id) => `https://gemini.google.com/app/${encodeURIComponent(id)}`,
};
const SAFE_ORIGINS = ["https://chatgpt.com", "https://claude.ai", "https://gemini.google.com"];
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
  const make = SITE_URL[conversation.provider];
  return make && conversation.external_id ? make(conversation.external_id) : null;
}

function when(seconds) {
  if (!seconds) return "";
  return new Date(seconds * 1000).toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" });
}

async function refreshStatus() {
  const status = await send({ kind: "status" }).catch((err) => ({ connected: false, error: String(err) }));
  $("host-dot").className = `dot ${status.connected ? "ok" : "bad"}`;
  $("host-status").textContent = status.connected
    ? `Host connected · v${status.host_version}`
    : `Host not reachable${status.error ? `: ${status.error}` : ""}. Run “vivim install”.`;
  const queued = $("queued");
  queued.hidden = !status.queued;
  queued.textContent = status.queued ? `${status.queued} waiting` : "";
  let stats = null;
  if (status.connected) {
    const reply = await send({ kind: "request", type: "stats", payload: {} }).catch(() => null);
    if (reply?.ok) stats = reply.result;
  }
  $("counts").textContent = stats
    ? `${stats.conversations} conversations · ${stats.messages} messages`
    : "Counts appear when the host is connected.";
  renderHealth(status.health || {}, stats?.adapter_health || {});
}

function renderHealth(local, remote) {
  const list = $("health");
  list.replaceChildren();
  for (const [provider, label] of Object.entries(PROVIDERS)) {
    const a = local[provider], b = remote[provider];
    // Prefer the newer report: local times are ms, the host's are seconds.
    const h = !a ? b : !b ? a : (a.checked_at / 1000 >= b.checked_at ? a : b);
    const item = el("li", h ? (h.ok ? "ok" : "bad") : "", label);
    item.title = !h ? "not seen yet" : h.ok ? "capturing" : `capture is broken here: ${h.problem || "no turns found"}`;
    if (h && !h.ok) item.append(document.createTextNode(" — capture broken"));
    list.append(item);
  }
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
  if (!reply.result.running) {
    $("search-note").textContent = "The web app is not running: start it with “vivim serve”.";
    return;
  }
  api.tabs.create({ url: reply.result.url });
  window.close();
}

function open(i) {
  const item = items[i];
  if (!item?.url) return;
  api.tabs.create({ url: item.url });
  window.close();
}

/** One line saying why an answer may be partial (words only, or chunks still being indexed); "" if complete. */
function searchState(result) {
  const index = result.index || {};
  const modes = result.modes || [];
  if (result.complete !== false) return "";
  if (index.model === "unavailable") return "Meaning search is unavailable: words only.";
  if (!modes.includes("vector") && (index.model === "loading" || index.model === "idle")) {
    return "Meaning search is starting: these results match words only.";
  }
  if (index.chunks && index.pending) {
    let text = `Meaning search: ${index.embedded.toLocaleString("en-US")} of ${index.chunks.toLocaleString("en-US")} indexed`;
    if (index.eta_seconds) text += ` (about ${duration(index.eta_seconds)})`;
    return text + ": results may be missing.";
  }
  return modes.includes("vector") ? "" : "Words only: meaning search did not answer.";
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
    items.push({ url: safeUrl(conv) });
    const li = el("li");
    li.id = `result-${i}`;
    li.setAttribute("role", "option");
    li.setAttribute("aria-selected", "false");
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

refreshStatus();
// Warm the embedding model now: the user is about to type a query. The same reply tells how far
// meaning search is from covering everything (an import still being embedded).
send({ kind: "request", type: "embed.status", payload: { warm: true } }).then((reply) => {
  const index = reply?.ok && reply.result?.index;
  if (index && index.pending && !$("q").value.trim()) {
    $("search-state").textContent = searchState({ complete: false, modes: ["vector"], index });
  }
}).catch(() => null);
