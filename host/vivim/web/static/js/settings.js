// Settings: every value with an input of its kind; saved with PATCH.
import { api } from "./api.js";
import { clear, errorBox, h, toast } from "./dom.js";

export async function settingsView(main) {
  let data;
  try {
    data = await api.settings();
  } catch (err) {
    clear(main, h("h1", {}, "Settings"), errorBox(err));
    return;
  }
  const inputs = new Map();
  const rows = Object.entries(data.settings).sort(([a], [b]) => a.localeCompare(b)).map(([key, value]) => {
    let input;
    if (typeof value === "boolean") input = h("input", { type: "checkbox", checked: value });
    else if (typeof value === "number") input = h("input", { type: "number", value, step: "any" });
    else input = h("input", { type: "text", value: value === null ? "" : typeof value === "object" ? JSON.stringify(value) : value });
    input.id = `setting-${key}`;
    inputs.set(key, [input, value]);
    return h("tr", {}, h("td", {}, h("label", { for: input.id }, key)), h("td", {}, input));
  });
  const status = h("span", { class: "muted" });
  const form = h("form", {}, h("table", { class: "data settings" }, h("tbody", {}, rows)),
    h("div", { class: "toolbar pad" }, h("button", { class: "primary", type: "submit" }, "Save"), status));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const values = {};
    for (const [key, [input, old]] of inputs) {
      const value = typeof old === "boolean" ? input.checked : typeof old === "number" ? Number(input.value) : input.value;
      if (value !== old) values[key] = value;
    }
    if (!Object.keys(values).length) { clear(status, "Nothing changed."); return; }
    try {
      await api.saveSettings(values);
      toast("Settings saved");
      settingsView(main);
    } catch (err) {
      clear(status, errorBox(err));
    }
  });
  clear(main, h("h1", {}, "Settings"), h("div", { class: "panel" }, form),
    h("p", { class: "muted" }, "A new web.port takes effect when VIVIM's services restart."));
}
