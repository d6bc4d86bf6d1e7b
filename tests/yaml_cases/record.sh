#!/bin/sh
# Re-record expected.yaml from the oracle: kubectl kustomize (kustomize v5.5).
set -e
cd "$(dirname "$0")"
d=$(mktemp -d)
cp input.yaml "$d/input.yaml"
printf 'resources:\n- input.yaml\n' > "$d/kustomization.yaml"
kubectl kustomize --reorder none "$d" > expected.yaml 2>/dev/null
rm -rf "$d"
