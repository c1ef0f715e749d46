#!/usr/bin/env bash
# One-time machine set-up: Postgres, ffmpeg and Chromium from Debian packages (when missing and
# apt is available), then the Go-built servers (scripts/install-tools.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
{ command -v ffmpeg && command -v ffprobe; } >/dev/null 2>&1 || missing+=(ffmpeg)
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || command -v postgres >/dev/null 2>&1 || missing+=(postgresql)
# The console's browser journeys (packages/console) drive Debian's chromium with playwright-core.
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
# scripts/api-fuzz.sh keeps schemathesis in a virtualenv; Debian ships venv's pip separately.
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || missing+=(python3-venv)
if [ ${#missing[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null 2>&1; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "installing ${missing[*]} with apt-get"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "please install: ${missing[*]} (needed by the tests and the media worker)" >&2
  fi
fi
command -v ffmpeg >/dev/null && ffmpeg -hide_banner -version | head -1
ls /usr/lib/postgresql/*/bin/postgres 2>/dev/null || true

if ! command -v go >/dev/null 2>&1; then
  echo "Go is needed to build nats-server and Kubo: install it from your package manager (golang)" >&2
  exit 1
fi
bash scripts/install-tools.sh
