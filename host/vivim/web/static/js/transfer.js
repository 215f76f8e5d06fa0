// Import an export file (upload with a progress bar) and export everything.
import { uploadImport } from "./api.js";
import { clear, errorBox, fmtNumber, h } from "./dom.js";
import { providerSelect } from "./conversations.js";

let importing = false;  // progress events may trail the upload's answer: ignore them after it
let finishedAt = 0;

// This page started the import that just finished: it shows the outcome itself (no toast on top).
export function importedHere() { return importing || Date.now() - finishedAt < 15000; }

export function transferView(main) {
  const file = h("input", { type: "file", id: "import-file", accept: ".zip,.json,.html,application/zip,application/json,text/html", "aria-label": "Export file" });
  const provider = providerSelect("", "Provider (detected when left empty)", "Detect the provider");
  const progress = h("progress", { max: 1, value: 0, class: "hidden", id: "import-progress" });
  const note = h("p", { class: "muted", id: "import-status" }, "A ChatGPT or Claude conversations.json (or its ZIP), or a Google Takeout Gemini activity file.");
  const button = h("button", { class: "primary", type: "submit" }, "Import");
  const form = h("form", { class: "stack" }, file, provider, button, progress, note);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (!file.files.length) { clear(note, "Choose a file first."); return; }
    button.disabled = true;
    importing = true;
    progress.classList.remove("hidden");
    progress.value = 0;
    try {
      const result = await uploadImport(file.files[0], provider.value, (f) => {
        if (!importing) return;
        progress.value = f;
        clear(note, f < 1 ? `Uploading… ${Math.round(f * 100)}%` : "Importing…");
        if (f >= 1) progress.removeAttribute("value");  // indeterminate while the host imports
      });
      importing = false;
      finishedAt = Date.now();
      progress.value = 1;
      const lines = result.lines || [summaryText(result.summary)];
      clear(note, h("strong", {}, result.ok === false ? `Imported part of ${result.filename}` : `Imported ${result.filename}`),
        h("span", { class: "muted" }, ` (${fmtNumber(result.bytes)} bytes, ${result.seconds}s)`),
        h("ul", { class: "import-lines" }, lines.map((line) => h("li", { class: line.startsWith("Problem:") ? "bad" : null }, line))));
    } catch (err) {
      importing = false;
      finishedAt = Date.now();
      progress.classList.add("hidden");
      clear(note, errorBox(err));
    } finally {
      button.disabled = false;
    }
  });
  const exportProvider = providerSelect("", "Export provider");
  const jsonLink = h("a", { class: "button primary", href: "/api/export?format=json", download: "" }, "Download JSON");
  const jsonlLink = h("a", { class: "button", href: "/api/export?format=jsonl", download: "" }, "JSON Lines");
  const markdownLink = h("a", { class: "button", href: "/api/export?format=markdown", download: "" }, "Markdown (zip)");
  exportProvider.addEventListener("change", () => {
    const suffix = exportProvider.value ? `&provider=${exportProvider.value}` : "";
    jsonLink.href = `/api/export?format=json${suffix}`;
    jsonlLink.href = `/api/export?format=jsonl${suffix}`;
    markdownLink.href = `/api/export?format=markdown${suffix}`;
  });
  clear(main, h("h1", {}, "Import & export"),
    h("div", { class: "grid2" },
      h("section", { class: "panel pad" }, h("h2", {}, "Import"), form),
      h("section", { class: "panel pad" }, h("h2", {}, "Export"),
        h("div", { class: "stack" }, h("p", { class: "muted" }, "Everything VIVIM holds, branches included: yours to keep. The JSON archive imports back into VIVIM; the Markdown folder opens in Obsidian."),
          exportProvider, h("div", { class: "toolbar" }, jsonLink, jsonlLink, markdownLink)))));
}

export function importProgress(event) {
  const note = document.getElementById("import-status");
  const bar = document.getElementById("import-progress");
  if (!note || !importing || event.stage !== "importing") return;
  if (bar && event.bytes_total) bar.value = Math.min(1, event.bytes_read / event.bytes_total);
  clear(note, `Importing ${event.file || ""}… ${fmtNumber(event.conversations)} conversations, ${fmtNumber(event.messages)} messages`);
}

function summaryText(summary) {
  if (!summary || typeof summary !== "object") return "";
  const counts = ["conversations", "conversations_created", "messages", "inserted", "merged", "unchanged"]
    .filter((k) => typeof summary[k] === "number").map((k) => `${k.replace(/_/g, " ")}: ${fmtNumber(summary[k])}`);
  const skipped = Object.entries(summary.skipped || {}).map(([reason, n]) => `${fmtNumber(n)} skipped (${reason})`);
  // Conversations the user deleted here: left out on purpose (a deletion is final), not a problem.
  const deleted = summary.deleted_skipped ? [`${fmtNumber(summary.deleted_skipped)} you deleted left out (a deletion is final)`] : [];
  const errors = (summary.errors || []).map((e) => `problem: ${e}`);
  return [...counts, ...deleted, ...skipped, ...errors].join(" · ");
}
