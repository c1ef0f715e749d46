#!/usr/bin/env bash
# Checks the deployment without a cluster or a Docker engine:
#   1. lints the Dockerfile every service image is built from (hadolint);
#   2. renders both overlays (kustomize);
#   3. validates every rendered object, -strict, against the Kubernetes JSON schemas and the
#      committed CRD schemas in deploy/schemas (kubeconform, local files only, no network);
#   4. checks cross-references schemas cannot see (ConfigMaps, ServiceAccounts, scale targets,
#      the default-deny NetworkPolicy) and the workload policy (probes, limits, non-root, ...);
#   5. proves the policy and the reference check can fail, on the bad fixtures in tools/fixtures.
# The tools and the Kubernetes schemas are fetched once (Go module proxy, PyPI) into
# ${XDG_CACHE_HOME:-~/.cache}/media-vault; later runs use them offline. See deploy/README.md.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
cd "$(dirname "$0")/.."
deploy=deploy
started=$(date +%s)
step() { printf '\n== %s (%ss)\n' "$1" "$(($(date +%s) - started))"; }

# shellcheck source=tools/lib.sh
source "$deploy/tools/lib.sh"

step "tools (cached in $BIN)"
ensure_kustomize
ensure_kubeconform
ensure_gojq
ensure_hadolint
k8s_schemas=$(ensure_k8s_schemas)
echo "kustomize $KUSTOMIZE_VERSION, kubeconform $KUBECONFORM_VERSION, gojq $GOJQ_VERSION," \
  "hadolint $HADOLINT_VERSION; Kubernetes $KUBERNETES_VERSION schemas from" \
  "kubernetes-validate $KUBERNETES_VALIDATE_VERSION"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0
fail() {
  echo "FAILED: $*" >&2
  failed=1
}

step "hadolint Dockerfile"
if hadolint --no-color Dockerfile; then
  echo "Dockerfile clean"
else
  fail "hadolint"
fi

overlays=(dev prod)
for overlay in "${overlays[@]}"; do
  step "render overlays/$overlay"
  kustomize build "$deploy/overlays/$overlay" >"$work/$overlay.yaml"
  gojq --yaml-input -r .kind "$work/$overlay.yaml" | sort | uniq -c |
    awk '{ printf "%s%s %s", (NR > 1 ? ", " : ""), $1, $2 } END { print "" }'

  step "kubeconform -strict overlays/$overlay"
  # Kubernetes kinds first, then the custom resources; an object neither has a schema for fails.
  kubeconform -strict -summary -output text \
    -kubernetes-version "$KUBERNETES_VERSION" \
    -schema-location "$k8s_schemas/{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json" \
    -schema-location "$deploy/schemas/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json" \
    "$work/$overlay.yaml" || fail "kubeconform overlays/$overlay"

  step "references and policy overlays/$overlay"
  refs=$(gojq --yaml-input -s -r -f "$deploy/tools/refs.jq" "$work/$overlay.yaml")
  if [ -n "$refs" ]; then
    echo "$refs"
    fail "references in overlays/$overlay"
  else
    echo "references: every ConfigMap, ServiceAccount and scale target named is rendered"
  fi
  gojq --yaml-input -r -f "$deploy/tools/policy.jq" "$work/$overlay.yaml" >"$work/$overlay.policy"
  checked=$(grep -c '' "$work/$overlay.policy" || true)
  if grep -q '^fail' "$work/$overlay.policy"; then
    grep '^fail' "$work/$overlay.policy" | cut -f2- | sed 's/\t/: /'
    fail "policy in overlays/$overlay"
  elif [ "$checked" -lt 10 ]; then
    # Fewer than the platform's workloads, accounts and settings: the policy saw something else.
    fail "policy checked only $checked objects in overlays/$overlay"
  else
    echo "policy: $checked workloads, ServiceAccounts and ConfigMaps pass"
  fi
done

step "self-test: the policy rejects tools/fixtures/bad-workloads.yaml"
fixture="$deploy/tools/fixtures/bad-workloads.yaml"
gojq --yaml-input -r -f "$deploy/tools/policy.jq" "$fixture" | sort >"$work/got"
# shellcheck disable=SC2016 # a jq program, not shell
gojq --yaml-input -r '
    "\(.kind)/\(.metadata.name)" as $id
    | .metadata.annotations["policy-test/expect"] // error("\($id) lists no expected problem")
    | split("\n")[] | select(length > 0) | "fail\t\($id)\t\(.)"' "$fixture" | sort >"$work/want"
if diff -u "$work/want" "$work/got"; then
  echo "caught all $(grep -c '' "$work/want") planted problems in" \
    "$(gojq --yaml-input -r '.kind' "$fixture" | grep -c '') objects:"
  cut -f2- "$work/got" | sed 's/\t/: /; s/^/  /'
else
  fail "the policy did not report exactly the planted problems (- expected, + reported)"
fi

step "self-test: the reference check rejects tools/fixtures/bad-refs.yaml"
if gojq --yaml-input -s -r -f "$deploy/tools/refs.jq" "$deploy/tools/fixtures/bad-refs.yaml" |
  diff -u "$deploy/tools/fixtures/bad-refs.expected" -; then
  sed 's/^/  /' "$deploy/tools/fixtures/bad-refs.expected"
else
  fail "the reference check did not report exactly bad-refs.expected (- expected, + reported)"
fi

step "done"
if [ "$failed" -ne 0 ]; then
  echo "deploy/validate.sh: FAILED" >&2
  exit 1
fi
echo "deploy/validate.sh: both overlays render, validate and pass the policy"
