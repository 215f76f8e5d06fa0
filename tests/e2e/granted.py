"""A copy of the extension in which chosen optional sites (issue 16) are granted at install.

The popup's grant flow and the service worker's `registerContentScripts` (lane `sites`) are what a user
gets; until that is on main, a site lane's browser tests load this copy: the shipped extension with the
site moved from `optional_host_permissions` to `host_permissions` and its scripts declared statically,
in the same lists and worlds the service worker registers them (MAIN world at document_start: the
site's `.net.js` and `content/net/hook.js`; isolated at document_start: `content/net/bridge.js`; isolated
at document_idle: `content/dom.js`, the adapter, `content/core.js`, `content/context_button.js`).
Everything else (the adapter, the capture core, the network hook and bridge, the worker, the host) is
the real code.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from vivim.providers import BY_KEY

from . import harness


def extension_with(sites: list[str], dest: Path) -> Path:
    shutil.copytree(harness.EXTENSION_DIR, dest, ignore=shutil.ignore_patterns("node_modules"))
    manifest = json.loads((dest / "manifest.json").read_text(encoding="utf-8"))
    optional = manifest.setdefault("optional_host_permissions", [])
    for key in sites:
        patterns = [f"https://{host}/*" for host in BY_KEY[key].hosts]
        for pattern in patterns:
            if pattern in optional:
                optional.remove(pattern)
            manifest["host_permissions"].append(pattern)
        scripts = manifest["content_scripts"]
        if (dest / "content" / "sites" / f"{key}.net.js").exists():
            scripts.append(
                {
                    "matches": patterns,
                    "js": [f"content/sites/{key}.net.js", "content/net/hook.js"],
                    "run_at": "document_start",
                    "world": "MAIN",
                }
            )
            scripts.append({"matches": patterns, "js": ["content/net/bridge.js"], "run_at": "document_start"})
        scripts.append(
            {
                "matches": patterns,
                "js": [
                    "content/dom.js",
                    f"content/sites/{key}.js",
                    "content/core.js",
                    "content/context_button.js",
                ],
                "run_at": "document_idle",
            }
        )
    (dest / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return dest
