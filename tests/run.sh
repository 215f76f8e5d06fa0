#!/usr/bin/env bash
# The whole test suite, on a fresh machine or a used one: `bash tests/run.sh [pytest args]`.
# Sets up what the tests need (a venv with the package and its test extras; Debian's Chromium
# for the real-browser tests, when we may install system packages), then runs pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV="${VIVIM_TEST_VENV:-.venv}"
PYTHON="${PYTHON:-python3}"

if [ ! -x "$VENV/bin/python" ]; then
  echo "==> creating $VENV"
  "$PYTHON" -m venv "$VENV"
fi
echo "==> installing vivim and its test dependencies into $VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet -e ".[test,dev]"

# --- JS lint/type tools (eslint, tsc), pinned by package-lock.json ---
if ! command -v npm >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "==> installing Debian's nodejs and npm for the JavaScript lint and type checks"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
  else
    echo "==> npm is not installed and cannot be installed here: JavaScript checks will be skipped"
  fi
fi
if command -v npm >/dev/null && ! cmp -s package-lock.json node_modules/.vivim-installed-lock; then
  echo "==> installing the JavaScript lint and type tools (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json node_modules/.vivim-installed-lock
fi

if [ ! -x /usr/lib/chromium/chromium ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "==> installing Debian's chromium for the browser tests"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
  else
    echo "==> chromium is not installed and cannot be installed here: browser tests will be skipped"
  fi
fi

# --- Firefox ESR, for tests/e2e_firefox (driven over WebDriver BiDi: no geckodriver needed) ---
if [ ! -x /usr/bin/firefox-esr ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "==> installing Debian's firefox-esr for the Firefox browser tests"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends firefox-esr >/dev/null
  else
    echo "==> firefox-esr is not installed and cannot be installed here: Firefox tests will be skipped"
  fi
fi
# --- end Firefox ---

# --- iproute2, for the relay-only sync test in network namespaces (tests/sync/test_relay_netns.py) ---
if ! command -v ip >/dev/null || ! command -v nsenter >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "==> installing iproute2 and util-linux for the network-namespace sync test"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends iproute2 util-linux >/dev/null
  else
    echo "==> ip/nsenter are not installed and cannot be installed here: the namespace sync test will be skipped"
  fi
fi
# nftables, for the two home routers doing NAT in the hole-punching sync test (tests/sync/netns.py)
if ! command -v nft >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "==> installing Debian's nftables for the NAT (hole punching) sync test"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nftables >/dev/null
  else
    echo "==> nft is not installed and cannot be installed here: the NAT sync test will be skipped"
  fi
fi

if [ "${VIVIM_SETUP_ONLY:-}" = 1 ]; then exit 0; fi
echo "==> running the test suite"
exec "$VENV/bin/python" -m pytest "$@"
