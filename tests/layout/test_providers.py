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


SITE_ENTRY = re.compile(
    r'\{ key: "(?P<key>[^"]+)", name: "(?P<name>[^"]+)", matches: \[(?P<matches>[^\]]*)\],'
    r" net: (?P<net>true|false), optional: (?P<optional>true|false), url: \"(?P<url>[^\"]+)\" \},"
)


def site_list() -> dict[str, dict[str, object]]:
    """extension/sites.js, one entry a line, as {key: {name, matches, net, optional, url}}."""
    text = (ROOT / "extension" / "sites.js").read_text(encoding="utf-8")
    return {
        m["key"]: {
            "name": m["name"],
            "matches": re.findall(r'"([^"]+)"', m["matches"]),
            "net": m["net"] == "true",
            "optional": m["optional"] == "true",
            "url": m["url"],
        }
        for m in SITE_ENTRY.finditer(text)
    }


def test_the_extension_lists_exactly_the_registered_sites() -> None:
    listed = site_list()
    assert list(listed) == [info.key for info in SITES]
    for info in SITES:
        entry = listed[info.key]
        assert entry["name"] == info.name
        assert entry["matches"] == [f"https://{host}/*" for host in info.hosts]
        assert str(entry["url"]).startswith(f"https://{info.hosts[0]}/") and "{id}" in str(entry["url"])
        net_rule = ROOT / "extension" / "content" / "sites" / f"{info.key}.net.js"
        assert entry["net"] == net_rule.is_file(), info.key


def test_the_host_reads_the_page_payloads_of_exactly_the_sites_with_a_network_rule() -> None:
    """importers/network.PARSERS is keyed by registry keys: a site whose page payloads the extension
    forwards (its net rule) has a parser, and no parser waits for a site that sends nothing."""
    from vivim.importers.network import PAGED, PARSERS

    assert set(PARSERS) == {key for key, entry in site_list().items() if entry["net"]}
    assert PAGED <= set(PARSERS)


def test_the_extension_captures_on_exactly_the_registered_hosts() -> None:
    """The default sites in host_permissions with static content scripts; every other site an optional
    host permission whose scripts the service worker registers (sites.js scriptsOf) once granted."""
    manifest = json.loads((ROOT / "extension" / "manifest.json").read_text(encoding="utf-8"))
    listed = site_list()
    static = {f"https://{h}/*" for info in SITES if not listed[info.key]["optional"] for h in info.hosts}
    optional = {f"https://{h}/*" for info in SITES if listed[info.key]["optional"] for h in info.hosts}
    assert set(manifest["host_permissions"]) == static
    assert set(manifest.get("optional_host_permissions", [])) == optional
    assert "scripting" in manifest["permissions"]
    scripts = {m: script["js"] for script in manifest["content_scripts"] for m in script["matches"]}
    assert set(scripts) == static
    for info in SITES:
        if listed[info.key]["optional"]:
            continue
        for host in info.hosts:
            assert f"content/sites/{info.key}.js" in scripts[f"https://{host}/*"]


@pytest.mark.parametrize(
    "page",
    [
        "host/vivim/web/static/js/dom.js",
        "host/vivim/web/static/js/stats.js",
    ],
)
def test_the_pages_name_every_provider(page: str) -> None:
    text = (ROOT / page).read_text(encoding="utf-8")
    assert [p.key for p in PROVIDERS if not re.search(rf"\b{p.key}\b", text)] == []


def test_the_popup_names_every_provider_it_does_not_read_from_the_site_list() -> None:
    text = (ROOT / "extension" / "popup" / "popup.js").read_text(encoding="utf-8")
    assert "../sites.js" in text
    assert [p.key for p in PROVIDERS if p.kind != "site" and not re.search(rf"\b{p.key}\b", text)] == []


def test_the_web_app_has_an_icon_and_a_colour_for_every_site() -> None:
    css = (PACKAGE / "web" / "static" / "app.css").read_text(encoding="utf-8")
    for info in SITES:
        assert (PACKAGE / "web" / "static" / "icons" / f"{info.key}.svg").is_file(), info.key
        assert f".fill-{info.key} " in css and f"--{info.key}:" in css, info.key


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
