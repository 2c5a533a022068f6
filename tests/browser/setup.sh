#!/usr/bin/env bash
# Installs what tests/test_pictures.py needs to look at a build as a person would: Debian's
# chromium (driven headless by the `playwright` Python package, from the `test` extra) and a
# font with the characters the pictures use. Debian packages only; idempotent: nothing is
# done when they are there. `make test` runs it; the test runs it itself when chromium is
# missing (a fresh machine running pytest alone).
set -euo pipefail

log() { printf '[browser setup %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

DEB_PKGS=(chromium fonts-dejavu-core)
missing=()
for p in "${DEB_PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  log "apt-get install: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  log "chromium and fonts present"
fi
command -v chromium >/dev/null || { log "chromium is not on PATH after the install"; exit 1; }
