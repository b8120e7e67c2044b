#!/usr/bin/env bash
# Install what the browser end-to-end test needs: Debian's chromium (never a downloaded browser
# build) and, in the project's venv, playwright (the Python driver only) and jupyterlab.
# Idempotent: does nothing that is already there. Usage: bash tests/browser/setup.sh [VENV]
# Exit status 2 means chromium cannot be installed on this machine (no apt-get, or no right to use it).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${1:-$here/../../.venv}"
py="$venv/bin/python"
chromium="${VERTEX_IMAGE_CHROMIUM:-/usr/bin/chromium}"  # overridable only to test this script

if [ ! -x "$chromium" ]; then
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "browser setup: $chromium is missing and apt-get is not available" >&2
        exit 2
    fi
    sudo_cmd=""
    if [ "$(id -u)" != "0" ]; then
        if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo_cmd="sudo -n"; else
            echo "browser setup: $chromium is missing and this user cannot run apt-get" >&2
            exit 2
        fi
    fi
    export DEBIAN_FRONTEND=noninteractive
    $sudo_cmd apt-get update -qq
    $sudo_cmd apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
fi

if [ ! -x "$py" ]; then
    echo "browser setup: no Python at $py (run 'make setup' first)" >&2
    exit 1
fi
if ! "$py" -c "import playwright, jupyterlab" >/dev/null 2>&1; then
    # The Python driver only: the test uses /usr/bin/chromium, so no 'playwright install'.
    "$py" -m pip install --quiet "playwright>=1.40" "jupyterlab>=4"
fi
echo "browser setup: chromium $("$chromium" --version 2>/dev/null | awk '{print $2}'), playwright and jupyterlab ready"
