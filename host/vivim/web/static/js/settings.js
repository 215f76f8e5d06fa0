// Settings in words: grouped sections, a label and a line of help per setting, the host's rules
// (ranges, choices) checked before saving and again by the host, whose sentence is shown next to
// the field it is about. Keys the schema does not describe (written by newer parts) stay editable
// under "Advanced", folded.
import { api } from "./api.js";
import { clear, errorBox, h, toast } from "./dom.js";
import { applyTheme } from "./theme.js";

export async function settingsView(main) {
  let data;
  try {
    data = await api.settings();
  } catch (err) {
    clear(main, h("h1", {}, "Settings"), errorBox(err));
    return;
  }
  const schema = data.schema || [];
  const described = new Set(schema.map((s) => s.key));
  const fields = [];
  const groups = new Map();
  for (const setting of schema) {
    if (!(setting.key in data.settings)) continue;
    if (!groups.has(setting.group)) groups.set(setting.group, []);
    const field = makeField(setting, data.settings[setting.key]);
    fields.push(field);
    groups.get(setting.group).push(field.row);
  }
  const advanced = Object.entries(data.settings).filter(([key]) => !described.has(key))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, value]) => makeField({ key, label: key, help: "", kind: kindOf(value) }, value, true));
  fields.push(...advanced);

  const status = h("span", { class: "muted", role: "status" });
  const sections = [...groups.entries()].map(([group, rows]) =>
    h("fieldset", { class: "settings-group panel" }, h("legend", {}, group), rows));
  if (advanced.length) {
    sections.push(h("details", { class: "settings-group panel folded" },
      h("summary", {}, "Advanced (settings without a description)"), advanced.map((f) => f.row)));
  }
  const form = h("form", { class: "settings-form", novalidate: true }, sections,
    h("div", { class: "toolbar" }, h("button", { class: "primary", type: "submit" }, "Save"), status));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clear(status);
    const values = {};
    let firstBad = null;
    for (const field of fields) {
      field.showError("");
      const { value, error } = field.read();
      if (error) { field.showError(error); firstBad = firstBad || field; continue; }
      if (value !== field.initial) values[field.key] = value;
    }
    if (firstBad) { firstBad.input.focus(); clear(status, "Fix the marked setting first."); return; }
    if (!Object.keys(values).length) { clear(status, "Nothing changed."); return; }
    try {
      const saved = await api.saveSettings(values);
      if ("web.theme" in values) applyTheme(saved.settings["web.theme"]);
      const restart = (data.schema || []).some((s) => s.restart && s.key in values);
      toast(restart ? "Saved. Some changes take effect when VIVIM restarts." : "Settings saved");
      settingsView(main);
    } catch (err) {
      const key = err.details && err.details.key;
      const field = fields.find((f) => f.key === key);
      if (field) { field.showError(err.message); field.input.focus(); } else clear(status, errorBox(err));
    }
  });
  clear(main, h("h1", {}, "Settings"), form);
}

function kindOf(value) {
  return typeof value === "boolean" ? "boolean" : typeof value === "number" ? "number" : "text";
}

function makeField(setting, value, raw = false) {
  const id = `setting-${setting.key.replace(/[^a-z0-9]+/gi, "-")}`;
  const helpId = `${id}-help`;
  const errorEl = h("p", { class: "field-error hidden", id: `${id}-error`, role: "alert" });
  let input;
  if (setting.choices) {
    input = h("select", { id }, setting.choices.map((c) => h("option", { value: c }, c.charAt(0).toUpperCase() + c.slice(1))));
    input.value = value;
  } else if (setting.kind === "boolean") {
    input = h("input", { type: "checkbox", id, checked: value });
  } else if (setting.kind === "number") {
    input = h("input", { type: "number", id, value, step: "1", inputmode: "numeric",
                         min: setting.minimum, max: setting.maximum });
  } else {
    input = h("input", { type: "text", id, value: value === null ? "" : typeof value === "object" ? JSON.stringify(value) : value });
  }
  input.setAttribute("aria-describedby", `${helpId} ${id}-error`);
  const label = h("label", { for: id, class: raw ? "raw-key" : null }, setting.label);
  const help = h("p", { class: "help", id: helpId },
    setting.help || "", setting.restart ? h("span", { class: "restart" }, " Takes effect when VIVIM restarts.") : null,
    !raw ? h("span", { class: "key" }, setting.key) : null);
  const row = h("div", { class: `setting ${setting.kind}` },
    setting.kind === "boolean" ? h("div", { class: "check" }, input, label) : [label, input], help, errorEl);
  return {
    key: setting.key, initial: value, input, row,
    showError(message) {
      errorEl.textContent = message;
      errorEl.classList.toggle("hidden", !message);
      input.toggleAttribute("aria-invalid", Boolean(message));
    },
    read() {
      if (setting.kind === "boolean") return { value: input.checked };
      if (setting.choices) return { value: input.value };
      if (setting.kind === "number") {
        const text = input.value.trim();
        const number = Number(text);
        if (!text || !Number.isFinite(number)) return { error: `${setting.label}: enter a number.` };
        if (setting.minimum !== undefined && (!Number.isInteger(number) || number < setting.minimum || number > setting.maximum)) {
          return { error: `${setting.label}: enter a whole number from ${setting.minimum} to ${setting.maximum}.` };
        }
        return { value: number };
      }
      if (typeof value === "object" && value !== null) {
        try { return { value: JSON.parse(input.value) }; } catch { return { error: `${setting.label}: not valid JSON.` }; }
      }
      return { value: input.value };
    },
  };
}
