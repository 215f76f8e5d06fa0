// Devices as people think of them: names they choose, "last reached 3 min ago", and the
// technical details (peer ids, addresses, counters) folded away for when something is wrong.
import { api } from "./api.js";
import { ago, clear, errorBox, fmtDateTime, h, toast } from "./dom.js";

export async function devicesView(main, focusPeer = null) {
  if (!main.querySelector(".devices")) clear(main, h("h1", {}, "Devices"), h("div", { class: "empty" }, "Loading…"));
  let d;
  try {
    d = await api.devices();
  } catch (err) {
    clear(main, h("h1", {}, "Devices"), errorBox(err));
    return;
  }
  const sync = d.sync || {};
  const devices = Array.isArray(d.devices) ? d.devices : [];
  const me = devices.find((x) => x.status === "self");
  const others = devices.filter((x) => x.status !== "self" && x.status !== "revoked");
  const redraw = (peer) => devicesView(main, peer);

  const state = sync.error ? `Sync has a problem: ${sync.error}`
    : sync.running ? "Sync is on." : "Sync is off: it runs while your browser has VIVIM open, or `vivim serve` runs.";
  const waiting = others.length && typeof sync.pending_conversations === "number" && sync.pending_conversations
    ? ` ${sync.pending_conversations.toLocaleString()} conversation${sync.pending_conversations > 1 ? "s" : ""} waiting to sync.` : "";

  const cards = others.map((x) => deviceCard(x, sync, redraw));
  const list = others.length ? h("ul", { class: "device-list" }, cards.map((c) => h("li", {}, c)))
    : h("p", { class: "muted" }, "No other devices yet. To add one, run ", h("code", {}, "vivim pair"),
      " here and ", h("code", {}, "vivim pair CODE"), " on the other device.");

  clear(main, h("div", { class: "devices" },
    h("h1", {}, "Devices"),
    h("p", { class: sync.error ? "bad" : "muted", role: "status" }, state, waiting),
    me ? h("section", { class: "panel pad" }, h("h2", {}, "This device"), deviceCard(me, sync, redraw)) : null,
    h("section", { class: "panel pad" }, h("h2", {}, "Your other devices"), list),
    technical(sync, d.peers, devices)));
  if (focusPeer) {
    const target = main.querySelector(`[data-peer="${CSS.escape(focusPeer)}"] .rename`);
    if (target) target.focus();
  }
}

function statusText(x, sync) {
  if (x.status === "self") return sync.running ? "this device, syncing" : "this device";
  const connected = x.connected || (Array.isArray(sync.connected) && sync.connected.includes(x.peer_id));
  if (connected) return "connected now";
  if (x.last_seen) return `last reached ${ago(x.last_seen)}`;
  return "not reached yet";
}

function deviceCard(x, sync, redraw) {
  const name = h("span", { class: "device-name" }, x.name || "Unnamed device");
  const rename = h("button", { type: "button", class: "rename", "aria-label": `Rename ${x.name || "this device"}` }, "Rename");
  const card = h("div", { class: "device", dataset: { peer: x.peer_id } },
    h("div", { class: "device-head" }, name,
      x.blind ? h("span", { class: "chip", title: "Stores and forwards encrypted data; cannot read it" }, "encrypted backup only") : null,
      h("span", { class: "spacer" }), rename),
    h("p", { class: "device-status muted" }, statusText(x, sync),
      x.added_at && x.status !== "self" ? ` · paired ${ago(x.added_at)}` : ""),
    h("details", { class: "folded" }, h("summary", {}, "Details"),
      h("dl", { class: "facts" },
        h("dt", {}, "Peer id"), h("dd", { class: "mono" }, x.peer_id),
        x.own_name && x.own_name !== x.name ? [h("dt", {}, "Its own name"), h("dd", {}, x.own_name)] : null,
        x.added_at ? [h("dt", {}, "Added"), h("dd", {}, fmtDateTime(x.added_at))] : null,
        typeof x.entries === "number" ? [h("dt", {}, "Changes received"), h("dd", {}, String(x.entries))] : null)));
  rename.addEventListener("click", () => {
    const input = h("input", { type: "text", value: x.name || "", maxlength: 60, "aria-label": "Device name" });
    const save = h("button", { type: "submit", class: "primary" }, "Save");
    const cancel = h("button", { type: "button" }, "Cancel");
    const error = h("p", { class: "field-error", role: "alert" });
    const form = h("form", { class: "rename-form" }, input, save, cancel, error);
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      try {
        await api.renameDevice(x.peer_id, input.value);
        toast(input.value.trim() ? `Renamed to “${input.value.trim()}”` : "Name reset");
        redraw(x.peer_id);
      } catch (err) {
        error.textContent = err.message;
        input.focus();
      }
    });
    cancel.addEventListener("click", () => redraw(x.peer_id));
    card.querySelector(".device-head").replaceWith(form);
    input.focus();
    input.select();
  });
  return card;
}

function technical(sync, peers, devices) {
  const rows = [
    sync.peer_id ? ["This device's peer id", sync.peer_id] : null,
    sync.addrs && sync.addrs.length ? ["Listening on", sync.addrs.join("\n")] : null,
    sync.counters && Object.keys(sync.counters).length
      ? ["Counters", Object.entries(sync.counters).map(([k, v]) => `${k}: ${v}`).join("\n")] : null,
    typeof sync.log_entries === "number" ? ["Log entries", String(sync.log_entries)] : null,
    sync.refused_peers ? ["Refused unpaired peers", String(sync.refused_peers)] : null,
  ].filter(Boolean);
  const addresses = (peers || []).map((p) => [p.addr || p.peer_id || JSON.stringify(p),
    p.last_ok ? `reached ${ago(p.last_ok)}` : "never reached"]);
  if (!rows.length && !addresses.length) return null;
  return h("details", { class: "panel pad folded technical" }, h("summary", {}, "Technical details"),
    h("dl", { class: "facts" }, rows.map(([k, v]) => [h("dt", {}, k), h("dd", { class: "mono" }, v)])),
    addresses.length ? [h("h3", {}, "Known addresses"),
      h("ul", { class: "addresses" }, addresses.map(([a, when]) => h("li", {}, h("span", { class: "mono" }, a), " ", h("span", { class: "muted" }, when))))] : null,
    devices.length ? h("p", { class: "muted" }, "Remove a device with ", h("code", {}, "vivim devices remove NAME"), ".") : null);
}
