# Cross-references inside one rendered overlay that no schema can see: every ConfigMap and
# ServiceAccount a workload names, and every autoscaler's target, must be rendered too, and the
# namespace must start from a default-deny NetworkPolicy. (Secrets are made outside the manifests.) Input: all documents at once (gojq --yaml-input -s).
# Output: one line per broken reference; nothing when all is well.

def pod_spec:
  if .kind == "Deployment" or .kind == "StatefulSet" or .kind == "DaemonSet" or .kind == "Job"
  then .spec.template.spec
  else empty
  end;

map(select(type == "object" and has("kind"))) as $docs
| ($docs | map(select(.kind == "ConfigMap") | .metadata.name)) as $configmaps
| ($docs | map(select(.kind == "ServiceAccount") | .metadata.name)) as $accounts
| ($docs | map("\(.kind)/\(.metadata.name)")) as $ids
| (
    $docs[]
    | "\(.kind)/\(.metadata.name)" as $id
    | pod_spec
    | (
        ([(.containers + (.initContainers // []))[] | .envFrom[]?.configMapRef.name]
          + [.volumes[]?.configMap.name]
          | map(select(. != null))[]
          | select(. as $n | $configmaps | index([$n]) | not)
          | "\($id): ConfigMap \(.) is not rendered"),
        (.serviceAccountName // empty
          | select(. as $n | $accounts | index([$n]) | not)
          | "\($id): ServiceAccount \(.) is not rendered")
      )
  ),
  (
    $docs[]
    | select(.kind == "HorizontalPodAutoscaler" or .kind == "ScaledObject")
    | "\(.kind)/\(.metadata.name)" as $id
    | "\(.spec.scaleTargetRef.kind // "Deployment")/\(.spec.scaleTargetRef.name)"
    | select(. as $t | $ids | index([$t]) | not)
    | "\($id): scale target \(.) is not rendered"
  ),
  (
    if any($docs[]; .kind == "NetworkPolicy" and .spec.podSelector == {}
        and (.spec.policyTypes | index(["Ingress"]) and index(["Egress"]))
        and (.spec.ingress // []) == [] and (.spec.egress // []) == [])
    then empty
    else "no default-deny NetworkPolicy"
    end
  )
