#!/usr/bin/env bash
# Fuzzes the HTTP API from its own OpenAPI document with schemathesis: starts the platform with
# `npm run dev` (fresh data directory, ports of its own), signs in as root and as a plain user, and
# fails on any 5xx, any status the document does not list for the operation, and any response body
# that does not match its documented schema. Schemathesis (PyPI) lives in a virtualenv cached under
# ${XDG_CACHE_HOME:-~/.cache}/media-vault, so later runs need no network.
#
#   bash scripts/api-fuzz.sh                    # every operation, the bounded CI run
#   API_FUZZ_EXAMPLES=200 bash scripts/api-fuzz.sh -- --include-path-regex agents
#
# Arguments after `--` go to `schemathesis run` as they are.
set -euo pipefail
cd "$(dirname "$0")/.."

SCHEMATHESIS_VERSION=4.32.5
examples=${API_FUZZ_EXAMPLES:-50}
cache="${XDG_CACHE_HOME:-$HOME/.cache}/media-vault"
venv="$cache/schemathesis-$SCHEMATHESIS_VERSION"
extra=()
if [ "${1:-}" = "--" ]; then
  shift
  extra=("$@")
fi

if [ ! -x "$venv/bin/schemathesis" ]; then
  echo "installing schemathesis $SCHEMATHESIS_VERSION into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv" || {
    echo "python3 -m venv failed: install python3 with venv (Debian: apt-get install python3-venv)" >&2
    exit 1
  }
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi
"$venv/bin/schemathesis" --version

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

work=$(mktemp -d)
dev_pid=""
stop_platform() {
  if [ -n "$dev_pid" ] && kill -0 "$dev_pid" 2>/dev/null; then
    # dev.ts stops every service on SIGTERM; the whole group is signalled so npm and tsx go too.
    kill -TERM -- "-$dev_pid" 2>/dev/null || true
    for _ in $(seq 1 60); do
      kill -0 "$dev_pid" 2>/dev/null || break
      sleep 0.5
    done
    kill -KILL -- "-$dev_pid" 2>/dev/null || true
  fi
  dev_pid=""
}
cleanup() {
  stop_platform
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port=$(free_port)
base="http://127.0.0.1:$port"
# Not the development defaults (8080, 4222, 5001, 9101-9104), so a running `npm run dev` is left
# alone; the JWT secret is the development one `npm run token` signs with.
echo "starting the platform on $base (data in $work/data, log in $work/dev.log)"
env -u JWT_SECRET -u NATS_URL -u IPFS_API_URL -u DATABASE_URL \
  DATA_DIR="$work/data" PORT="$port" LOG_LEVEL=warn \
  DEV_NATS_PORT="$(free_port)" DEV_KUBO_PORT="$(free_port)" DEV_HEALTH_PORT="$(free_port)" \
  setsid npm run dev >"$work/dev.log" 2>&1 &
dev_pid=$!

fail_start() {
  echo "FAILED: $1; the platform's log:" >&2
  tail -n 60 "$work/dev.log" >&2
  exit 1
}

root=$(npm run -s token -- --user api-fuzz-root --roles 1 --ttl 1h | tail -n 1)
user=$(npm run -s token -- --user api-fuzz-user --ttl 1h | tail -n 1)

# /readyz says the gateway reached NATS and the tasks and assets services serve their commands.
deadline=$((SECONDS + 180))
until curl -fsS -o /dev/null "$base/readyz" 2>/dev/null; do
  kill -0 "$dev_pid" 2>/dev/null || fail_start "npm run dev exited"
  [ "$SECONDS" -lt "$deadline" ] || fail_start "the platform did not answer within 180 s"
  sleep 1
done
echo "platform ready"

# The event stream (Server-Sent Events) never ends, so it is left out: its tests are the gateway's
# console-events test and the console's browser journeys.
# Root reaches every operation past its role checks; the plain user sees the 403s and the
# owner-only paths. Checks: 5xx, statuses the document does not list for the operation, response
# bodies against their schemas, content types against the documented ones.
checks=not_a_server_error,status_code_conformance,response_schema_conformance,content_type_conformance
status=0
# schemathesis closes with pytest's banner ("=== 3 warnings in 20.67s ==="), which log readers take
# for a pytest run that executed no test; the same facts are printed without the banner.
banner='s/^=+ (.*) in ([0-9.]+s) =+$/schemathesis: \1 (\2)/; s/^=+ (.*) =+$/-- \1 --/'
# One worker: hypothesis's lambda descriptions call ast.parse, which is not thread-safe on
# Python 3.11 (Debian 12's python3) and fails runs with "AST constructor recursion depth mismatch".
for who in root user; do
  token=${!who}
  echo
  echo "== schemathesis as $who ($examples examples per operation)"
  # From the scratch directory, where schemathesis leaves its .schemathesis cache.
  (cd "$work" && "$venv/bin/schemathesis" run "$base/docs/json" \
    --checks "$checks" \
    --header "Token: $token" \
    --max-examples "$examples" \
    --phases examples,coverage,fuzzing \
    --seed 20261130 \
    --workers 1 \
    --request-timeout 20 \
    --generation-database none \
    --no-color \
    --report junit --report-dir "$work/report-$who" \
    --exclude-path /api/v1/events/ \
    "${extra[@]}") 2>&1 | sed -E "$banner" || status=1
done

if [ "$status" -ne 0 ]; then
  echo "FAILED: schemathesis found problems (reproduce with: bash scripts/api-fuzz.sh)" >&2
  echo "last lines of the platform's log:" >&2
  grep -iE '"level":(50|60)|error' "$work/dev.log" | tail -n 20 >&2 || true
fi
exit "$status"
