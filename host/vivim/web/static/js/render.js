// Captured Markdown -> safe DOM: marked parses, KaTeX renders math as MathML (no inline styles,
// so the CSP can stay strict), DOMPurify removes scripts, event handlers and javascript: URLs,
// and our own pass turns remote images into links (the page never fetches from other hosts).
import { h } from "./dom.js";

const SAFE_LINK = /^(https?:|mailto:|#)/i;
const SAFE_IMAGE = /^data:image\/(png|gif|jpe?g|webp);/i;
const PURIFY_CONFIG = {
  USE_PROFILES: { html: true, mathMl: true },  // no SVG from captured content
  FORBID_TAGS: ["style", "form", "input", "button", "textarea", "select", "option", "iframe", "frame",
                "object", "embed", "link", "meta", "base", "audio", "video", "source", "track", "dialog"],
  FORBID_ATTR: ["style", "srcset", "action", "formaction", "xlink:href", "ping"],
  ALLOW_DATA_ATTR: false,
  RETURN_DOM_FRAGMENT: true,
};

let markdown = null;

function mathToMathML(tex, displayMode) {
  try {
    return window.katex.renderToString(tex, { displayMode, output: "mathml", throwOnError: false, trust: false,
                                              strict: "ignore", maxExpand: 500, maxSize: 50 });
  } catch {
    return `<code>${tex.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c])}</code>`;
  }
}

const mathExtension = {
  extensions: [
    {
      name: "blockMath", level: "block",
      start(src) { const m = src.match(/\$\$|\\\[/); return m ? m.index : undefined; },
      tokenizer(src) {
        const m = /^(?:\$\$([\s\S]+?)\$\$|\\\[([\s\S]+?)\\\])[ \t]*(?:\n|$)/.exec(src);
        if (m) return { type: "blockMath", raw: m[0], text: (m[1] ?? m[2]).trim() };
      },
      renderer(token) { return mathToMathML(token.text, true) + "\n"; },
    },
    {
      name: "inlineMath", level: "inline",
      start(src) { const i = src.search(/\$|\\\(/); return i < 0 ? undefined : i; },
      tokenizer(src) {
        const m = /^(?:\$(?![\s$])((?:\\.|[^\\$\n])*?[^\s\\])\$(?!\d)|\\\(([\s\S]+?)\\\))/.exec(src);
        if (m) return { type: "inlineMath", raw: m[0], text: m[1] ?? m[2] };
      },
      renderer(token) { return mathToMathML(token.text, false); },
    },
  ],
};

function setup() {
  if (markdown) return markdown;
  markdown = new window.marked.Marked({ gfm: true, breaks: false, async: false });
  markdown.use(mathExtension);
  window.DOMPurify.addHook("afterSanitizeAttributes", (node) => {
    if (node.tagName === "A") {
      const href = node.getAttribute("href");
      if (href && !SAFE_LINK.test(href.trim())) node.removeAttribute("href");
      if (node.hasAttribute("href")) {
        node.setAttribute("target", "_blank");
        node.setAttribute("rel", "noopener noreferrer nofollow");
      }
    }
    if (node.tagName === "IMG") {
      const src = (node.getAttribute("src") || "").trim();
      if (!SAFE_IMAGE.test(src)) {
        node.removeAttribute("src");
        node.setAttribute("data-remote-src", SAFE_LINK.test(src) ? src : "");
      }
    }
  });
  window.hljs.configure({ ignoreUnescapedHTML: true });
  return markdown;
}

export function renderMarkdown(text) {
  const md = setup();
  let html;
  try {
    html = md.parse(String(text || ""));
  } catch {
    return h("pre", { class: "plain" }, String(text || ""));
  }
  const fragment = window.DOMPurify.sanitize(html, PURIFY_CONFIG);
  // Remote images are never loaded: show them as links the user may choose to follow.
  for (const img of fragment.querySelectorAll("img[data-remote-src]")) {
    const src = img.getAttribute("data-remote-src");
    const label = `[image: ${img.getAttribute("alt") || "untitled"}]`;
    img.replaceWith(src ? h("a", { class: "external-image", href: src, target: "_blank", rel: "noopener noreferrer nofollow" }, label)
                        : h("span", { class: "external-image" }, label));
  }
  for (const code of fragment.querySelectorAll("pre code")) {
    try { window.hljs.highlightElement(code); } catch { /* leave it plain */ }
  }
  for (const pre of fragment.querySelectorAll("pre")) codeBlock(pre);
  const box = h("div", { class: "md" });
  box.append(fragment);
  return box;
}

// Names for the fence tags people meet most; anything else is shown as written.
const LANGUAGE_NAMES = { js: "JavaScript", javascript: "JavaScript", ts: "TypeScript", typescript: "TypeScript",
  py: "Python", python: "Python", sh: "Shell", bash: "Bash", shell: "Shell", zsh: "Shell", json: "JSON",
  html: "HTML", xml: "XML", css: "CSS", sql: "SQL", rust: "Rust", rs: "Rust", go: "Go", java: "Java", c: "C",
  cpp: "C++", "c++": "C++", csharp: "C#", cs: "C#", ruby: "Ruby", rb: "Ruby", php: "PHP", yaml: "YAML",
  yml: "YAML", toml: "TOML", md: "Markdown", markdown: "Markdown", kotlin: "Kotlin", swift: "Swift",
  plaintext: "Text", text: "Text", diff: "Diff", dockerfile: "Dockerfile", powershell: "PowerShell" };

// A code block gets a header: its language, and a button that copies exactly the code.
function codeBlock(pre) {
  const code = pre.querySelector("code");
  const tag = code && [...code.classList].find((c) => c.startsWith("language-"));
  const lang = tag ? tag.slice("language-".length) : "";
  const label = lang ? (LANGUAGE_NAMES[lang.toLowerCase()] || lang) : "Code";
  const copy = h("button", { type: "button", class: "copy-code", "aria-label": `Copy ${label.toLowerCase() === "code" ? "code" : label + " code"}` }, "Copy");
  copy.addEventListener("click", async () => {
    const text = (code || pre).textContent;
    let ok;
    try {
      await navigator.clipboard.writeText(text);
      ok = true;
    } catch {
      ok = copyBySelection(text);
    }
    copy.textContent = ok ? "Copied" : "Press Ctrl+C";
    setTimeout(() => { copy.textContent = "Copy"; }, 1500);
  });
  const wrap = h("div", { class: "code-block" }, h("div", { class: "code-head" }, h("span", { class: "code-lang" }, label), copy));
  pre.replaceWith(wrap);
  wrap.append(pre);
}

function copyBySelection(text) {
  const area = h("textarea", { class: "offscreen", readonly: true, "aria-hidden": "true" });
  area.value = text;
  document.body.append(area);
  area.select();
  let ok;
  try { ok = document.execCommand("copy"); } catch { ok = false; }
  area.remove();
  return ok;
}

// Mark the words of a search in rendered messages (text nodes only: markup is never rebuilt).
export function markTerms(root, query) {
  const terms = String(query || "").toLowerCase().replace(/["()*^:]/g, " ").split(/\s+/)
    .filter((t) => t.length >= 2 && !["and", "or", "not", "near"].includes(t));
  if (!terms.length) return 0;
  const escaped = terms.map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).sort((a, b) => b.length - a.length);
  const pattern = new RegExp(`(${escaped.join("|")})[\\p{L}\\p{N}]*`, "giu");
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, {
    acceptNode: (n) => n.parentElement && !n.parentElement.closest("mark, button, .code-head, .message-head, script, style")
      ? NodeFilter.FILTER_ACCEPT : NodeFilter.FILTER_REJECT,
  });
  const nodes = [];
  while (walker.nextNode()) nodes.push(walker.currentNode);
  let count = 0;
  for (const node of nodes) {
    const text = node.nodeValue;
    pattern.lastIndex = 0;
    if (!pattern.test(text)) continue;
    pattern.lastIndex = 0;
    const frag = document.createDocumentFragment();
    let last = 0;
    for (const m of text.matchAll(pattern)) {
      const start = m.index;
      // Only at the start of a word: "art" marks "artist", not "start".
      if (start > 0 && /[\p{L}\p{N}]/u.test(text[start - 1])) continue;
      frag.append(text.slice(last, start), h("mark", { class: "hit" }, m[0]));
      last = start + m[0].length;
      count += 1;
    }
    frag.append(text.slice(last));
    node.replaceWith(frag);
  }
  return count;
}
