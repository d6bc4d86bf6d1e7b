#!/usr/bin/env python3
"""Generate a kustomize-style benchmark tree.

    gen.py OUT_DIR N M

OUT_DIR/base: N applications, one file each (a Deployment with two
containers, a Service and a ConfigMap the Deployment refers to).
OUT_DIR/overlays/o-XX (M of them): namespace, namePrefix, labels,
commonAnnotations, replicas, images, a strategic-merge patch from a file
(targeted at every Deployment) and a JSON 6902 patch targeted by
labelSelector (the `tier=web` half of the Deployments).
"""
import os
import sys

APP = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-{i:04d}
  labels:
    app: app-{i:04d}
    tier: {tier}
spec:
  replicas: 1
  selector:
    matchLabels:
      app: app-{i:04d}
  template:
    metadata:
      labels:
        app: app-{i:04d}
        tier: {tier}
    spec:
      containers:
      - name: main
        image: example.com/team/app:1.0.{i}
        args: ["--port=8080", "--config=/etc/app/config.yaml"]
        ports:
        - containerPort: 8080
          name: http
        envFrom:
        - configMapRef:
            name: app-{i:04d}-config
        resources:
          requests:
            cpu: 100m
            memory: 128Mi
          limits:
            memory: 256Mi
        volumeMounts:
        - name: config
          mountPath: /etc/app
      - name: sidecar
        image: example.com/infra/proxy:2.3
        ports:
        - containerPort: 9090
          name: metrics
        env:
        - name: UPSTREAM
          value: "127.0.0.1:8080"
        - name: LOG_LEVEL
          value: info
      volumes:
      - name: config
        configMap:
          name: app-{i:04d}-config
---
apiVersion: v1
kind: Service
metadata:
  name: app-{i:04d}
  labels:
    app: app-{i:04d}
spec:
  selector:
    app: app-{i:04d}
  ports:
  - name: http
    port: 80
    targetPort: http
  - name: metrics
    port: 9090
    targetPort: metrics
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: app-{i:04d}-config
data:
  config.yaml: |
    server:
      port: 8080
      name: app-{i:04d}
    features: [a, b, c]
  LOG_FORMAT: json
  REPLICA_HINT: "{i}"
"""

SMP = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: any
spec:
  template:
    spec:
      containers:
      - name: main
        resources:
          limits:
            cpu: "1"
        env:
        - name: CLUSTER
          value: {o}
      - name: sidecar
        resources:
          requests:
            cpu: 10m
"""

JSON6902 = """\
- op: add
  path: /spec/template/metadata/annotations
  value:
    prometheus.io/scrape: "true"
- op: replace
  path: /spec/template/spec/containers/1/image
  value: example.com/infra/proxy:2.4-{o}
"""

KUST_OVERLAY = """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- ../../base
namespace: ns-{o}
namePrefix: {o}-
labels:
- pairs:
    cluster: {o}
    env: prod
  includeSelectors: false
commonAnnotations:
  owner: team-{o}
  contact: ops@example.com
replicas:
- name: app-0000
  count: 3
images:
- name: example.com/infra/proxy
  newName: registry.example.com/proxy
  newTag: "2.5"
patches:
- path: smp.yaml
  target:
    kind: Deployment
- path: json6902.yaml
  target:
    kind: Deployment
    labelSelector: tier=web
"""


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def generate(out, n, m):
    files = []
    for i in range(n):
        name = f"app-{i:04d}.yaml"
        write(os.path.join(out, "base", name), APP.format(i=i, tier="web" if i % 2 == 0 else "batch"))
        files.append(name)
    write(
        os.path.join(out, "base", "kustomization.yaml"),
        "resources:\n" + "".join(f"- {f}\n" for f in files),
    )
    overlays = []
    for j in range(m):
        o = f"o{j:02d}"
        d = os.path.join(out, "overlays", o)
        write(os.path.join(d, "kustomization.yaml"), KUST_OVERLAY.format(o=o))
        write(os.path.join(d, "smp.yaml"), SMP.format(o=o))
        write(os.path.join(d, "json6902.yaml"), JSON6902.format(o=o))
        overlays.append(d)
    return overlays


if __name__ == "__main__":
    generate(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
