#!/usr/bin/env bash
# The helm programs kcompile's Helm chart tests run, built from Go modules
# (no prebuilt binaries), cached under target/helm:
#
#   scripts/helm.sh build     build target/helm/v3/helm and target/helm/v4/helm
#
# v3 is the helm `kubectl kustomize --enable-helm` (kustomize 5.5) drives,
# so the tests compare kcompile with kubectl through it; kustomize 5.5
# refuses helm v4, which kcompile also drives. Versions are pinned here and
# stamped into the binaries with the ldflags of helm's own Makefile.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="${KCOMPILE_HELM_BIN:-$ROOT/target/helm}"
HELM3=v3.21.4
HELM4=v4.3.2
# helm 3's default Capabilities.KubeVersion, as its Makefile computes it
# from the client-go it builds with (v0.36); helm 4 reads its own build info.
K8S3=1.36

die() { echo "helm.sh: $*" >&2; exit 1; }

build_one() {
  local major="$1" version="$2" k8s="$3" dir="$OUT/$1"
  local want="$version-$k8s-$(go env GOVERSION)"
  if [ -x "$dir/helm" ] && [ "$(cat "$dir/.version" 2>/dev/null)" = "$want" ]; then
    return 0
  fi
  mkdir -p "$dir"
  local mod="helm.sh/helm/$major"
  local ld="-s -w -X $mod/internal/version.version=$version"
  ld="$ld -X $mod/internal/version.gitTreeState=clean"
  if [ -n "$k8s" ]; then
    ld="$ld -X $mod/pkg/chartutil.k8sVersionMajor=${k8s%%.*} -X $mod/pkg/chartutil.k8sVersionMinor=${k8s#*.}"
    ld="$ld -X $mod/pkg/lint/rules.k8sVersionMajor=${k8s%%.*} -X $mod/pkg/lint/rules.k8sVersionMinor=${k8s#*.}"
  fi
  local t0=$SECONDS
  GOBIN="$dir" GOFLAGS=-mod=mod go install -trimpath -ldflags "$ld" "$mod/cmd/helm@$version"
  echo "$want" >"$dir/.version"
  echo "helm.sh: built helm $version in $((SECONDS - t0)) s" >&2
}

case "${1:-}" in
  build)
    command -v go >/dev/null || die "Go is needed to build helm (go install helm.sh/helm/...)"
    build_one v3 "$HELM3" "$K8S3"
    build_one v4 "$HELM4" ""
    ;;
  *) die "usage: scripts/helm.sh build" ;;
esac
