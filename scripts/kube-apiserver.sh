#!/usr/bin/env bash
# A real Kubernetes 1.37 API server with etcd on loopback, for kcompile's
# diff tests and for people trying `kcompile diff` without a cluster.
#
#   scripts/kube-apiserver.sh build          build the binaries (cached)
#   scripts/kube-apiserver.sh start DIR      build if needed, start, wait until
#                                            ready; leaves DIR/kubeconfig
#   scripts/kube-apiserver.sh stop DIR       stop what `start DIR` started
#
# The binaries come from Go modules (tests/kube: k8s.io/kubernetes v1.37 and
# go.etcd.io/etcd/server/v3), built with `go build` into target/kube; Go's
# build cache (GOCACHE) makes rebuilds cheap. The server uses TLS with a CA
# made here, static tokens for two users — `admin` (system:masters) and
# `viewer` (bound to the built-in `view` ClusterRole) — RBAC authorization,
# and service-account keys. The kubeconfig has the contexts `admin`
# (current) and `viewer`. No controller manager runs: objects are stored and
# served, nothing reconciles them (as in envtest).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="${KCOMPILE_KUBE_BIN:-$ROOT/target/kube}"
SRC="$ROOT/tests/kube"

die() { echo "kube-apiserver.sh: $*" >&2; exit 1; }

build() {
  command -v go >/dev/null || die "Go is needed to build kube-apiserver and etcd (go build of tests/kube)"
  local stamp="$BIN/.source-hash"
  local want
  want="$(cat "$SRC/go.mod" "$SRC/go.sum" "$SRC"/cmd/*/main.go | sha256sum | cut -d' ' -f1)-$(go env GOVERSION)"
  if [ -x "$BIN/kube-apiserver" ] && [ -x "$BIN/etcd" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    return 0
  fi
  mkdir -p "$BIN"
  echo "kube-apiserver.sh: building kube-apiserver and etcd (first build takes several minutes)" >&2
  local t0=$SECONDS
  (cd "$SRC" && go build -trimpath -ldflags=-s -o "$BIN/" ./cmd/kube-apiserver ./cmd/etcd)
  echo "$want" >"$stamp"
  echo "kube-apiserver.sh: built in $((SECONDS - t0)) s" >&2
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

certs() {
  local d="$1"
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=kcompile-test-ca" \
    -keyout "$d/ca.key" -out "$d/ca.crt" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=kube-apiserver" \
    -keyout "$d/server.key" -out "$d/server.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\n' >"$d/server.ext"
  openssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
    -days 30 -extfile "$d/server.ext" -out "$d/server.crt" 2>/dev/null
  openssl genrsa -out "$d/sa.key" 2048 2>/dev/null
  openssl rsa -in "$d/sa.key" -pubout -out "$d/sa.pub" 2>/dev/null
}

kubeconfig() {
  local d="$1" port="$2" admin="$3" viewer="$4"
  local ca
  ca="$(base64 -w0 <"$d/ca.crt")"
  cat >"$d/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: kcompile-test
  cluster:
    server: https://127.0.0.1:$port
    certificate-authority-data: $ca
users:
- name: admin
  user:
    token: $admin
- name: viewer
  user:
    token: $viewer
contexts:
- name: admin
  context:
    cluster: kcompile-test
    user: admin
    namespace: default
- name: viewer
  context:
    cluster: kcompile-test
    user: viewer
    namespace: default
current-context: admin
EOF
  chmod 600 "$d/kubeconfig"
}

stop() {
  local d="$1"
  for p in apiserver etcd; do
    if [ -f "$d/$p.pid" ]; then
      local pid
      pid="$(cat "$d/$p.pid")"
      if kill -0 "$pid" 2>/dev/null; then
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
      fi
      rm -f "$d/$p.pid"
    fi
  done
}

start() {
  local d="$1"
  build
  mkdir -p "$d"
  d="$(cd "$d" && pwd)"
  stop "$d"
  rm -rf "$d/etcd-data" "$d/cert-dir"
  certs "$d"
  local admin viewer
  admin="$(head -c 24 /dev/urandom | base64 | tr -d '/+=')"
  viewer="$(head -c 24 /dev/urandom | base64 | tr -d '/+=')"
  printf '%s,admin,admin-uid,system:masters\n%s,viewer,viewer-uid\n' "$admin" "$viewer" >"$d/tokens.csv"
  chmod 600 "$d/tokens.csv"

  local etcd_port peer_port port
  etcd_port="$(free_port)"; peer_port="$(free_port)"; port="$(free_port)"
  setsid "$BIN/etcd" --data-dir "$d/etcd-data" \
    --listen-client-url "http://127.0.0.1:$etcd_port" \
    --listen-peer-url "http://127.0.0.1:$peer_port" \
    >"$d/etcd.log" 2>&1 </dev/null &
  echo $! >"$d/etcd.pid"

  setsid "$BIN/kube-apiserver" \
    --etcd-servers "http://127.0.0.1:$etcd_port" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$port" \
    --cert-dir "$d/cert-dir" \
    --tls-cert-file "$d/server.crt" --tls-private-key-file "$d/server.key" \
    --client-ca-file "$d/ca.crt" \
    --token-auth-file "$d/tokens.csv" \
    --authorization-mode RBAC \
    --service-account-issuer https://kubernetes.default.svc \
    --service-account-key-file "$d/sa.pub" \
    --service-account-signing-key-file "$d/sa.key" \
    --service-cluster-ip-range 10.0.0.0/24 \
    --allow-privileged=true \
    --endpoint-reconciler-type none \
    --profiling=false \
    >"$d/apiserver.log" 2>&1 </dev/null &
  echo $! >"$d/apiserver.pid"
  kubeconfig "$d" "$port" "$admin" "$viewer"

  local kc="$d/kubeconfig" t0=$SECONDS
  until kubectl --kubeconfig "$kc" get --raw /readyz >/dev/null 2>&1; do
    if ! kill -0 "$(cat "$d/apiserver.pid")" 2>/dev/null || ! kill -0 "$(cat "$d/etcd.pid")" 2>/dev/null; then
      tail -n 20 "$d/etcd.log" "$d/apiserver.log" >&2 || true
      stop "$d"
      die "the API server exited during start-up (logs in $d)"
    fi
    if [ $((SECONDS - t0)) -ge 120 ]; then
      tail -n 20 "$d/apiserver.log" >&2 || true
      stop "$d"
      die "the API server did not become ready within 120 s (logs in $d)"
    fi
    sleep 0.3
  done
  # The read-only user: the built-in `view` ClusterRole (created by the
  # server's RBAC bootstrap, which /readyz waits for).
  # `view` is an aggregated ClusterRole: the controller manager fills its
  # rules from the roles labelled aggregate-to-view. Do once what that
  # controller would do.
  kubectl --kubeconfig "$kc" get clusterroles -l rbac.authorization.k8s.io/aggregate-to-view=true -o json |
    python3 -c '
import json, sys
rules = [r for item in json.load(sys.stdin)["items"] for r in item.get("rules") or []]
print(json.dumps({"rules": rules}))' >"$d/view-rules.json"
  kubectl --kubeconfig "$kc" patch clusterrole view --type merge --patch-file "$d/view-rules.json" >/dev/null
  kubectl --kubeconfig "$kc" create clusterrolebinding kcompile-test-viewer \
    --clusterrole view --user viewer >/dev/null
  # The `default` namespace's ServiceAccount, which a controller manager
  # would create.
  kubectl --kubeconfig "$kc" get serviceaccount default >/dev/null 2>&1 ||
    kubectl --kubeconfig "$kc" create serviceaccount default >/dev/null 2>&1 || true
  echo "kube-apiserver.sh: ready on https://127.0.0.1:$port in $((SECONDS - t0)) s; kubeconfig: $kc" >&2
}

case "${1:-}" in
  build) build ;;
  start) [ $# -eq 2 ] || die "usage: $0 start DIR"; start "$2" ;;
  stop) [ $# -eq 2 ] || die "usage: $0 stop DIR"; stop "$(cd "$2" 2>/dev/null && pwd || echo "$2")" ;;
  *) echo "usage: $0 build | start DIR | stop DIR" >&2; exit 2 ;;
esac
