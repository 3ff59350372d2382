#!/usr/bin/env bash
# Installs headless Chromium (Debian package `chromium`) for tests/report.rs, which opens the
# HTML report of a run in it. Idempotent and quiet: does nothing when /usr/bin/chromium is
# already there. Needs root (or sudo) and apt-get; no systemd.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        exec sudo -n "$0" "$@"
    fi
    echo "install_chromium.sh: run as root to install chromium with apt-get" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium; } >"$log" 2>&1; then
    cat "$log" >&2
    echo "install_chromium.sh: apt-get install chromium failed" >&2
    exit 1
fi
if [ ! -x /usr/bin/chromium ]; then
    echo "install_chromium.sh: chromium installed but /usr/bin/chromium is missing" >&2
    exit 1
fi
echo "installed $(/usr/bin/chromium --version 2>/dev/null || echo chromium)"
