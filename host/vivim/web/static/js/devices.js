// Devices and peers as the sync area records them; empty until a device is paired.
import { api } from "./api.js";
import { clear, errorBox, h } from "./dom.js";

const TIME_COLUMNS = /(_at|seen|time)$/;

export async function devicesView(main) {
  clear(main, h("h1", {}, "Devices"), h("div", { class: "empty" }, "Loading…"));
  let d;
  try {
    d = await api.devices();
  } catch (err) {
    clear(main, h("h1", {}, "Devices"), errorBox(err));
    return;
  }
  const sync = d.sync || {};
  const facts = [
    ["Sync", sync.running ? "running" : "not running",
     sync.error ? "bad" : sync.running ? "ok" : ""],
    sync.peer_id ? ["This device", sync.peer_id] : null,
    sync.addrs && sync.addrs.length ? ["Listening on", sync.addrs.join("  ")] : null,
    Array.isArray(sync.connected) ? ["Connected peers", String(sync.connected.length)] : null,
    typeof sync.pending_conversations === "number" ? ["Waiting to sync", `${sync.pending_conversations} conversations`] : null,
    sync.error ? ["Problem", sync.error, "bad"] : null,
  ].filter(Boolean);
  clear(main, h("h1", {}, "Devices"),
    h("div", { class: "panel pad" }, h("table", { class: "data facts" }, h("tbody", {},
      facts.map(([k, v, cls]) => h("tr", {}, h("th", {}, k), h("td", { class: cls || null }, v)))))),
    h("h2", {}, "Paired devices"),
    h("div", { class: "panel pad" }, rowsTable(d.devices, ["No paired devices yet. Run ", h("code", {}, "vivim pair"), " on this device and ", h("code", {}, "vivim pair CODE"), " on the other."])),
    h("h2", {}, "Peers"),
    h("div", { class: "panel pad" }, rowsTable(d.peers, ["No peer addresses known yet. Peers on your network appear here; add a home server with ", h("code", {}, "vivim peers add ADDRESS"), "."])));
}

function rowsTable(rows, emptyText) {
  if (!rows || !rows.length) return h("p", { class: "muted" }, emptyText);
  const columns = Object.keys(rows[0]).slice(0, 7);
  return h("table", { class: "data" },
    h("thead", {}, h("tr", {}, columns.map((c) => h("th", {}, c.replace(/_/g, " "))))),
    h("tbody", {}, rows.map((r) => h("tr", {}, columns.map((c) => h("td", {}, cell(c, r[c])))))));
}

function cell(column, value) {
  if (value === null || value === undefined) return "—";
  if (typeof value === "number" && TIME_COLUMNS.test(column) && value > 1e8) return new Date(value * 1000).toLocaleString();
  const text = typeof value === "object" ? JSON.stringify(value) : String(value);
  return text.length > 60 ? text.slice(0, 28) + "…" + text.slice(-12) : text;
}
