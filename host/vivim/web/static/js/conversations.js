// The conversation list and the reader, with a branch switcher where a turn has siblings.
import { api } from "./api.js";
import { PROVIDER_KEYS, clear, errorBox, fmtNumber, h, providerIcon, providerName, timeEl } from "./dom.js";
import { markTerms, renderMarkdown } from "./render.js";

const PAGE = 50;
// Imported structured turns that are read on demand, not in the flow of the conversation.
const FOLDED_KINDS = { thinking: "Thinking", reasoning: "Reasoning", tool_use: "Tool call", tool_result: "Tool result",
                       execution_output: "Code output",
                       sources: "Sources" };
const state = { provider: "", q: "", completeness: "", offset: 0, items: [], total: 0, selected: null };

export async function conversationsView(main, { id, message, q = "" } = {}) {
  const previous = state.selected;
  state.selected = id ? Number(id) : null;
  const existing = document.getElementById("reader");
  if (existing && state.selected) {  // the list is on screen: only the reader changes
    for (const a of document.querySelectorAll("#conversation-list .conv-link")) {
      a.setAttribute("aria-current", Number(a.dataset.id) === state.selected ? "true" : "false");
    }
    existing.parentElement.classList.add("reading");
    await loadConversation(existing, state.selected, message ? Number(message) : null, false, q);
    return;
  }
  const listBox = h("ul", { class: "list", id: "conversation-list", "aria-label": "Conversations" });
  const pager = h("div", { class: "pager" });
  const reader = h("section", { class: "reader panel", id: "reader", "aria-live": "polite" });
  const filter = h("input", { type: "search", placeholder: "Filter by title…", "aria-label": "Filter conversations by title", value: state.q });
  const provider = providerSelect(state.provider);
  // Complete / partial / unknown: partial captures can be found and re-opened on the site to complete them.
  const completeness = h("select", { "aria-label": "Completeness" },
    h("option", { value: "" }, "Any completeness"), h("option", { value: "partial" }, "Partial"),
    h("option", { value: "complete" }, "Complete"), h("option", { value: "unknown" }, "Unknown"));
  completeness.value = state.completeness;
  const reload = () => { state.offset = 0; loadList(listBox, pager); };
  completeness.addEventListener("change", () => { state.completeness = completeness.value; reload(); });
  let timer;
  filter.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(() => { state.q = filter.value; reload(); }, 200); });
  provider.addEventListener("change", () => { state.provider = provider.value; reload(); });
  const split = h("div", { class: "split" + (state.selected ? " reading" : "") },
    h("div", { class: "list-panel panel" },
      h("div", { class: "toolbar pad" }, filter, provider, completeness), listBox, pager),
    reader);
  clear(main, h("h1", { class: "hidden" }, "Conversations"), split);
  await loadList(listBox, pager);
  if (state.selected) await loadConversation(reader, state.selected, message ? Number(message) : null, false, q);
  else {
    clear(reader, h("div", { class: "empty" }, "Choose a conversation",
      h("span", { class: "kbd-hint" }, ", or press ", h("kbd", {}, "j"), " / ", h("kbd", {}, "k"), " to move through the list"), "."));
    // Closing a conversation (Esc, ✕) puts focus back on it in the list, not on <body>.
    const back = previous && listBox.querySelector(`.conv-link[data-id="${previous}"]`);
    if (back) back.focus();
  }
}

export function providerSelect(value, label = "Provider", anyLabel = "All providers") {
  const select = h("select", { "aria-label": label },
    h("option", { value: "" }, anyLabel),
    PROVIDER_KEYS.map((p) => h("option", { value: p }, providerName(p))));
  select.value = value || "";
  return select;
}

async function loadList(listBox, pager) {
  let page;
  try {
    page = await api.conversations({ provider: state.provider, q: state.q, completeness: state.completeness,
                                     limit: PAGE, offset: state.offset });
  } catch (err) {
    clear(listBox, h("li", {}, errorBox(err)));
    return;
  }
  state.items = page.items;
  state.total = page.total;
  if (!page.items.length) {
    clear(listBox, h("li", { class: "empty" }, state.q || state.provider || state.completeness ? "Nothing matches." : "Nothing captured yet. Chat on ChatGPT, Claude or Gemini with the extension on, or import an export."));
  } else {
    clear(listBox, page.items.map((c) => h("li", {}, conversationLink(c))));
  }
  const prev = h("button", { disabled: state.offset === 0, onclick: () => { state.offset = Math.max(0, state.offset - PAGE); loadList(listBox, pager); } }, "‹ Newer");
  const next = h("button", { disabled: state.offset + PAGE >= page.total, onclick: () => { state.offset += PAGE; loadList(listBox, pager); } }, "Older ›");
  const end = Math.min(state.offset + PAGE, page.total);
  clear(pager, prev, h("span", { class: "muted" }, page.total ? `${state.offset + 1}–${end} of ${fmtNumber(page.total)}` : ""), next);
}

function conversationLink(c) {
  return h("a", { class: "conv-link", href: `#/c/${c.id}`, "aria-current": c.id === state.selected ? "true" : "false", dataset: { id: c.id } },
    h("span", { class: "icon" }, providerIcon(c.provider)),
    h("span", { class: "conv-title" }, c.title || "(untitled)"),
    h("span", { class: "conv-meta" }, timeEl(c.updated_at), h("span", {}, `${c.message_count ?? "?"} messages`),
      c.source !== "capture" ? h("span", { class: "chip" }, c.source) : null, completenessChip(c)));
}

/** "complete", "partial (n of m)" or "unknown": a partial capture never looks complete. */
function completenessChip(c) {
  const k = c.completeness;
  if (!k) return null;
  const titles = {
    complete: "Every turn and branch the provider holds is stored",
    partial: "Only part of this conversation is stored: open it on the site to complete it",
    unknown: "Not checked against the provider's own copy",
  };
  return h("span", { class: `chip completeness ${k.status}`, title: titles[k.status] || "", dataset: { completeness: k.status } },
    k.label);
}

export async function refreshList() {
  const listBox = document.getElementById("conversation-list");
  const pager = listBox && listBox.parentElement.querySelector(".pager");
  if (listBox && pager) await loadList(listBox, pager);
}

// ---- reader ------------------------------------------------------------------------------

async function loadConversation(reader, id, targetMessage, keepScroll = false, query = "") {
  if (!keepScroll) clear(reader, h("div", { class: "empty" }, "Loading…"));
  let data;
  try {
    data = await api.conversation(id);
  } catch (err) {
    clear(reader, h("div", { class: "pad" }, errorBox(err)));
    return;
  }
  const thread = new Thread(data);
  if (targetMessage) thread.reveal(targetMessage);
  const c = data.conversation;
  const messages = h("div", { class: "messages" });
  const head = h("header", { class: "reader-head" },
    providerIcon(c.provider),
    h("div", { class: "grow" },
      h("h1", { tabindex: "-1" }, c.title || "(untitled)"),
      h("div", { class: "conv-meta" }, providerName(c.provider), timeEl(c.created_at, true),
        c.model ? h("span", {}, c.model) : null, completenessChip(c),
        c.pinned ? h("span", { class: "chip" }, "★ pinned") : null,
        (c.tags || []).map((tag) => h("span", { class: "chip tag" }, "#" + tag)),
        data.branches.length ? h("span", { class: "chip" }, `${data.branches.length} branch point${data.branches.length > 1 ? "s" : ""}`) : null)),
    h("a", { class: "button", href: `#/search?conversation_id=${c.id}`, title: "Search in this conversation" }, "⌕ Find"),
    c.url && /^https?:/i.test(c.url) ? h("a", { class: "button", href: c.url, target: "_blank", rel: "noopener noreferrer" }, "Open original ↗") : null,
    h("a", { class: "button", href: "#/conversations", "aria-label": "Close conversation" }, "✕"),
    h("div", { class: "reader-tools", role: "toolbar", "aria-label": "Edit this conversation" }, editButtons(reader, c)));
  clear(reader, head, messages);
  const draw = () => {
    clear(messages, thread.path().map((m) => messageView(m, thread, draw, m.id === targetMessage)));
    if (query) markTerms(messages, query);  // the words searched for, marked where they are
  };
  draw();
  const target = targetMessage && messages.querySelector(".targeted");
  const hit = (target || messages).querySelector("mark.hit");
  if (hit) hit.scrollIntoView({ block: "center" });
  else if (target) target.scrollIntoView({ block: "center" });
  else if (!keepScroll) window.scrollTo(0, 0);
  // Opening a conversation moves focus to it (Enter on a search hit or a list item left it on
  // <body>); a live refresh while reading leaves focus alone.
  if (!keepScroll && !state.listFocus) head.querySelector("h1").focus({ preventScroll: true });
  state.listFocus = false;
}

// Rename, pin, tag and delete: edits of the user's own, synced to their other devices.
function editButtons(reader, c) {
  const edit = async (body) => {
    try {
      await api.editConversation(c.id, body);
    } catch (err) {
      alert(`Could not change the conversation: ${err.message}`);
      return;
    }
    await refreshList();
    await loadConversation(reader, c.id, null, true);
  };
  const pin = h("button", { "aria-pressed": c.pinned ? "true" : "false", title: c.pinned ? "Unpin" : "Pin",
    onclick: () => edit({ pinned: !c.pinned }) }, c.pinned ? "★ Pinned" : "☆ Pin");
  const rename = h("button", { onclick: () => {
    const title = prompt("Title of this conversation", c.title || "");
    if (title !== null) edit({ title });
  } }, "Rename");
  const tags = h("button", { onclick: () => {
    const answer = prompt("Tags, separated by commas", (c.tags || []).join(", "));
    if (answer === null) return;
    const wanted = [...new Set(answer.split(",").map((t) => t.trim()).filter(Boolean))];
    const have = c.tags || [];
    edit({ add_tags: wanted.filter((t) => !have.includes(t)), remove_tags: have.filter((t) => !wanted.includes(t)) });
  } }, "Tags");
  const remove = h("button", { class: "danger", onclick: async () => {
    if (!confirm(`Delete "${c.title || "this conversation"}" here and on your paired devices?`)) return;
    try {
      await api.deleteConversation(c.id);
    } catch (err) {
      alert(`Could not delete the conversation: ${err.message}`);
      return;
    }
    location.hash = "#/conversations";
    await refreshList();
  } }, "Delete");
  return [pin, rename, tags, remove];
}

// A capture landed: if it belongs to the conversation on screen, show it (live reading).
export async function refreshReader(conversationId) {
  const reader = document.getElementById("reader");
  if (reader && state.selected && (conversationId === undefined || conversationId === state.selected)) {
    await loadConversation(reader, state.selected, null, true);
  }
}

class Thread {
  constructor(data) {
    this.byNode = new Map();
    this.children = new Map();
    for (const m of data.messages) {
      if (!this.children.has(m.thread_parent)) this.children.set(m.thread_parent, []);
      this.children.get(m.thread_parent).push(m);
    }
    this.choice = new Map(data.branches.map((b) => [b.parent, b.default]));
  }
  siblings(m) { return this.children.get(m.thread_parent) || [m]; }
  choose(parent, key) { this.choice.set(parent, key); }
  path() {
    const out = [];
    const seen = new Set();
    let node = "";
    while (this.children.has(node) && !seen.has(node)) {
      seen.add(node);
      const kids = this.children.get(node);
      const chosen = kids.find((k) => k.key === this.choice.get(node)) || kids[kids.length - 1];
      out.push(chosen);
      node = chosen.thread_node;
    }
    return out;
  }
  // Make the path pass through a message (a search hit on another branch).
  reveal(messageId) {
    const all = [...this.children.values()].flat();
    const byNode = new Map(all.map((m) => [m.thread_node, m]));
    let m = all.find((x) => x.id === messageId);
    const guard = new Set();
    while (m && !guard.has(m.key)) {
      guard.add(m.key);
      this.choice.set(m.thread_parent, m.key);
      m = byNode.get(m.thread_parent);
    }
  }
}

function messageView(m, thread, redraw, targeted) {
  const siblings = thread.siblings(m);
  let switcher = null;
  if (siblings.length > 1) {
    const index = siblings.indexOf(m);
    const go = (delta) => {
      const next = siblings[(index + delta + siblings.length) % siblings.length];
      thread.choose(m.thread_parent, next.key);
      redraw();
      const again = document.querySelector(`[data-key="${CSS.escape(next.key)}"] .branch-switch button:last-child`);
      if (again) again.focus();
    };
    switcher = h("span", { class: "branch-switch", role: "group", "aria-label": "Branches" },
      h("button", { type: "button", "aria-label": "Previous branch", onclick: () => go(-1) }, "‹"),
      h("span", { class: "branch-count" }, `${index + 1} / ${siblings.length}`),
      h("button", { type: "button", "aria-label": "Next branch", onclick: () => go(1) }, "›"));
  }
  let body = m.role === "user" ? h("pre", { class: "plain" }, m.markdown || m.text) : renderMarkdown(m.markdown || m.text);
  if (FOLDED_KINDS[m.kind]) body = h("details", { class: "folded" }, h("summary", {}, FOLDED_KINDS[m.kind]), body);
  return h("article", { class: `message ${m.role}${targeted ? " targeted" : ""}`, id: `m${m.id}`, dataset: { key: m.key } },
    h("div", { class: "message-head" },
      h("span", { class: "role" }, m.role), m.model ? h("span", {}, m.model) : null,
      m.kind ? h("span", { class: "chip" }, m.kind) : null,
      m.status === "streaming" ? h("span", { class: "chip" }, "incomplete") : null,
      h("span", { class: "spacer" }), switcher, timeEl(m.created_at, true)),
    body);
}

export function moveSelection(delta) {
  const links = [...document.querySelectorAll("#conversation-list .conv-link")];
  if (!links.length) return;
  const current = links.findIndex((a) => a.getAttribute("aria-current") === "true" || a === document.activeElement);
  const next = links[Math.max(0, Math.min(links.length - 1, current + delta))];
  next.focus();
  state.listFocus = true;  // j / k walk the list: focus stays there
  location.hash = next.getAttribute("href");
}
