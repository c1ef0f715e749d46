#!/usr/bin/env bash
# Regenerates the JSON schemas of the custom resources the manifests use, from the CRDs in the
# operators' own Go modules (fetched through the Go module proxy). The output is committed, so
# validation needs neither the network nor the operators; run this after raising a version below.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../tools/lib.sh
source "$here/../tools/lib.sh"

CLOUDNATIVE_PG=github.com/cloudnative-pg/cloudnative-pg@v1.30.1
KEDA=github.com/kedacore/keda/v2@v2.21.0

# module@version, CRD file in the module, version of the resource, output under deploy/schemas
SCHEMAS=(
  "$CLOUDNATIVE_PG config/crd/bases/postgresql.cnpg.io_clusters.yaml v1 postgresql.cnpg.io/cluster_v1.json"
  "$KEDA config/crd/bases/keda.sh_scaledobjects.yaml v1alpha1 keda.sh/scaledobject_v1alpha1.json"
)

ensure_gojq
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
go mod init schemas >/dev/null 2>&1

for entry in "${SCHEMAS[@]}"; do
  read -r module file version out <<<"$entry"
  dir=$(go mod download -json "$module" | gojq -r .Dir)
  mkdir -p "$here/$(dirname "$out")"
  gojq --yaml-input --arg version "$version" --arg source "$module $file" \
    -f "$here/crd-to-schema.jq" "$dir/$file" >"$here/$out"
  echo "$out from $module $file"
done

# The repository's format check covers JSON; leave the files as prettier writes them.
cd "$here/../.."
if [ -x node_modules/.bin/prettier ]; then
  node_modules/.bin/prettier --log-level warn --write deploy/schemas
else
  echo "warning: prettier is not installed (npm ci); format deploy/schemas before committing" >&2
fi
