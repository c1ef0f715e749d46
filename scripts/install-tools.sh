#!/usr/bin/env bash
# Builds the Go servers the platform and its tests run against (nats-server, Kubo, the nats CLI,
# SeaweedFS for the S3 object store)
# into a cache outside the clone, so repeat runs reuse them. Needs only `go` and the Go module proxy.
set -euo pipefail

NATS_SERVER_VERSION=v2.15.2
KUBO_VERSION=v0.43.0
NATSCLI_VERSION=v0.3.0
# SeaweedFS publishes no semver module versions; this pseudo-version is its commit of 2026-11-09.
SEAWEEDFS_VERSION=v0.0.0-20261109003541-7506e5f91cd6

BIN="${MEDIA_VAULT_BIN:-${XDG_CACHE_HOME:-$HOME/.cache}/media-vault/bin}"
mkdir -p "$BIN"
export GOBIN="$BIN"
export GOFLAGS="${GOFLAGS:-} -trimpath"

has_version() { # binary expected-substring
  [ -x "$BIN/$1" ] && "$BIN/$1" --version 2>/dev/null | grep -q -- "$2"
}

# `go install pkg@version` asks the proxy for the module's version list to check deprecation;
# building from a throw-away module that pins the version needs only that version.
build_pinned() { # module version package
  local dir
  dir=$(mktemp -d)
  (
    cd "$dir"
    go mod init tools >/dev/null 2>&1
    printf '//go:build tools\npackage tools\nimport _ "%s"\n' "$3" >tools.go
    go mod edit -require="$1@$2"
    go mod tidy
    go install "$3"
  )
  rm -rf "$dir"
}

if has_version nats-server "${NATS_SERVER_VERSION#v}"; then
  echo "nats-server ${NATS_SERVER_VERSION} already in $BIN"
else
  echo "building nats-server ${NATS_SERVER_VERSION}"
  go install "github.com/nats-io/nats-server/v2@${NATS_SERVER_VERSION}"
fi

if has_version ipfs "${KUBO_VERSION#v}"; then
  echo "kubo ${KUBO_VERSION} already in $BIN"
else
  echo "building kubo ${KUBO_VERSION}"
  build_pinned github.com/ipfs/kubo "$KUBO_VERSION" github.com/ipfs/kubo/cmd/ipfs
fi

if has_version nats "${NATSCLI_VERSION#v}"; then
  echo "nats CLI ${NATSCLI_VERSION} already in $BIN"
else
  echo "building nats CLI ${NATSCLI_VERSION}"
  build_pinned github.com/nats-io/natscli "$NATSCLI_VERSION" github.com/nats-io/natscli/nats || \
    echo "warning: the nats CLI could not be built; everything but 'nats sub' still works"
fi

# `weed version` names the release, not the module version it was built from: a stamp file
# next to the binary records that.
if [ -x "$BIN/weed" ] && [ "$(cat "$BIN/.weed-version" 2>/dev/null)" = "$SEAWEEDFS_VERSION" ]; then
  echo "SeaweedFS ${SEAWEEDFS_VERSION} already in $BIN"
else
  echo "building SeaweedFS ${SEAWEEDFS_VERSION} (a few minutes the first time)"
  build_pinned github.com/seaweedfs/seaweedfs "$SEAWEEDFS_VERSION" github.com/seaweedfs/seaweedfs/weed
  echo "$SEAWEEDFS_VERSION" >"$BIN/.weed-version"
fi

echo "tools in $BIN: $(ls -1 "$BIN" | tr '\n' ' ')"
