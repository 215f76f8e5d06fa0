// Building DOM without HTML strings: captured text can never become markup by accident.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

export function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value !== undefined && value !== null) el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function clear(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

// One provider a line (several sites are added at once; tests/layout/test_providers.py checks the list).
const PROVIDERS = {
  chatgpt: "ChatGPT",
  claude: "Claude",
  gemini: "Gemini",
  perplexity: "Perplexity",
  deepseek: "DeepSeek",
  mistral: "Le Chat",
  grok: "Grok",
  copilot: "Copilot",
  aistudio: "AI Studio",
  "claude-code": "Claude Code",
  codex: "Codex",
  "gemini-cli": "Gemini CLI",
  note: "Note",
};

/** Every provider key, in display order (the provider filters list these). */
export const PROVIDER_KEYS = Object.keys(PROVIDERS);

export function providerName(p) { return PROVIDERS[p] || p || "unknown"; }

export function providerIcon(provider) {
  const known = provider in PROVIDERS;
  return h("img", {
    class: "provider-icon", width: 22, height: 22, alt: providerName(provider), title: providerName(provider),
    src: `/static/icons/${known ? provider : "vivim"}.svg`,
  });
}

const dateFmt = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });
const dateTimeFmt = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

export function fmtDate(seconds) { return seconds ? dateFmt.format(new Date(seconds * 1000)) : ""; }
export function fmtDateTime(seconds) { return seconds ? dateTimeFmt.format(new Date(seconds * 1000)) : ""; }
export function fmtNumber(n) { return new Intl.NumberFormat().format(n || 0); }

// "just now", "3 min ago", "2 h ago", "yesterday", "5 days ago", else the date.
export function ago(seconds, now = Date.now() / 1000) {
  if (!seconds) return "never";
  const d = Math.max(0, now - seconds);
  if (d < 60) return "just now";
  if (d < 3600) return `${Math.floor(d / 60)} min ago`;
  if (d < 86400) return `${Math.floor(d / 3600)} h ago`;
  if (d < 2 * 86400) return "yesterday";
  if (d < 30 * 86400) return `${Math.floor(d / 86400)} days ago`;
  return fmtDate(seconds);
}

export function timeEl(seconds, withTime = false) {
  if (!seconds) return null;
  return h("time", { datetime: new Date(seconds * 1000).toISOString() }, withTime ? fmtDateTime(seconds) : fmtDate(seconds));
}

// Markdown's code fences (```python) mean nothing in a one-line snippet: drop them, keep the code.
export function withoutFences(text) {
  // eslint-disable-next-line no-control-regex
  return String(text || "").replace(/(^|\s|\u0003)`{3,}[\w+#.-]*/g, "$1").replace(/[ \t]*\n+[ \t]*/g, " ");
}

// Snippets mark hits with U+0002 ... U+0003: text nodes and <mark> elements, never HTML.
export function highlighted(snippet) {
  const frag = document.createDocumentFragment();
  // U+0002 ... U+0003 mark the hits in the host's snippets (control characters on purpose)
  // eslint-disable-next-line no-control-regex
  const parts = withoutFences(snippet).split(/(\u0002[^\u0003]*\u0003)/);
  for (const part of parts) {
    if (part.startsWith("\u0002")) frag.append(h("mark", {}, part.slice(1, -1)));
    // eslint-disable-next-line no-control-regex
    else if (part) frag.append(document.createTextNode(part.replace(/[\u0002\u0003]/g, "")));
  }
  return frag;
}

export function toast(message) {
  const box = document.getElementById("toasts");
  const el = h("div", { class: "toast" }, message);
  box.append(el);
  setTimeout(() => el.remove(), 4000);
}

export function errorBox(err) {
  return h("div", { class: "error-box", role: "alert" }, err && err.message ? err.message : String(err));
}
