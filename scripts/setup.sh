#!/usr/bin/env bash
# Installs what the platform and its tests need and this machine lacks, one line per tool:
# Postgres, ffmpeg, Chromium, a CJK font and python3-venv from Debian packages (apt-get), then
# the Go-built servers (scripts/install-tools.sh). `npm run dev` and `npm test` run it first;
# with everything present it only says so.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN="${MEDIA_VAULT_BIN:-${XDG_CACHE_HOME:-$HOME/.cache}/media-vault/bin}"
say() { printf 'setup: %-14s %s\n' "$1" "$2"; }

missing=()
check() { # tool debian-package description command...
  local tool=$1 package=$2 what=$3
  shift 3
  if "$@" >/dev/null 2>&1; then
    say "$tool" "present"
  else
    say "$tool" "missing ($what)"
    missing+=("$package")
  fi
}
check ffmpeg ffmpeg 'the media worker and agents' bash -c 'command -v ffmpeg && command -v ffprobe'
check postgres postgresql 'the tests and DATABASE_URL' \
  bash -c 'ls /usr/lib/postgresql/*/bin/postgres || command -v postgres'
# The console's browser journeys (packages/console) drive Debian's chromium with playwright-core.
check chromium chromium "the console's browser tests" command -v chromium
# Without a CJK font Chromium draws the seed's status names (上载中) as empty boxes, in the
# console and in the screenshots the README shows.
check cjk-font fonts-wqy-microhei "the seed's Chinese status names in Chromium" \
  bash -c 'fc-list :lang=zh | grep -q .'
# scripts/api-fuzz.sh keeps schemathesis in a virtualenv; Debian ships venv's pip separately.
check python3-venv python3-venv 'the API fuzzing' python3 -c 'import ensurepip, venv'

if [ ${#missing[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null 2>&1; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    say apt-get "installing ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
      "${missing[@]}" >/dev/null
    say apt-get "installed ${missing[*]}"
  else
    say apt-get "not available: install ${missing[*]} with your package manager" >&2
  fi
fi

# The Go-built servers: Go is needed only to build one that is missing.
go_missing=()
for tool in nats-server ipfs nats weed; do
  [ -x "$BIN/$tool" ] || go_missing+=("$tool")
done
if [ ${#go_missing[@]} -gt 0 ] && ! command -v go >/dev/null 2>&1; then
  say go "not available: install Go (golang) to build ${go_missing[*]} into $BIN" >&2
  exit 1
fi
bash scripts/install-tools.sh | sed -u 's/^/setup: /'
