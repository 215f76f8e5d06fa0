// Light, dark, or as the system is set (the `web.theme` setting). The choice is kept in
// localStorage too, so the next page load paints in it before the settings arrive.
const KEY = "vivim.theme";

export function applyTheme(theme) {
  const choice = theme === "light" || theme === "dark" ? theme : "system";
  const root = document.documentElement;
  if (choice === "system") delete root.dataset.theme;
  else root.dataset.theme = choice;
  // highlight.js ships a light and a dark sheet, picked by media query: follow the choice.
  const dark = choice === "dark" || (choice === "system" && matchMedia("(prefers-color-scheme: dark)").matches);
  for (const link of document.querySelectorAll("link[data-hljs]")) {
    link.media = link.dataset.hljs === (dark ? "dark" : "light") ? "all" : "not all";
  }
  try { localStorage.setItem(KEY, choice); } catch { /* private mode */ }
}

export function storedTheme() {
  try { return localStorage.getItem(KEY) || "system"; } catch { return "system"; }
}
