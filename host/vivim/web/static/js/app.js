// The page: a hash router over the views, keyboard shortcuts, and live events.
import { api, connectEvents } from "./api.js";
import { h, toast } from "./dom.js";
import { conversationsView, moveSelection, refreshList, refreshReader } from "./conversations.js";
import { devicesView } from "./devices.js";
import { searchView } from "./search.js";
import { settingsView } from "./settings.js";
import { statsView } from "./stats.js";
import { importedHere, importProgress, transferView } from "./transfer.js";
import { applyTheme, storedTheme } from "./theme.js";

applyTheme(storedTheme());  // before anything paints; the setting confirms it below
api.settings().then((data) => applyTheme(data.settings["web.theme"])).catch(() => {});

const main = document.getElementById("main");
let section = "";

function parseHash() {
  const raw = location.hash.replace(/^#\/?/, "");
  const [path, query] = raw.split("?");
  return { parts: path.split("/").filter(Boolean), params: new URLSearchParams(query || "") };
}

async function route() {
  const { parts, params } = parseHash();
  const [head = "conversations", ...rest] = parts;
  if (head === "c") {
    section = "conversations";
    await conversationsView(main, { id: rest[0], message: rest[1] === "m" ? rest[2] : null, q: params.get("q") || "" });
  } else {
    section = head;
    const views = { conversations: () => conversationsView(main), search: () => searchView(main, params),
                    stats: () => statsView(main, params), devices: () => devicesView(main),
                    transfer: () => transferView(main), settings: () => settingsView(main) };
    await (views[head] || views.conversations)();
  }
  for (const a of document.querySelectorAll(".nav a")) {
    a.toggleAttribute("aria-current", a.dataset.section === section);
    if (a.dataset.section === section) a.setAttribute("aria-current", "page");
  }
  document.title = `VIVIM · ${section.charAt(0).toUpperCase()}${section.slice(1)}`;
  // A new page takes focus to its heading (screen readers announce it; Tab starts there), unless
  // the view put focus somewhere on purpose (the search box, an opened conversation).
  if (!main.contains(document.activeElement) || document.activeElement === main) {
    const heading = main.querySelector("h1:not(.hidden)");
    if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus({ preventScroll: true }); }
  }
}

// `?`: the keyboard shortcuts, in a real modal dialog (Esc closes it; focus returns).
const SHORTCUTS = [
  ["/", "Search"], ["↓ ↑", "Move through search results"], ["Enter", "Open the first result / the focused one"],
  ["j  k", "Next / previous conversation"], ["Esc", "Close the conversation, or leave the search box"],
  ["?", "Show these shortcuts"],
];
let shortcutsDialog = null;
function showShortcuts() {
  if (!shortcutsDialog) {
    shortcutsDialog = h("dialog", { class: "shortcuts", "aria-labelledby": "shortcuts-title" },
      h("h2", { id: "shortcuts-title" }, "Keyboard shortcuts"),
      h("dl", {}, SHORTCUTS.map(([keys, what]) => [h("dt", {}, keys.split(" ").filter(Boolean).map((k) => h("kbd", {}, k))), h("dd", {}, what)])),
      h("form", { method: "dialog" }, h("button", { class: "primary", autofocus: true }, "Close")));
    document.body.append(shortcutsDialog);
  }
  if (!shortcutsDialog.open) shortcutsDialog.showModal();
}

function typing(target) {
  return target instanceof HTMLElement && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
}

document.addEventListener("keydown", (e) => {
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  if (e.key === "Escape" && typing(e.target)) {  // leave the field for the page, never for <body>
    const heading = main.querySelector("h1:not(.hidden)");
    if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus(); } else e.target.blur();
    return;
  }
  if (document.querySelector("dialog[open]")) return;
  if (typing(e.target)) return;
  if (e.key === "?") { e.preventDefault(); showShortcuts(); }
  else if (e.key === "/") { e.preventDefault(); location.hash = "#/search"; const i = document.getElementById("search-input"); if (i) i.focus(); }
  else if (e.key === "j" && section === "conversations") moveSelection(1);
  else if (e.key === "k" && section === "conversations") moveSelection(-1);
  else if (e.key === "Escape" && section === "conversations") location.hash = "#/conversations";
});

let refreshTimer;
let readerTimer;
function onEvent(event) {
  if (["capture", "store.changed", "import.done", "conversation"].includes(event.type)) {
    // An import started from another tab or the terminal: say so. This page's own shows its outcome.
    if (event.type === "import.done" && !importedHere()) toast(event.ok === false ? `Imported part of ${event.filename}; see Import & export` : `Imported ${event.filename}`);
    if (section !== "conversations") return;
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(refreshList, 300);
    if (event.type !== "import.done") {
      clearTimeout(readerTimer);
      readerTimer = setTimeout(() => refreshReader(event.conversation_id), 400);
    }
  } else if (event.type === "hello" || event.type === "embedding.backlog") {
    backlog = event.type === "hello" ? event.embedding_backlog : event.backlog;
    showLive();
  } else if (event.type === "import.progress") {
    importProgress(event);
  }
}

let connected = false;
let backlog = 0;

function showLive() {
  document.getElementById("live").classList.toggle("on", connected);
  document.getElementById("live-text").textContent = !connected ? "offline"
    : backlog ? `live · ${backlog.toLocaleString()} chunks to embed` : "live";
}

function onLive(up) {
  connected = up;
  showLive();
}

window.addEventListener("hashchange", route);
route();
connectEvents(onEvent, onLive);
