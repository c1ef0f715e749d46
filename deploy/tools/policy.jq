# The rules every workload in the rendered manifests must meet, over and above schema validity.
# Input: the documents of a rendered overlay (gojq --yaml-input). Output, one line per workload,
# ServiceAccount or ConfigMap: "ok<TAB><Kind>/<name>" or "fail<TAB><Kind>/<name><TAB><problem>" per
# problem.
#
# The platform's own containers must connect to NATS with creds from a mounted Secret.
# Every container (init containers too) must run as a non-root user with no privilege escalation,
# all capabilities dropped, a read-only root filesystem and the runtime's seccomp profile, and
# must have CPU and memory requests and limits. Containers of long-running workloads (workers
# included) must have liveness and readiness probes; Jobs finish, so they need none.
# Credentials (the S3 endpoint and keys, database URLs, anything named *SECRET*, *PASSWORD*,
# *SIGNING_KEY*) reach a container only from a Secret: an env entry of that name must be a
# secretKeyRef, and no ConfigMap may hold such a key (envFrom would pass it on in the clear).

def credential_name:
  test("^(S3_ENDPOINT|S3_ACCESS_KEY_ID|S3_SECRET_ACCESS_KEY|AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|AWS_SESSION_TOKEN|DATABASE_URL)$|SECRET|PASSWORD|SIGNING_KEY");

def pod_spec:
  if .kind == "Pod" then .spec
  elif .kind == "CronJob" then .spec.jobTemplate.spec.template.spec
  elif .kind == "Deployment" or .kind == "StatefulSet" or .kind == "DaemonSet"
    or .kind == "ReplicaSet" or .kind == "ReplicationController" or .kind == "Job"
  then .spec.template.spec
  else empty
  end;

def long_running: .kind != "Job" and .kind != "CronJob";

# A container setting falls back to the pod's; `//` would also skip an explicit false.
def effective($pod; $key):
  if (.securityContext // {}) | has($key) then .securityContext[$key]
  else ($pod.securityContext // {})[$key]
  end;

def container_problems($pod; $probes):
  . as $c
  | (.securityContext // {}) as $sc
  | "container \(.name): " as $at
  | (if effective($pod; "runAsNonRoot") != true then "\($at)runAsNonRoot is not true" else empty end),
    (effective($pod; "runAsUser") as $uid
      | if ($uid | type) != "number" or $uid == 0 then "\($at)runAsUser is not a non-zero uid"
        else empty end),
    (if $sc.allowPrivilegeEscalation != false then "\($at)allowPrivilegeEscalation is not false"
     else empty end),
    (if $sc.privileged == true then "\($at)privileged" else empty end),
    (if $sc.readOnlyRootFilesystem != true then "\($at)readOnlyRootFilesystem is not true"
     else empty end),
    (if (($sc.capabilities.drop // []) | index(["ALL"])) == null
     then "\($at)capabilities do not drop ALL" else empty end),
    (effective($pod; "seccompProfile").type as $t
      | if $t != "RuntimeDefault" and $t != "Localhost"
        then "\($at)seccompProfile is not RuntimeDefault or Localhost" else empty end),
    (["limits", "requests"][] as $kind | ["cpu", "memory"][] as $res
      | if ($c.resources[$kind][$res] // null) == null then "\($at)no \($res) \($kind)" else empty end),
    ((.env // [])[] | select(.name | credential_name) | select(.valueFrom.secretKeyRef == null)
      | "\($at)\(.name) does not come from a Secret (secretKeyRef)"),
    (if $probes then
       (if .livenessProbe == null then "\($at)no livenessProbe" else empty end),
       (if .readinessProbe == null then "\($at)no readinessProbe" else empty end)
     else empty end);

# The platform's own containers (images media-vault/*) reach NATS only as their own user: a
# NATS_CREDS file that lives on a mounted Secret volume (SPEC §11).
def nats_creds_problems($pod):
  "container \(.name): " as $at
  | (((.env // []) | map(select(.name == "NATS_CREDS")) | .[0].value) // null) as $creds
  | if $creds == null then "\($at)no NATS_CREDS (every process connects as its own NATS user)"
    else
      ($creds | sub("/[^/]*$"; "")) as $dir
      | ([(.volumeMounts // [])[] | select(.mountPath == $dir) | .name]) as $mounts
      | ([($pod.volumes // [])[] | select(.secret != null) | .name]) as $secrets
      | if ([$mounts[] | select(. as $m | $secrets | index($m))] | length) == 0
        then "\($at)NATS_CREDS \($creds) is not on a mounted Secret" else empty end
    end;

def workload_problems:
  long_running as $probes
  | pod_spec as $pod
  | (if $pod.hostNetwork == true or $pod.hostPID == true or $pod.hostIPC == true
     then "shares a host namespace" else empty end),
    (if ($pod.serviceAccountName // "default") == "default"
     then "runs as the default ServiceAccount" else empty end),
    (if $pod.automountServiceAccountToken != false
     then "automountServiceAccountToken is not false" else empty end),
    (($pod.initContainers // [])[] | container_problems($pod; false)),
    (($pod.containers // [])[] | container_problems($pod; $probes)),
    (($pod.containers // [])[] | select(.image | test("(^|/)media-vault/")) | nats_creds_problems($pod));

select(type == "object" and has("kind"))
| "\(.kind)/\(.metadata.name)" as $id
| if .kind == "ServiceAccount" then
    if .automountServiceAccountToken == false then "ok\t\($id)"
    else "fail\t\($id)\tautomountServiceAccountToken is not false"
    end
  elif .kind == "ConfigMap" then
    [(.data // {}) | keys[] | select(credential_name)] as $keys
    | if ($keys | length) == 0 then "ok\t\($id)"
      else $keys[] | "fail\t\($id)\tholds \(.), which belongs in a Secret"
      end
  elif [pod_spec] | length > 0 then
    [workload_problems] as $problems
    | if ($problems | length) == 0 then "ok\t\($id)"
      else $problems[] | "fail\t\($id)\t\(.)"
      end
  else empty
  end
