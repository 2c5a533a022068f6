#!/usr/bin/env bash
# Installs what run.mjs needs to drive the battgen extension in a real VS Code (code-server)
# through headless Chromium, using only Debian packages and the npm registry.
# Idempotent: every step is skipped when its result is already there.
# Route: code-server 4.99.4 (the last line that runs on Node 20) + Debian chromium + playwright-core.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$HERE"

log() { printf '[e2e setup %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

# 1. Debian packages, installed only if missing.
DEB_PKGS=(build-essential pkg-config libkrb5-dev libxkbfile-dev libsecret-1-dev libx11-dev ripgrep chromium)
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
  log "Debian packages present"
fi

# 2. code-server + playwright-core from this folder's package.json / package-lock.json.
#    --ignore-scripts: two postinstall steps (@vscode/ripgrep, argon2) download from outside the registries.
CS="$HERE/node_modules/code-server"
if [ ! -f "$CS/package.json" ] || [ ! -f "$HERE/node_modules/playwright-core/package.json" ]; then
  log "npm ci --ignore-scripts (code-server, playwright-core)"
  if [ -f package-lock.json ]; then
    npm ci --ignore-scripts --no-audit --no-fund
  else
    npm install --ignore-scripts --no-audit --no-fund
  fi
else
  log "code-server and playwright-core present"
fi

# 3. code-server's bundled VS Code: its own dependencies, ripgrep, native modules, links.
VS="$CS/lib/vscode"
cd "$VS"
if [ ! -f node_modules/.battgen-e2e-installed ]; then
  log "lib/vscode: npm install --ignore-scripts (slow)"
  npm install --ignore-scripts --no-audit --no-fund
  touch node_modules/.battgen-e2e-installed
else
  log "lib/vscode dependencies present"
fi
if [ ! -e node_modules/@vscode/ripgrep/bin/rg ]; then
  log "linking Debian ripgrep"
  mkdir -p node_modules/@vscode/ripgrep/bin
  ln -sfn /usr/bin/rg node_modules/@vscode/ripgrep/bin/rg
fi
if [ ! -f node_modules/.battgen-e2e-rebuilt ]; then
  log "lib/vscode: npm rebuild native modules (slow)"
  npm_config_yes=true npm rebuild @parcel/watcher @vscode/deviceid @vscode/spdlog kerberos native-watchdog node-pty
  touch node_modules/.battgen-e2e-rebuilt
else
  log "lib/vscode native modules built"
fi
[ -e node_modules.asar ] || ln -sfn node_modules node_modules.asar
[ -e bin/remote-cli/code-server ] || ln -sfn code-linux.sh bin/remote-cli/code-server
[ -e bin/helpers/browser.sh ] || ln -sfn browser-linux.sh bin/helpers/browser.sh
if [ ! -f extensions/node_modules/.battgen-e2e-installed ]; then
  log "lib/vscode/extensions: npm install --ignore-scripts"
  (cd extensions && npm install --ignore-scripts --no-audit --no-fund && touch node_modules/.battgen-e2e-installed)
else
  log "lib/vscode/extensions dependencies present"
fi

# 4. argon2 (password hashing; needed at load even with --auth none), built from source.
cd "$HERE"
if ! ls node_modules/argon2/build/Release/*.node >/dev/null 2>&1 && ! ls node_modules/argon2/lib/binding/*/*.node >/dev/null 2>&1; then
  log "npm rebuild argon2 --build-from-source"
  # (npm_config_build_from_source is the same as --build-from-source, which npm 11 warns about)
  npm_config_build_from_source=true npm rebuild argon2
else
  log "argon2 built"
fi

# 5. Smoke check: code-server starts far enough to print its version.
if node "$CS/out/node/entry.js" --version >/dev/null 2>&1; then
  log "ok: code-server $(node "$CS/out/node/entry.js" --version 2>/dev/null | head -1)"
else
  log "code-server --version failed"; node "$CS/out/node/entry.js" --version; exit 1
fi
