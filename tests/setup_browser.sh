#!/usr/bin/env bash
# Installs the browser tests/test_assembly.py looks at the assembly pictures with: Debian's
# chromium, only if missing (as editors/vscode/e2e/setup.sh does for the editor tests).
set -euo pipefail
if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
echo "[test setup] apt-get install chromium (the assembly pictures are checked in a browser)"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium
