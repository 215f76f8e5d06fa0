// Search with filters; snippets highlighted with <mark> built from U+0002/U+0003.
import { api } from "./api.js";
import { clear, errorBox, h, highlighted, providerIcon, providerName, timeEl } from "./dom.js";
import { providerSelect } from "./conversations.js";

const ROLES = ["user", "assistant"];

export async function searchView(main, params) {
  const input = h("input", { type: "search", id: "search-input", placeholder: "Search everything you captured…",
                             "aria-label": "Search", value: params.get("q") || "", autocomplete: "off" });
  const provider = providerSelect(params.get("provider") || "");
  const role = h("select", { "aria-label": "Role" }, h("option", { value: "" }, "Any role"),
    ROLES.map((r) => h("option", { value: r }, r)));
  role.value = params.get("role") || "";
  const since = h("input", { type: "date", "aria-label": "Since", value: params.get("since") || "" });
  const until = h("input", { type: "date", "aria-label": "Until", value: params.get("until") || "" });
  const results = h("div", { id: "search-results", "aria-live": "polite" });
  let within = params.get("conversation_id") || "";
  const scope = h("span", { class: "chip scope" + (within ? "" : " hidden") }, "in one conversation ",
    h("button", { type: "button", class: "chip-clear", "aria-label": "Search everywhere",
                  onclick: () => { within = ""; scope.classList.add("hidden"); submit(); } }, "×"));
  const form = h("form", { class: "toolbar", role: "search" }, input,
    h("div", { class: "filters" }, provider, role, h("label", { class: "muted" }, "from ", since), h("label", { class: "muted" }, "to ", until), scope),
    h("button", { type: "submit", class: "primary" }, "Search"));
  const submit = () => {
    const q = new URLSearchParams();
    for (const [k, el] of [["q", input], ["provider", provider], ["role", role], ["since", since], ["until", until]]) {
      if (el.value) q.set(k, el.value);
    }
    if (within) q.set("conversation_id", within);
    const hash = `#/search?${q}`;
    if (location.hash !== hash) history.replaceState(null, "", hash);
    run(results, q);
  };
  let timer;
  form.addEventListener("submit", (e) => { e.preventDefault(); submit(); });
  input.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(submit, 250); });
  input.addEventListener("keydown", (e) => {
    const first = results.querySelector(".hits a") || results.querySelector("a.result-link");
    if (e.key === "ArrowDown" && first) {  // ↓ from the box into the results
      e.preventDefault();
      first.focus();
    } else if (e.key === "Enter" && first && results.dataset.query === input.value.trim()) {
      // Enter opens the top hit when the results on screen are for what is typed (else it searches).
      e.preventDefault();
      clearTimeout(timer);
      first.click();
    }
  });
  results.addEventListener("keydown", (e) => {
    if (e.key !== "ArrowDown" && e.key !== "ArrowUp") return;
    const links = [...results.querySelectorAll(".hits a")];
    const at = links.indexOf(document.activeElement);
    if (at < 0) return;
    e.preventDefault();
    if (e.key === "ArrowUp" && at === 0) input.focus();
    else links[Math.max(0, Math.min(links.length - 1, at + (e.key === "ArrowDown" ? 1 : -1)))].focus();
  });
  for (const el of [provider, role, since, until]) el.addEventListener("change", submit);
  clear(main, h("h1", {}, "Search"), form, results);
  input.focus();
  if (input.value) await run(results, params);
  else clear(results, h("div", { class: "empty" }, within ? "Type to search this conversation." : "Type to search. Words are matched as you type; the last word can be a prefix."));
}

function toSeconds(day, endOfDay = false) {
  if (!day) return undefined;
  const d = new Date(`${day}T00:00:00`);
  if (Number.isNaN(d.getTime())) return undefined;
  return d.getTime() / 1000 + (endOfDay ? 86400 : 0);
}

let generation = 0;
// The first search of the page may wait (bounded) for the embedding model, so it is not answered
// from words alone and then differently a second later.
let modelWaited = false;

/** Why an answer may be partial (words only, or chunks still indexed); "" when it is complete. */
export function searchState(data) {
  const index = data.index || {};
  const modes = data.modes || [];
  if (data.complete !== false) return "";
  if (index.model === "unavailable") return "Meaning search is unavailable (the embedding model failed to load): words only.";
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
    return text + later + ": results may be missing until it finishes." + languages;
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

async function run(results, params) {
  const q = params.get("q");
  if (!q || !q.trim()) { clear(results); return; }
  const mine = ++generation;
  let data;
  try {
    data = await api.search({ q, provider: params.get("provider"), role: params.get("role"),
                              conversation_id: params.get("conversation_id"),
                              since: toSeconds(params.get("since")), until: toSeconds(params.get("until"), true), limit: 30,
                              wait_for_model: modelWaited ? undefined : 5 });
    modelWaited = true;
  } catch (err) {
    if (mine === generation) clear(results, errorBox(err));
    return;
  }
  if (mine !== generation) return;  // a newer search already answered
  results.dataset.query = q.trim();
  results.dataset.q = q;
  const state = searchState(data);
  const stateLine = state ? h("p", { class: "search-state", role: "status" }, state) : null;
  if (!data.results.length) {
    clear(results, stateLine, h("div", { class: "empty" }, `No close matches for “${q}”.`));
    return;
  }
  const strong = data.results.filter((g) => g.match !== "weak").length;
  const nearest = strong === 0 ? h("p", { class: "empty-note" }, `No close matches for “${q}”. The nearest, loosely related:`) : null;
  const modes = (data.modes || []).map((m) => (m === "vector" ? "meaning" : "words")).join(" + ");
  clear(results, stateLine, nearest,
    h("p", { class: "muted" }, `${data.results.length} conversation${data.results.length > 1 ? "s" : ""}`,
      strong < data.results.length ? ` (${strong} close, ${data.results.length - strong} weak)` : "",
      modes ? ` · ${modes}` : ""),
    h("div", { class: "panel" }, data.results.map((group) => resultView(group, q))));
}

function resultView(group, query) {
  const c = group.conversation;
  const weak = group.match === "weak";
  return h("section", { class: weak ? "result weak" : "result" },
    h("div", { class: "result-head" }, providerIcon(c.provider),
      h("a", { class: "result-link", href: `#/c/${c.id}?q=${encodeURIComponent(query)}` }, c.title || "(untitled)"),
      weak ? h("span", { class: "strength", title: "Only loosely related to your query" }, "weak match") : null,
      h("span", { class: "muted" }, providerName(c.provider)), timeEl(c.updated_at)),
    h("ul", { class: "hits" }, group.hits.map((hit) =>
      h("li", {}, h("a", { href: `#/c/${c.id}/m/${hit.message_id}?q=${encodeURIComponent(query)}` },
        h("span", { class: "role" }, hit.role), h("span", { class: "snippet" }, highlighted(hit.snippet)))))));
}
