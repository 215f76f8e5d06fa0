"""Every provider in vivim.providers has all of its own files, and every list outside Python names it.

The Python side derives its lists from the registry; the extension and the web app's pages have
no build step, so their lists are checked here instead: a provider added to the registry but
not to them fails this test rather than silently not being captured or shown.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from vivim import providers
from vivim.providers import AGENTS, PROVIDERS, SITES

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "host" / "vivim"


@pytest.mark.parametrize("info", SITES, ids=lambda p: p.key)
def test_a_site_has_its_adapter_rules_importer_and_fixtures(info: providers.ProviderInfo) -> None:
    assert (ROOT / "extension" / "content" / "sites" / f"{info.key}.js").is_file()
    assert "RULES" in (PACKAGE / "normalize" / "sites" / f"{info.key}.py").read_text(encoding="utf-8")
    for fmt in info.import_formats[:1]:
        assert "ITEM_KEYS" in (PACKAGE / "importers" / f"{fmt.replace('-', '_')}.py").read_text(
            encoding="utf-8"
        )
    assert (ROOT / "tests" / "fixtures" / "sites" / info.key).is_dir()
    assert list((ROOT / "tests" / "fixtures" / "turns").glob(f"{info.key}_*.html"))
    for fmt in info.import_formats:
        assert (ROOT / "tests" / "fixtures" / "exports" / fmt).is_dir()


@pytest.mark.parametrize("info", AGENTS, ids=lambda p: p.key)
def test_a_coding_agent_has_its_log_reader(info: providers.ProviderInfo) -> None:
    from vivim.importers.agent_logs import AGENT_PROVIDERS, agent_modules

    assert info.key in AGENT_PROVIDERS and agent_modules()[info.key].PROVIDER == info.key
    assert not info.hosts  # read from this machine's disk, never captured from a site


def test_every_provider_is_a_site_an_agent_or_notes() -> None:
    assert {p.kind for p in PROVIDERS} <= {"site", "agent", "note"}
    assert set(SITES) | set(AGENTS) | {p for p in PROVIDERS if p.kind == "note"} == set(PROVIDERS)


def test_the_extension_captures_on_exactly_the_registered_hosts() -> None:
    manifest = json.loads((ROOT / "extension" / "manifest.json").read_text(encoding="utf-8"))
    hosts = {f"https://{host}/*" for info in PROVIDERS for host in info.hosts}
    # Sites enabled by default are host permissions with static content scripts; the others are
    # optional host permissions the user grants in the popup (their scripts are registered then).
    optional = set(manifest.get("optional_host_permissions", []))
    assert set(manifest["host_permissions"]) | optional == hosts
    assert not set(manifest["host_permissions"]) & optional
    scripts = {m: script["js"] for script in manifest["content_scripts"] for m in script["matches"]}
    for info in PROVIDERS:
        for host in info.hosts:
            if f"https://{host}/*" in optional:
                assert f"https://{host}/*" not in scripts  # never read before the user grants it
                continue
            assert f"content/sites/{info.key}.js" in scripts[f"https://{host}/*"]


@pytest.mark.parametrize(
    "page",
    [
        "extension/popup/popup.js",
        "host/vivim/web/static/js/dom.js",
        "host/vivim/web/static/js/conversations.js",
        "host/vivim/web/static/js/stats.js",
    ],
)
def test_the_pages_name_every_provider(page: str) -> None:
    text = (ROOT / page).read_text(encoding="utf-8")
    assert [p.key for p in PROVIDERS if not re.search(rf"\b{p.key}\b", text)] == []


def test_keys_and_codes_are_unique_and_never_empty() -> None:
    assert len(set(providers.KEYS)) == len(PROVIDERS) and all(providers.KEYS)
    assert len({p.code for p in PROVIDERS}) == len(PROVIDERS)


def test_the_protocol_accepts_exactly_the_registered_providers() -> None:
    import msgspec

    from vivim.protocol import AdapterHealth

    for key in providers.KEYS:
        msgspec.convert({"provider": key, "url": "https://x", "ok": True}, AdapterHealth)
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert({"provider": "myspace", "url": "https://x", "ok": True}, AdapterHealth)
