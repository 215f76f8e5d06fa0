// Stats: totals, messages per day (stacked SVG bars), per model, capture health, embedding backlog.
import { api } from "./api.js";
import { clear, errorBox, fmtDateTime, fmtNumber, h, providerIcon, providerName, svg } from "./dom.js";

// Providers with a colour of their own (app.css .fill-<key>); the rest are drawn as "other".
const PROVIDERS = [
  "chatgpt",
  "claude",
  "gemini",
  "perplexity",
  "deepseek",
  "mistral",
  "grok",
  "copilot",
  "aistudio",
  "claude-code",
  "codex",
  "gemini-cli",
  "note",
];
const fillClass = (p) => `fill-${PROVIDERS.includes(p) ? p : "other"}`;

export async function statsView(main, params) {
  const days = Number(params.get("days")) || 90;
  clear(main, h("h1", {}, "Stats"), h("div", { class: "empty" }, "Loading…"));
  let s, status;
  try {
    [s, status] = await Promise.all([api.stats({ days, tz: -new Date().getTimezoneOffset() }), api.status()]);
  } catch (err) {
    clear(main, h("h1", {}, "Stats"), errorBox(err));
    return;
  }
  const range = h("select", { "aria-label": "Period" }, [30, 90, 365, 3650].map((d) => h("option", { value: d }, d === 3650 ? "All time" : `Last ${d} days`)));
  range.value = String(days);
  range.addEventListener("change", () => { location.hash = `#/stats?days=${range.value}`; });
  clear(main,
    h("div", { class: "toolbar" }, h("h1", {}, "Stats"), h("span", { class: "spacer" }), range),
    h("div", { class: "cards" },
      card("Conversations", fmtNumber(s.conversations)), card("Messages", fmtNumber(s.messages)),
      card("Searchable chunks", fmtNumber(s.chunks)),
      card("Embedding backlog", fmtNumber(s.embedding_backlog), s.embedding_backlog ? "waiting for the embedding worker" : "all embedded"),
      card("Last capture", s.last_capture_at ? fmtDateTime(s.last_capture_at) : "never", null, true),
      s.completeness ? h("a", { href: "#/conversations", class: "card-link", title: "Filter the list by completeness there" },
        card("Partial conversations", fmtNumber(s.completeness.partial),
          `${fmtNumber(s.completeness.complete)} complete · ${fmtNumber(s.completeness.unknown)} unknown`)) : null),
    h("h2", {}, s.days > MONTHLY_AFTER_DAYS ? "Messages per month" : "Messages per day"),
    h("div", { class: "panel pad" }, dayChart(s.by_day, s.days), legend()),
    h("div", { class: "grid2" },
      h("div", {}, h("h2", {}, "Per provider"), h("div", { class: "panel pad" }, providerTable(s.by_provider))),
      h("div", {}, h("h2", {}, "Per model (assistant turns in this period)"), h("div", { class: "panel pad" }, modelBars(s.by_model)))),
    h("h2", {}, "Health"),
    h("div", { class: "grid2" },
      h("div", { class: "panel pad" }, h("h3", {}, "Capture per site"), healthTable(s.adapter_health)),
      h("div", { class: "panel pad" }, h("h3", {}, "Services"), servicesTable(status, s))));
}

function card(label, value, note, small = false) {
  return h("div", { class: "card panel" }, h("div", { class: small ? "value small" : "value" }, value), h("div", { class: "label" }, label),
    note ? h("div", { class: "note" }, note) : null);
}

function legend() {
  return h("div", { class: "legend" }, PROVIDERS.map((p) => h("span", {}, h("span", { class: `swatch ${fillClass(p)}` }), providerName(p))));
}

const MONTHLY_AFTER_DAYS = 120;

function isoDay(d) {
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

// Buckets to draw: one per day for short periods, one per month for long ones ("All time"
// starts at the first month with data rather than ten empty years).
function buckets(rows, days) {
  const monthly = days > MONTHLY_AFTER_DAYS;
  const keyOf = (day) => (monthly ? day.slice(0, 7) : day);
  const counts = new Map();
  for (const r of rows) {
    const key = keyOf(r.day);
    if (!counts.has(key)) counts.set(key, {});
    const c = counts.get(key);
    c[r.provider] = (c[r.provider] || 0) + r.messages;
  }
  const today = new Date();
  let start = new Date(today.getFullYear(), today.getMonth(), today.getDate() - (days - 1));
  if (monthly && rows.length) {
    const first = rows.map((r) => r.day).sort()[0];
    const firstDate = new Date(`${first.slice(0, 7)}-01T00:00:00`);
    if (firstDate > start) start = firstDate;
  }
  const list = [];
  if (monthly) {
    for (let d = new Date(start.getFullYear(), start.getMonth(), 1); d <= today; d = new Date(d.getFullYear(), d.getMonth() + 1, 1)) {
      const key = isoDay(d).slice(0, 7);
      list.push([key, counts.get(key) || {}]);
    }
  } else {
    for (let d = start; d <= today; d = new Date(d.getFullYear(), d.getMonth(), d.getDate() + 1)) {
      list.push([isoDay(d), counts.get(isoDay(d)) || {}]);
    }
  }
  return { list, monthly };
}

function dayChart(rows, days) {
  // Drawn at the width it is shown at, so its 11 px labels stay 11 px on a phone (a 900-wide
  // viewBox squeezed into 360 px made them 4 px).
  const shown = (document.getElementById("main") || document.body).clientWidth - 70;
  const W = Math.round(Math.max(280, Math.min(900, shown))), H = W < 500 ? 180 : 220, pad = { l: 40, r: 8, t: 10, b: 24 };
  const { list, monthly } = buckets(rows, days);
  const max = Math.max(1, ...list.map(([, v]) => Object.values(v).reduce((a, b) => a + b, 0)));
  const plotW = W - pad.l - pad.r, plotH = H - pad.t - pad.b;
  const bw = plotW / Math.max(1, list.length);
  const chart = svg("svg", { class: "chart", viewBox: `0 0 ${W} ${H}`, role: "img",
                             "aria-label": `Messages per ${monthly ? "month" : "day"} over the last ${days} days` });
  for (const f of [0, 0.5, 1]) {
    const y = pad.t + plotH * (1 - f);
    chart.append(svg("line", { class: "axis", x1: pad.l, x2: W - pad.r, y1: y, y2: y }),
      svg("text", { x: pad.l - 6, y: y + 4, "text-anchor": "end" }, fmtNumber(Math.round(max * f))));
  }
  list.forEach(([key, counts], i) => {
    let y = pad.t + plotH;
    const x = pad.l + i * bw;
    for (const p of Object.keys(counts).sort()) {
      const bh = (counts[p] / max) * plotH;
      y -= bh;
      chart.append(svg("rect", { class: fillClass(p), x: x + bw * 0.1, y, width: Math.max(1, bw * 0.8), height: bh },
        svg("title", {}, `${key} · ${providerName(p)}: ${fmtNumber(counts[p])}`)));
    }
  });
  const step = Math.max(1, Math.ceil(list.length / (W < 500 ? 4 : 8)));
  list.forEach(([key], i) => {
    if (i % step === 0) chart.append(svg("text", { x: pad.l + i * bw + bw / 2, y: H - 6, "text-anchor": "middle" }, monthly ? key : key.slice(5)));
  });
  if (!rows.length) chart.append(svg("text", { x: W / 2, y: H / 2, "text-anchor": "middle" }, "No messages in this period"));
  return chart;
}

function providerTable(byProvider) {
  const rows = Object.entries(byProvider || {});
  if (!rows.length) return h("p", { class: "muted" }, "Nothing yet.");
  return h("table", { class: "data" },
    h("thead", {}, h("tr", {}, h("th", {}, "Provider"), h("th", {}, "Conversations"), h("th", {}, "Messages"))),
    h("tbody", {}, rows.map(([p, v]) => h("tr", {},
      h("td", {}, h("span", { class: "result-head" }, providerIcon(p), providerName(p))),
      h("td", {}, fmtNumber(v.conversations)), h("td", {}, fmtNumber(v.messages))))));
}

function modelBars(models) {
  if (!models || !models.length) return h("p", { class: "muted" }, "No assistant turns yet.");
  const max = Math.max(...models.map((m) => m.messages));
  return h("div", {}, models.map((m) =>
    h("div", { class: "bar-row" }, h("span", {}, m.model, h("span", { class: "muted" }, ` · ${providerName(m.provider)}`)),
      h("span", { class: "bar-track" }, svg("svg", { viewBox: "0 0 100 12", preserveAspectRatio: "none", "aria-hidden": "true" },
        svg("rect", { class: fillClass(m.provider), x: 0, y: 0, height: 12, width: Math.max(1, (m.messages / max) * 100) }))),
      h("span", { class: "muted" }, fmtNumber(m.messages)))));
}

function servicesTable(status, s) {
  const e = status.embedding || {};
  const sync = status.sync || {};
  const embedding = e.error ? ["bad", `error: ${e.error}`]
    : e.model_error ? ["bad", `model failed to load: ${e.model_error}`]
    : s.embedding_backlog ? ["", `${fmtNumber(s.embedding_backlog)} chunks waiting${e.model_loaded ? "" : " (model not loaded yet)"}`]
    : ["ok", "all chunks embedded"];
  const syncState = sync.error ? ["bad", sync.error]
    : sync.running ? ["ok", "running"] : ["", "not running"];
  const row = (name, [cls, text]) => h("tr", {}, h("td", {}, name), h("td", { class: cls }, text));
  return h("table", { class: "data" }, h("tbody", {},
    row("Embeddings", embedding), row("Sync", syncState),
    row("Services here", ["", (status.services || []).join(", ") || "none (this process does not hold the lock)"]),
    row("Version", ["", status.version])));
}

function healthTable(health) {
  const rows = Object.entries(health || {});
  if (!rows.length) return h("p", { class: "muted" }, "No site has reported yet. Open ChatGPT, Claude or Gemini with the extension on.");
  return h("table", { class: "data" },
    h("thead", {}, h("tr", {}, h("th", {}, "Site"), h("th", {}, "Capture"), h("th", {}, "Checked"))),
    h("tbody", {}, rows.map(([p, v]) => h("tr", {},
      h("td", {}, providerName(p)),
      h("td", { class: v.ok ? "ok" : "bad" }, v.ok ? "working" : `broken: ${v.problem || "no turns found"}`,
        v.warning ? h("div", { class: "muted" }, `⚠ ${v.warning}`) : null),
      h("td", {}, fmtDateTime(v.checked_at))))));
}
