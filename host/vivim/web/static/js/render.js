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
  const box = h("div", { class: "md" });
  box.append(fragment);
  return box;
}
