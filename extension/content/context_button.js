/* VIVIM "Insert context" button: shows how many past memories are relevant to the draft being typed
 * and inserts a block of them at the cursor, through the site adapter (findEditor, insertText,
 * sendButton) exposed by content/core.js as globalThis.VIVIM. Knows no site.
 *
 * Never breaks the site: the button lives in its own closed shadow root on <html>, positioned over
 * (not inside) the page, so the site's framework never sees a foreign node in its tree and neither
 * side's CSS leaks into the other. Every handler is wrapped; a failure hides the button, nothing more.
 * Host round trip: {kind:"request", type:"context.build", payload} -> service worker -> host. */
(() => {
  "use strict";
  if (globalThis.VIVIM_CONTEXT_BUTTON) return;
  const V = globalThis.VIVIM;
  if (!V?.adapter || typeof V.request !== "function") return;
  const adapter = V.adapter;

  const CFG = {
    DEBOUNCE_MS: 600,          // quiet time after typing before asking the host for a count
    MIN_DRAFT_CHARS: 12,       // shorter drafts say too little to retrieve on
    TOKEN_BUDGET: 800,         // tokens of context inserted (counted by the host)
    MAX_ITEMS: 6,
    POLL_MS: 700,              // editor position and draft changes the input events missed
    MARGIN_PX: 6,
    SHORTCUT: { altKey: true, shiftKey: true, code: "KeyM" },  // Alt+Shift+M ("memory")
    VERIFY_MS: 300,            // let the site's editor re-render before checking the insertion
  };
  const SHORTCUT_LABEL = "Alt+Shift+M";

  const STYLE = `
    :host { all: initial; }
    button {
      all: unset; box-sizing: border-box; display: inline-flex; align-items: center; gap: 6px;
      font: 500 12px/1 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2328;
      background: #ffffff; border: 1px solid #d0d7de; border-radius: 999px; padding: 5px 10px;
      box-shadow: 0 1px 3px rgba(0,0,0,.12); cursor: pointer; white-space: nowrap; user-select: none;
    }
    button:hover { background: #f3f4f6; }
    button:focus-visible { outline: 2px solid #0969da; outline-offset: 2px; }
    button[data-state="busy"] { opacity: .7; cursor: progress; }
    button[data-state="empty"] { opacity: .55; }
    .count { min-width: 16px; padding: 1px 5px; border-radius: 999px; background: #0969da; color: #fff;
      text-align: center; font-size: 11px; }
    button[data-state="empty"] .count { background: #8c959f; }
    @media (prefers-color-scheme: dark) {
      button { color: #e6edf3; background: #22272e; border-color: #444c56; }
      button:hover { background: #2d333b; }
    }`;

  let host = null, button = null, label = null, countEl = null;
  let editor = null;
  let draft = "", asked = "", lastResult = null, lastDraft = null;
  let debounce = null, generation = 0, busy = false;

  function draftText(el) {
    if (!el) return "";
    const text = "value" in el && typeof el.value === "string" ? el.value : el.innerText || el.textContent || "";
    return text.replace(/\u00a0/g, " ").trim();
  }

  function build() {
    host = document.createElement("vivim-context-button");
    host.style.cssText = "position:fixed;z-index:2147483000;top:0;left:0;display:none;";
    const root = host.attachShadow({ mode: "closed" });
    const style = document.createElement("style");
    style.textContent = STYLE;
    button = document.createElement("button");
    button.type = "button";
    button.dataset.state = "empty";
    label = document.createElement("span");
    label.textContent = "Insert context";
    countEl = document.createElement("span");
    countEl.className = "count";
    countEl.textContent = "0";
    button.append(label, countEl);
    root.append(style, button);
    // Keep the editor's focus and selection: the block goes where the cursor is.
    button.addEventListener("mousedown", (e) => e.preventDefault());
    button.addEventListener("click", (e) => { e.preventDefault(); e.stopPropagation(); insert(); });
    document.documentElement.appendChild(host);
    // Tests and the popup read the state from here (the shadow root is closed).
    globalThis.VIVIM_CONTEXT_BUTTON.element = host;
  }

  function setState(state, count, title) {
    if (!button) return;
    button.dataset.state = state;
    host.dataset.state = state;
    host.dataset.count = String(count ?? 0);
    countEl.textContent = count == null ? "…" : String(count);
    button.title = title || `Insert ${count || 0} relevant memories from VIVIM at the cursor (${SHORTCUT_LABEL})`;
    button.setAttribute("aria-label", button.title);
  }

  function place() {
    const rect = editor?.getBoundingClientRect();
    if (!rect || !editor.isConnected || rect.width === 0) {
      host.style.display = "none";
      return;
    }
    host.style.display = "block";
    const width = host.offsetWidth || 130, height = host.offsetHeight || 26;
    const top = Math.max(CFG.MARGIN_PX, rect.top - height - CFG.MARGIN_PX);
    const left = Math.min(window.innerWidth - width - CFG.MARGIN_PX, Math.max(CFG.MARGIN_PX, rect.right - width));
    host.style.transform = `translate(${Math.round(left)}px, ${Math.round(top)}px)`;
  }

  function payload(text) {
    return {
      draft: text, provider: adapter.provider, external_id: V.conversationId() || null,
      token_budget: CFG.TOKEN_BUDGET, max_items: CFG.MAX_ITEMS,
    };
  }

  async function ask(text) {
    const mine = ++generation;
    const reply = await V.request("context.build", payload(text));
    if (mine !== generation) return null; // the draft changed while we waited
    if (!reply?.ok) throw Object.assign(new Error(reply?.error?.message || "no reply"), { reply });
    lastResult = reply.result;
    lastDraft = text;
    return reply.result;
  }

  async function refreshCount() {
    const text = draft;
    if (text.length < CFG.MIN_DRAFT_CHARS) {
      generation++;
      lastResult = null;
      setState("empty", 0, `Type a little more to find relevant memories (${SHORTCUT_LABEL})`);
      return;
    }
    if (text === asked) return;
    asked = text;
    try {
      const result = await ask(text);
      if (!result) return;
      const n = result.items.length;
      setState(n ? "ready" : "empty", n);
    } catch (err) {
      setState("empty", 0, `VIVIM is not reachable: ${err.message}`);
    }
  }

  function onDraftChanged() {
    const text = draftText(editor);
    if (text === draft) return;
    draft = text;
    clearTimeout(debounce);
    debounce = setTimeout(() => { refreshCount().catch(() => {}); }, CFG.DEBOUNCE_MS);
  }

  function sendEnabled() {
    const send = adapter.sendButton(document);
    if (!send) return null;
    return !(send.disabled || send.getAttribute("aria-disabled") === "true");
  }

  const squash = (s) => s.replace(/\s+/g, " ").trim();

  /** The block is there if its first source line and the end of its text are in the editor. */
  function verify(block) {
    const now = squash(draftText(editor));
    const lines = block.split("\n").filter((l) => l.trim());
    const probes = [lines[0], lines[1], lines[lines.length - 1]].map((l) => squash(l).slice(0, 60));
    return probes.every((p) => !p || now.includes(p));
  }

  async function insert() {
    if (busy) return;
    editor = adapter.findEditor(document) || editor;
    if (!editor) return;
    busy = true;
    setState("busy", lastResult?.items?.length ?? null, "Finding relevant memories…");
    try {
      const text = draftText(editor);
      const result = lastResult && lastDraft === text ? lastResult : await ask(text);
      if (!result || !result.items.length) {
        setState("empty", 0, "No relevant memories for this draft");
        return;
      }
      const block = `${text ? "\n\n" : ""}${result.text}\n\n`;
      let inserted = adapter.insertText(editor, block);
      await new Promise((r) => setTimeout(r, CFG.VERIFY_MS));
      inserted = verify(result.text);
      if (inserted && sendEnabled() === false) {
        // Some editors only enable Send on their own input event.
        editor.dispatchEvent(new InputEvent("input", { bubbles: true, inputType: "insertText", data: " " }));
        await new Promise((r) => setTimeout(r, CFG.VERIFY_MS));
      }
      const sendOk = sendEnabled() !== false;
      host.dataset.lastInsert = inserted && sendOk ? "ok" : inserted ? "send-disabled" : "failed";
      if (!inserted) {
        await navigator.clipboard?.writeText(result.text).catch(() => {});
        setState("ready", result.items.length, "Could not type into this editor; the block is on the clipboard");
        return;
      }
      draft = draftText(editor);
      asked = draft;
      setState("ready", result.items.length,
        `Inserted ${result.items.length} memories (${result.tokens} tokens). ${SHORTCUT_LABEL} inserts again`);
    } catch (err) {
      host.dataset.lastInsert = "failed";
      setState("empty", 0, `VIVIM could not build context: ${err.message}`);
    } finally {
      busy = false;
    }
  }

  function tick() {
    try {
      if (!V.on()) { if (host) host.style.display = "none"; editor = null; return; } // turned off meanwhile
      const found = adapter.findEditor(document);
      if (found !== editor) {
        editor = found;
        draft = "";
        asked = "";
        lastResult = null;
      }
      if (!editor) {
        if (host) host.style.display = "none";
        return;
      }
      if (!host) build();
      place();
      onDraftChanged();
    } catch (err) {
      if (host) host.style.display = "none";
    }
  }

  function onKey(e) {
    const s = CFG.SHORTCUT;
    if (e.code !== s.code || e.altKey !== s.altKey || e.shiftKey !== s.shiftKey || e.ctrlKey || e.metaKey) return;
    const ed = adapter.findEditor(document);
    if (!ed || !(ed === document.activeElement || ed.contains(document.activeElement))) return;
    e.preventDefault();
    e.stopPropagation();
    editor = ed;
    insert();
  }

  // Nothing on a site the user turned off (the core's per-site switch, V.on()): no button, no draft read;
  // every handler asks again, so turning the site on with the page open brings the button back.
  Promise.resolve(V.enabled).then(() => {
    globalThis.VIVIM_CONTEXT_BUTTON = { insert: () => V.on() && insert(), refresh: () => { asked = ""; return refreshCount(); } };
    document.addEventListener("input", () => { try { if (editor && V.on()) onDraftChanged(); } catch (e) { /* never break typing */ } },
      { capture: true, passive: true });
    document.addEventListener("keydown", (e) => { try { if (V.on()) onKey(e); } catch (err) { /* ignore */ } }, true);
    addEventListener("resize", () => tick(), { passive: true });
    addEventListener("scroll", () => { if (host && editor) place(); }, { capture: true, passive: true });
    setInterval(tick, CFG.POLL_MS);
    tick();
  });
})();
