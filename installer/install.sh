#!/usr/bin/env bash
# VIVIM: one-command install for Linux and macOS, run from a checkout.
#
#   bash installer/install.sh [options for `vivim install`, e.g. --browser chromium --profile-dir DIR]
#
# It finds Python >= 3.11, creates (or reuses and upgrades) an isolated virtual environment,
# installs this checkout into it, registers the native-messaging host with your browsers
# (`vivim install`), checks everything (`vivim doctor`), and tells you how to load the extension.
# Re-running it upgrades in place.
#
# Environment:
#   VIVIM_VENV       where the virtual environment lives   (default: ~/.local/share/vivim/venv)
#   VIVIM_PYTHON     the Python to build it with            (default: the newest python3.x >= 3.11 on PATH)
#   VIVIM_VENV_ARGS  extra `python -m venv` arguments       (e.g. --system-site-packages)
#   VIVIM_PIP_ARGS   extra `pip install` arguments          (e.g. "--no-index --find-links ./wheels")
#   VIVIM_HOME       the data directory                     (default: the platform's user data folder)
#   VIVIM_BIN_DIR    where the `vivim` link goes            (default: ~/.local/bin, as pipx does)
set -euo pipefail

MIN_MAJOR=3
MIN_MINOR=11
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${VIVIM_VENV:-$HOME/.local/share/vivim/venv}"

say() { printf '%s\n' "$*"; }
step() { printf '\n==> %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

python_ok() {
    "$1" -c "import sys; sys.exit(0 if sys.version_info >= ($MIN_MAJOR, $MIN_MINOR) else 1)" 2>/dev/null
}

find_python() {
    if [ -n "${VIVIM_PYTHON:-}" ]; then
        python_ok "$VIVIM_PYTHON" || die "VIVIM_PYTHON=$VIVIM_PYTHON is not Python >= $MIN_MAJOR.$MIN_MINOR"
        printf '%s' "$VIVIM_PYTHON"
        return
    fi
    local candidate
    for candidate in python3.14 python3.13 python3.12 python3.11 python3; do
        if command -v "$candidate" >/dev/null 2>&1 && python_ok "$(command -v "$candidate")"; then
            command -v "$candidate"
            return
        fi
    done
    local hint="install Python $MIN_MAJOR.$MIN_MINOR or newer"
    case "$(uname -s)" in
        Darwin) hint="$hint (e.g. \`brew install python@3.12\`, or the installer from python.org)" ;;
        Linux) hint="$hint (e.g. \`sudo apt install python3.12 python3.12-venv\` or \`sudo dnf install python3.12\`)" ;;
    esac
    die "no Python >= $MIN_MAJOR.$MIN_MINOR found on PATH; $hint, or set VIVIM_PYTHON=/path/to/python3"
}

[ -f "$REPO/pyproject.toml" ] && [ -d "$REPO/host/vivim" ] || die "run this from a VIVIM checkout ($REPO has no pyproject.toml)"

step "Python"
PYTHON="$(find_python)"
say "using $PYTHON ($("$PYTHON" -c 'import sys; print(sys.version.split()[0])'))"

step "Virtual environment: $VENV"
if [ -x "$VENV/bin/python" ] && python_ok "$VENV/bin/python"; then
    say "reusing it (upgrading in place)"
else
    if [ -e "$VENV" ]; then
        # Only ever delete something that is a virtual environment (e.g. one whose Python was removed).
        [ -f "$VENV/pyvenv.cfg" ] || die "$VENV exists and is not a virtual environment; move it away or set VIVIM_VENV"
        say "its Python no longer works; recreating it"
        rm -rf "$VENV"
    fi
    mkdir -p "$(dirname "$VENV")"
    # shellcheck disable=SC2086  # VIVIM_VENV_ARGS is a list of words on purpose
    "$PYTHON" -m venv ${VIVIM_VENV_ARGS:-} "$VENV" \
        || die "could not create a virtual environment; on Debian/Ubuntu install the venv module: sudo apt install python3-venv"
fi

step "Installing VIVIM from $REPO"
# setuptools builds in $REPO/build and never prunes it: a module deleted since the last install
# would be installed again from there. It is a build artifact (ignored by git), so start clean.
rm -rf "$REPO/build"
# pip's hundreds of progress lines go to a log, not between the steps; its errors still show here.
PIP_LOG="$VENV/pip-install.log"
say "(pip's full output: $PIP_LOG)"
# shellcheck disable=SC2086
"$VENV/bin/python" -m pip install --quiet --log "$PIP_LOG" --disable-pip-version-check --upgrade \
    ${VIVIM_PIP_ARGS:-} "$REPO" \
    || die "pip could not install VIVIM (above, and in full in $PIP_LOG)"

step "The vivim command"
# pipx's convention: a link in ~/.local/bin (XDG's user bin folder), never over a file we did not make.
BIN_DIR="${VIVIM_BIN_DIR:-$HOME/.local/bin}"
VIVIM_CMD="$VENV/bin/vivim"
mkdir -p "$BIN_DIR"
if [ -e "$BIN_DIR/vivim" ] && [ ! -L "$BIN_DIR/vivim" ]; then
    say "$BIN_DIR/vivim exists and is not a link made by this script; left alone. The command is $VENV/bin/vivim"
else
    ln -sfn "$VENV/bin/vivim" "$BIN_DIR/vivim"
    say "linked $BIN_DIR/vivim -> $VENV/bin/vivim"
    case ":$PATH:" in
        *":$BIN_DIR:"*) VIVIM_CMD="vivim" ;;
        *) say "note: $BIN_DIR is not on your PATH; add it to type just \`vivim\`:"
           say "  echo 'export PATH=\"$BIN_DIR:\$PATH\"' >> ~/.profile   (then open a new terminal)" ;;
    esac
fi

step "Registering the native-messaging host"
export VIVIM_EXTENSION_DIR="$REPO/extension"
# No browser on this machine (a home server for `vivim serve`) is not a failure: vivim install says so.
"$VENV/bin/vivim" install "$@" || die "\`vivim install\` failed (see above); fix that and run this script again"

step "Checking the installation"
doctor_ok=1
"$VENV/bin/vivim" doctor || doctor_ok=0

step "Load the extension"
cat <<TEXT
Chrome, Chromium, Brave, Edge, Vivaldi:
  1. open chrome://extensions (edge://extensions, brave://extensions, vivaldi:extensions)
  2. switch on "Developer mode"
  3. click "Load unpacked" and choose: $REPO/extension
Firefox:
  1. open about:debugging#/runtime/this-firefox
  2. click "Load Temporary Add-on..." and choose: $REPO/extension/manifest.json
Store packages (Chrome Web Store zip, Firefox .xpi): $VIVIM_CMD extension build

On a machine without a browser (a home server): $VIVIM_CMD serve
Remove the browser registration with: $VIVIM_CMD uninstall
TEXT

if [ "$doctor_ok" -ne 1 ]; then
    say ""
    die "\`vivim doctor\` found problems (listed above with their fixes)"
fi
say ""
say "VIVIM is installed."
