#!/usr/bin/env bash
# Installs what tests/spark_e2e.rs needs to run instead of skipping:
#   * a Java runtime (Spark 3.5 runs on Java 8/11/17; Debian's default-jre-headless
#     is 17 on bookworm), only if `java` is missing;
#   * pyspark (in the virtual environment target/venv) pinned to the Spark version of the manifests (the image tag in
#     base/kustomization.yaml): the PyPI package carries a complete Spark
#     distribution (bin/spark-class, jars/) that the test runs master and
#     workers from.
# Idempotent; meant for CI (.ci/run) and for developers.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

# Spark version = the tag pinned for spark-master in base/kustomization.yaml.
spark_version="$(awk '/- name: spark-master/{f=1} f && /newTag:/{print $2; exit}' \
  "$root/base/kustomization.yaml")"
if [[ -z "$spark_version" ]]; then
  echo "setup.sh: cannot read the Spark version from base/kustomization.yaml" >&2
  exit 1
fi

if ! command -v java >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      default-jre-headless
  else
    echo "setup.sh: java missing and no apt-get; install a JRE (11 or 17)" >&2
    exit 1
  fi
fi

# pyspark goes into a virtual environment under target/ (the user's Python
# is left alone); tests/spark_e2e.rs finds it there.
python="${SPARK_E2E_PYTHON:-}"
if [[ -z "$python" ]]; then
  venv="$root/target/venv"
  [[ -x "$venv/bin/python" ]] || python3 -m venv "$venv"
  python="$venv/bin/python"
fi
have="$("$python" -c 'import pyspark; print(pyspark.__version__)' 2>/dev/null || true)"
if [[ "$have" != "$spark_version" ]]; then
  "$python" -m pip install --quiet "pyspark==${spark_version}"
fi
"$python" -c 'import pyspark; print("pyspark", pyspark.__version__)'
java -version 2>&1 | head -1
