#!/usr/bin/env bash
# Builds spark-base, spark-master and spark-worker straight into minikube's
# container runtime, tagged as base/kustomization.yaml references them
# (spark-master:<SPARK_VERSION>, spark-worker:<SPARK_VERSION>), so the
# Deployments start them without any registry (imagePullPolicy: IfNotPresent).
#
#   images/build-minikube.sh                 # minikube image build (default)
#   images/build-minikube.sh --docker-env    # eval $(minikube docker-env); docker build
#   SPARK_VERSION=3.5.5 HADOOP_VERSION=3.3.4 MINIKUBE_PROFILE=minikube images/build-minikube.sh
#
# Two routes to the same result:
#   * `minikube image build -t TAG DIR` sends the build context into the
#     minikube node and builds there (works with any driver);
#   * `eval $(minikube docker-env)` points the host's docker CLI at the
#     Docker engine inside minikube, then plain `docker build` builds there
#     (needs the docker container runtime, minikube's default).
# master/ and worker/ are built FROM spark-base:<version>, which must already
# be in the same engine: both routes build the base first, in that engine.
# With `--container-runtime=containerd` the image builder may not see the
# freshly built base; use the docker runtime (default) or build the three
# images with docker elsewhere and `minikube image load` them.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"

# Default Spark version = the tag pinned in base/kustomization.yaml, so the
# images always carry the tag the manifests ask for.
pinned="$(awk '/- name: spark-master/{f=1} f && /newTag:/{print $2; exit}' \
  "$root/base/kustomization.yaml")"
SPARK_VERSION="${SPARK_VERSION:-$pinned}"
HADOOP_VERSION="${HADOOP_VERSION:-3.3.4}"
PROFILE="${MINIKUBE_PROFILE:-minikube}"
if [[ "$SPARK_VERSION" != "$pinned" ]]; then
  echo "warning: building Spark $SPARK_VERSION but base/kustomization.yaml pins $pinned" >&2
fi

base_tag="spark-base:${SPARK_VERSION}"
master_tag="spark-master:${SPARK_VERSION}"
worker_tag="spark-worker:${SPARK_VERSION}"

case "${1:-}" in
  "")
    minikube -p "$PROFILE" image build -t "$base_tag" \
      --build-opt="build-arg=SPARK_VERSION=${SPARK_VERSION}" \
      --build-opt="build-arg=HADOOP_VERSION=${HADOOP_VERSION}" \
      "$here/base"
    minikube -p "$PROFILE" image build -t "$master_tag" \
      --build-opt="build-arg=BASE_IMAGE=${base_tag}" "$here/master"
    minikube -p "$PROFILE" image build -t "$worker_tag" \
      --build-opt="build-arg=BASE_IMAGE=${base_tag}" "$here/worker"
    ;;
  --docker-env)
    # Same as typing `eval $(minikube docker-env)` in your shell, for this
    # script only.
    eval "$(minikube -p "$PROFILE" docker-env)"
    docker build -t "$base_tag" \
      --build-arg "SPARK_VERSION=${SPARK_VERSION}" \
      --build-arg "HADOOP_VERSION=${HADOOP_VERSION}" \
      "$here/base"
    docker build -t "$master_tag" --build-arg "BASE_IMAGE=${base_tag}" "$here/master"
    docker build -t "$worker_tag" --build-arg "BASE_IMAGE=${base_tag}" "$here/worker"
    ;;
  *)
    echo "usage: $0 [--docker-env]" >&2
    exit 2
    ;;
esac

echo "built in minikube ($PROFILE): $base_tag $master_tag $worker_tag"
minikube -p "$PROFILE" image ls | grep -E 'spark-(base|master|worker)' || true
