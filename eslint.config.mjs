// ESLint flat config for the extension and the web app's pages (plain browser JavaScript, no build step).
// `make lint` and tests/layout/test_tooling.py run it; versions are pinned in package.json / package-lock.json.
import js from "@eslint/js";
import globals from "globals";

const shared = {
  ...js.configs.recommended.rules,
  "no-unused-vars": ["error", { args: "none", caughtErrors: "none" }],
  "no-var": "error",
  "prefer-const": ["error", { destructuring: "all" }],
  eqeqeq: ["error", "smart"],
  "no-implied-eval": "error",
  "no-new-func": "error",
  "no-redeclare": ["error", { builtinGlobals: false }],
  // Captured content is untrusted text everywhere: never parse it as HTML (reading markup is fine).
  "no-restricted-syntax": ["error",
    { selector: "AssignmentExpression[left.property.name=/^(innerHTML|outerHTML)$/]",
      message: "Captured content is untrusted: build nodes, or set textContent." },
    { selector: "CallExpression[callee.property.name=/^(insertAdjacentHTML|createContextualFragment|write|writeln)$/]",
      message: "Never parse untrusted text as HTML." },
    { selector: "CallExpression[callee.property.name='parseFromString']",
      message: "Never parse untrusted text as HTML." }],
};

export default [
  { ignores: ["node_modules/**", "host/vivim/web/static/vendor/**", ".venv/**", "bench/out/**"] },
  {
    files: ["extension/content/**/*.js"],
    languageOptions: { ecmaVersion: 2023, sourceType: "script", globals: { ...globals.browser, ...globals.webextensions } },
    rules: shared,
  },
  {
    // The popup and the site list (extension/sites.js) are ES modules: the popup imports the list.
    files: ["extension/popup/**/*.js", "extension/sites.js"],
    languageOptions: { ecmaVersion: 2023, sourceType: "module", globals: { ...globals.browser, ...globals.webextensions } },
    rules: shared,
  },
  {
    // The service worker is a module (manifest "type": "module"): it imports extension/sites.js.
    files: ["extension/background/**/*.js"],
    languageOptions: {
      ecmaVersion: 2023, sourceType: "module", globals: { ...globals.serviceworker, ...globals.webextensions },
    },
    rules: shared,
  },
  {
    files: ["host/vivim/web/static/js/**/*.js"],
    languageOptions: { ecmaVersion: 2023, sourceType: "module", globals: { ...globals.browser } },
    rules: shared,
  },
  {
    files: ["eslint.config.mjs"],
    languageOptions: { ecmaVersion: 2023, sourceType: "module" },
  },
];
