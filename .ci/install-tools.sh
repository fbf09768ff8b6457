#!/usr/bin/env bash
# Install the external validation tools the test suite needs beyond the Python
# virtualenv:
#   * Debian packages: chromium, poppler-utils (pdffonts/pdfinfo/pdftotext/pdftoppm),
#     qpdf, calibre (ebook-convert), default-jre-headless (java).
#   * Node tools in a project-local prefix .tools/node (git-ignored, never global):
#     @daisy/ace-cli (Ace by DAISY, Puppeteer runner), axe-core, vnu-jar.
#
# Idempotent: packages/tools already present are skipped, so a re-run only
# prints the versions.  Only the npm registry, PyPI and Debian's apt
# repositories are reachable, so nothing here may download a browser or a
# binary from anywhere else (hence PUPPETEER_SKIP_DOWNLOAD=true; tests use
# Debian's /usr/bin/chromium through PUPPETEER_EXECUTABLE_PATH).
#
# Usage: bash .ci/install-tools.sh        (as root, or with sudo available)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NODE_PREFIX="$ROOT/.tools/node"

# Pinned tool versions.  Changing one re-runs `npm install` (see STAMP below).
ACE_CLI_VERSION="1.4.6"
AXE_CORE_VERSION="4.14.1"
VNU_JAR_VERSION="26.9.27"

APT_PACKAGES=(chromium poppler-utils qpdf calibre default-jre-headless)

log() { printf '[install-tools] %s\n' "$*" >&2; }

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=(sudo); else
    log "not root and no sudo: cannot install Debian packages"; exit 1
  fi
fi

# ---------------------------------------------------------------- Debian packages
pkg_installed() {
  [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)" = "installed" ]
}

missing=()
for p in "${APT_PACKAGES[@]}"; do
  pkg_installed "$p" || missing+=("$p")
done

if [ "${#missing[@]}" -gt 0 ]; then
  log "apt: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Refresh the package lists once; stale lists make security-updated
  # packages (chromium, calibre) fail with 404.
  "${SUDO[@]}" apt-get update -qq
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  log "apt: all packages present (${APT_PACKAGES[*]})"
fi

# ---------------------------------------------------------------- Node tools
command -v npm >/dev/null 2>&1 || { log "npm not found (Node 20+ required)"; exit 1; }

STAMP="$NODE_PREFIX/.installed"
SPEC="ace-cli=$ACE_CLI_VERSION axe-core=$AXE_CORE_VERSION vnu-jar=$VNU_JAR_VERSION"
ACE_BIN="$NODE_PREFIX/node_modules/.bin/ace-cli"
AXE_JS="$NODE_PREFIX/node_modules/axe-core/axe.min.js"
VNU_JAR="$NODE_PREFIX/node_modules/vnu-jar/build/dist/vnu.jar"

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$SPEC" ] \
   && [ -x "$ACE_BIN" ] && [ -f "$AXE_JS" ] && [ -f "$VNU_JAR" ]; then
  log "npm: tools present in $NODE_PREFIX ($SPEC)"
else
  log "npm: installing $SPEC into $NODE_PREFIX"
  mkdir -p "$NODE_PREFIX"
  # A private package.json keeps the install local to the prefix and
  # prevents npm from walking up to some other package.json.
  cat >"$NODE_PREFIX/package.json" <<EOF
{
  "name": "report-publisher-ci-tools",
  "private": true,
  "description": "External validation tools for the test suite (written by .ci/install-tools.sh)",
  "dependencies": {
    "@daisy/ace-cli": "$ACE_CLI_VERSION",
    "axe-core": "$AXE_CORE_VERSION",
    "vnu-jar": "$VNU_JAR_VERSION"
  }
}
EOF
  rm -f "$STAMP"
  # Puppeteer's postinstall would fetch Chrome from Google: skip it, the
  # tests point Puppeteer at Debian's chromium instead.
  PUPPETEER_SKIP_DOWNLOAD=true \
    npm install --prefix "$NODE_PREFIX" --prefer-offline --no-audit --no-fund --loglevel=error
  printf '%s' "$SPEC" >"$STAMP"
fi

# ---------------------------------------------------------------- verification
fail=0
errf="$(mktemp)"; trap 'rm -f "$errf"' EXIT
check() {  # check LABEL CMD...  -> prints "LABEL: first line of stdout (else stderr)"
  local label="$1"; shift
  local out
  if out="$("$@" 2>"$errf")"; then
    # e.g. java -version prints on stderr; chromium's wrapper may print
    # harmless shell noise from /etc/chromium.d/* on stderr.
    [ -n "$out" ] || out="$(cat "$errf")"
    printf '%-14s %s\n' "$label:" "$(printf '%s\n' "$out" | grep -m1 -v '^[[:space:]]*$' || true)"
  else
    printf '%-14s FAILED (%s)\n' "$label:" "$(tail -n1 "$errf")"; fail=1
  fi
}

check chromium      chromium --version
check ebook-convert ebook-convert --version
check qpdf          qpdf --version
check pdffonts      pdffonts -v
check java          java -version
check ace-cli       env PUPPETEER_EXECUTABLE_PATH=/usr/bin/chromium "$ACE_BIN" --version
check vnu           java -jar "$VNU_JAR" --version
if [ -f "$AXE_JS" ]; then
  printf '%-14s %s (axe-core %s)\n' "axe.min.js:" "$AXE_JS" "$AXE_CORE_VERSION"
else
  printf '%-14s MISSING (%s)\n' "axe.min.js:" "$AXE_JS"; fail=1
fi

exit "$fail"
