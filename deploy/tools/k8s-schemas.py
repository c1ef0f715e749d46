"""Turns the Kubernetes JSON schemas shipped in the kubernetes-validate wheel (PyPI) into the
standalone-strict layout kubeconform reads from a local directory.

The wheel holds, per Kubernetes version, one small schema per kind whose $refs point at a shared
`/api/_definitions.json`. kubeconform would resolve those against the schemas' https $id, that is
over the network; here every kind gets the definitions it reaches copied into its own `$defs`, so
validation needs nothing but these files.

usage: k8s-schemas.py <wheel> <kubernetes version, e.g. 1.34.0> <output directory>
writes <output directory>/v<version>-standalone-strict/<kind>-<group>-<version>.json
"""

import json
import os
import sys
import zipfile

SHARED = "/api/_definitions.json#/$defs/"
LOCAL = "#/$defs/"


def local_refs(node, found):
    """Rewrites shared-definition refs to local ones in place and collects the names reached."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            if ref.startswith(SHARED):
                ref = LOCAL + ref[len(SHARED) :]
                node["$ref"] = ref
            if ref.startswith(LOCAL):
                found.add(ref[len(LOCAL) :])
        for value in node.values():
            local_refs(value, found)
    elif isinstance(node, list):
        for value in node:
            local_refs(value, found)


def main(wheel, version, out_dir):
    prefix = f"kubernetes_validate/kubernetes-json-schema/v{version}-local-strict/"
    target = os.path.join(out_dir, f"v{version}-standalone-strict")
    with zipfile.ZipFile(wheel) as zf:
        names = [n for n in zf.namelist() if n.startswith(prefix) and n.endswith(".json")]
        if not names:
            sys.exit(f"{wheel} has no schemas for Kubernetes {version}")
        definitions = json.loads(zf.read(prefix + "_definitions.json"))["$defs"]
        # Definitions refer to each other with local refs already; index what each one reaches.
        reaches = {}
        for name, schema in definitions.items():
            found = set()
            local_refs(schema, found)
            reaches[name] = found
        os.makedirs(target, exist_ok=True)
        written = 0
        for name in names:
            base = name[len(prefix) :]
            if base in ("_definitions.json", "all.json"):
                continue
            schema = json.loads(zf.read(name))
            pending = set()
            local_refs(schema, pending)
            closure = set()
            while pending:
                ref = pending.pop()
                if ref not in closure:
                    closure.add(ref)
                    pending |= reaches.get(ref, set())
            missing = closure - definitions.keys()
            if missing:
                sys.exit(f"{base}: unknown definitions {sorted(missing)}")
            if closure:
                schema["$defs"] = {ref: definitions[ref] for ref in sorted(closure)}
            # The https $id would make the refs resolve against kubernetes.io; the file is its own base.
            schema.pop("$id", None)
            with open(os.path.join(target, base), "w", encoding="utf-8") as f:
                json.dump(schema, f, separators=(",", ":"))
            written += 1
    print(f"{written} schemas for Kubernetes {version} in {target}")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
