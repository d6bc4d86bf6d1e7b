//! A generated kustomize tree of many applications covering the kinds a
//! cluster holds (workloads, Services of every type, config, storage,
//! RBAC, networking, batch, autoscaling, a CRD with a custom resource), for
//! the real-server diff tests. Deterministic: the same arguments give the
//! same files.

use std::path::Path;

/// Write the tree under `dir`: `dir/kustomization.yaml` compiles `apps`
/// applications into namespace `ns`, labelled as owned by `owner`.
/// Cluster-scoped names carry `ns`, so trees of different namespaces can
/// live side by side on one server. The CRD (and its custom resource) are
/// in `dir/crd` and `dir/cr`, listed by the top kustomization.
pub fn write(dir: &Path, ns: &str, owner: &str, apps: usize) {
    let mut resources = vec!["namespace.yaml".to_string(), "cluster.yaml".to_string()];
    for i in 0..apps {
        let name = format!("app-{i:02}");
        put(
            dir,
            &format!("apps/{name}/kustomization.yaml"),
            &app_kustomization(i),
        );
        put(dir, &format!("apps/{name}/workload.yaml"), &workload(i));
        put(dir, &format!("apps/{name}/service.yaml"), &service(i));
        put(dir, &format!("apps/{name}/config.yaml"), &config(i));
        put(dir, &format!("apps/{name}/extras.yaml"), &extras(i, ns));
        resources.push(format!("apps/{name}"));
    }
    resources.push("crd.yaml".into());
    resources.push("widget.yaml".into());
    put(
        dir,
        "namespace.yaml",
        &format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n"),
    );
    put(dir, "cluster.yaml", &cluster_scoped(ns));
    put(dir, "crd.yaml", &crd(ns));
    put(dir, "widget.yaml", &widget(ns));
    let list: String = resources.iter().map(|r| format!("  - {r}\n")).collect();
    put(
        dir,
        "kustomization.yaml",
        &format!(
            "apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: {ns}
resources:
{list}labels:
  - pairs:
      kcompile.io/overlay: {owner}
    includeSelectors: false
commonAnnotations:
  fleet.kcompile.test/source: generated
"
        ),
    );
}

/// The CRD's group for a tree in namespace `ns`.
pub fn crd_group(ns: &str) -> String {
    format!("{ns}.kcompile.test")
}

fn put(dir: &Path, rel: &str, text: &str) {
    super::write_file(&dir.join(rel), text);
}

fn app_kustomization(i: usize) -> String {
    let gen = if i.is_multiple_of(4) {
        format!(
            "configMapGenerator:
  - name: app-{i:02}-settings
    literals:
      - LOG_LEVEL=info
      - THREADS=\"{}\"
",
            i % 7 + 1
        )
    } else {
        String::new()
    };
    format!(
        "resources:
  - workload.yaml
  - service.yaml
  - config.yaml
  - extras.yaml
{gen}"
    )
}

fn name(i: usize) -> String {
    format!("app-{i:02}")
}

/// A container with resources, probes, env from config and secrets.
fn container(i: usize) -> String {
    let n = name(i);
    let (cpu_req, cpu_lim, mem_req, mem_lim) = match i % 4 {
        0 => ("500m", "1", "512Mi", "1Gi"),
        1 => ("0.25", "1000m", "256Mi", "1024Mi"),
        2 => ("100m", "2", "128M", "0.5Gi"),
        _ => ("1", "1500m", "1Gi", "2Gi"),
    };
    let probe_port = if i.is_multiple_of(2) {
        "http".to_string()
    } else {
        "8080".to_string()
    };
    let gen_env = if i.is_multiple_of(4) {
        format!(
            "
        envFrom:
          - configMapRef:
              name: {n}-settings"
        )
    } else {
        String::new()
    };
    format!(
        "      - name: main
        image: registry.example.com/team/{n}:1.{i}.0
        args: [\"--port=8080\", \"--name={n}\"]
        ports:
          - name: http
            containerPort: 8080
          - name: metrics
            containerPort: 9090
            protocol: TCP
        env:
          - name: APP_NAME
            value: {n}
          - name: APP_MODE
            valueFrom:
              configMapKeyRef:
                name: {n}-config
                key: mode
          - name: APP_PASSWORD
            valueFrom:
              secretKeyRef:
                name: {n}-secret
                key: password
          - name: POD_IP
            valueFrom:
              fieldRef:
                fieldPath: status.podIP{gen_env}
        resources:
          requests:
            cpu: {cpu_req}
            memory: {mem_req}
          limits:
            cpu: {cpu_lim}
            memory: {mem_lim}
        readinessProbe:
          httpGet:
            path: /ready
            port: {probe_port}
          periodSeconds: 5
        livenessProbe:
          tcpSocket:
            port: 8080
          initialDelaySeconds: 10
        volumeMounts:
          - name: config
            mountPath: /etc/app
          - name: scratch
            mountPath: /tmp
"
    )
}

fn pod_spec(i: usize, with_pvc: bool) -> String {
    let n = name(i);
    let pvc = if with_pvc {
        format!(
            "
        - name: data
          persistentVolumeClaim:
            claimName: {n}-data"
        )
    } else {
        String::new()
    };
    format!(
        "      serviceAccountName: {n}
      tolerations:
        - key: dedicated
          operator: Equal
          value: apps
          effect: NoSchedule
        - key: node.kubernetes.io/unreachable
          operator: Exists
          effect: NoExecute
          tolerationSeconds: 30
      containers:
{c}      volumes:
        - name: config
          configMap:
            name: {n}-config
        - name: scratch
          emptyDir:
            sizeLimit: 1Gi
        - name: secret
          secret:
            secretName: {n}-secret{pvc}
",
        c = container(i)
    )
}

fn workload(i: usize) -> String {
    let n = name(i);
    let selector = format!(
        "  selector:
    matchLabels:
      app: {n}
"
    );
    let template = |with_pvc| {
        format!(
            "  template:
    metadata:
      labels:
        app: {n}
    spec:
{}",
            pod_spec(i, with_pvc)
        )
    };
    let mut out = match i % 3 {
        0 => format!(
            "apiVersion: apps/v1
kind: Deployment
metadata:
  name: {n}
  labels:
    app: {n}
spec:
  replicas: {r}
{selector}{t}",
            r = i % 3 + 1,
            t = template(true)
        ),
        1 => format!(
            "apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: {n}
  labels:
    app: {n}
spec:
  serviceName: {n}-headless
  replicas: 2
{selector}{t}  volumeClaimTemplates:
    - metadata:
        name: state
      spec:
        accessModes: [ReadWriteOnce]
        resources:
          requests:
            storage: 2Gi
",
            t = template(false)
        ),
        _ => format!(
            "apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: {n}
  labels:
    app: {n}
spec:
{selector}{t}",
            t = template(false)
        ),
    };
    if i.is_multiple_of(3) {
        out.push_str(&format!(
            "---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {n}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {n}
  minReplicas: 1
  maxReplicas: 5
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: 75
"
        ));
    }
    out
}

fn service(i: usize) -> String {
    let n = name(i);
    let ports = "  ports:
    - name: http
      port: 80
      targetPort: http
    - name: metrics
      port: 9090
";
    let mut out = match i % 3 {
        0 => format!(
            "apiVersion: v1
kind: Service
metadata:
  name: {n}
spec:
  selector:
    app: {n}
{ports}"
        ),
        1 => format!(
            "apiVersion: v1
kind: Service
metadata:
  name: {n}
spec:
  type: NodePort
  selector:
    app: {n}
{ports}"
        ),
        _ => format!(
            "apiVersion: v1
kind: Service
metadata:
  name: {n}
spec:
  clusterIP: None
  selector:
    app: {n}
  ports:
    - port: 8080
      targetPort: 8080
"
        ),
    };
    if i % 3 == 1 {
        out.push_str(&format!(
            "---
apiVersion: v1
kind: Service
metadata:
  name: {n}-headless
spec:
  clusterIP: None
  selector:
    app: {n}
  ports:
    - port: 8080
"
        ));
    }
    out
}

fn config(i: usize) -> String {
    let n = name(i);
    let secret = if i.is_multiple_of(2) {
        // "s3cr3t-<i>" and "admin", base64
        use base64::Engine as _;
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        format!(
            "data:
  password: {}
  user: {}",
            b64(&format!("s3cr3t-{i}")),
            b64("admin")
        )
    } else {
        format!(
            "stringData:
  password: s3cr3t-{i}
  user: admin"
        )
    };
    format!(
        "apiVersion: v1
kind: ConfigMap
metadata:
  name: {n}-config
data:
  mode: production
  threads: \"{i}\"
  app.properties: |
    name={n}
    enabled=true
---
apiVersion: v1
kind: Secret
metadata:
  name: {n}-secret
type: Opaque
{secret}
"
    )
}

fn extras(i: usize, ns: &str) -> String {
    let n = name(i);
    let mut out = format!(
        "apiVersion: v1
kind: ServiceAccount
metadata:
  name: {n}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: {n}
rules:
  - apiGroups: [\"\"]
    resources: [configmaps]
    verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: {n}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: {n}
subjects:
  - kind: ServiceAccount
    name: {n}
    namespace: {ns}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {n}
spec:
  minAvailable: {pdb}
  selector:
    matchLabels:
      app: {n}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {n}
spec:
  podSelector:
    matchLabels:
      app: {n}
  policyTypes: [Ingress]
  ingress:
    - from:
        - podSelector: {{}}
      ports:
        - port: 8080
          protocol: TCP
        - port: metrics
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: {n}
  annotations:
    nginx.ingress.kubernetes.io/rewrite-target: /
spec:
  rules:
    - host: {n}.example.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: {n}
                port:
                  number: 80
",
        pdb = if i.is_multiple_of(2) {
            "1".to_string()
        } else {
            "\"50%\"".to_string()
        }
    );
    if i.is_multiple_of(3) {
        out.push_str(&format!(
            "---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: {n}-data
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: fast-{ns}
  resources:
    requests:
      storage: {size}
",
            size = if i.is_multiple_of(2) {
                "1024Mi"
            } else {
                "10Gi"
            }
        ));
    }
    if i.is_multiple_of(5) {
        out.push_str(&format!(
            "---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: {n}-report
spec:
  schedule: \"*/15 * * * *\"
  timeZone: Etc/UTC
  concurrencyPolicy: Forbid
  jobTemplate:
    spec:
      backoffLimit: 2
      template:
        spec:
          restartPolicy: OnFailure
          containers:
            - name: report
              image: registry.example.com/team/report:2.0
              command: [/bin/report, --all]
"
        ));
    }
    if i % 5 == 1 {
        out.push_str(&format!(
            "---
apiVersion: batch/v1
kind: Job
metadata:
  name: {n}-migrate
spec:
  backoffLimit: 1
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: migrate
          image: registry.example.com/team/migrate:1.0
          resources:
            limits:
              memory: 256Mi
"
        ));
    }
    out
}

fn cluster_scoped(ns: &str) -> String {
    format!(
        "apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: fast-{ns}
provisioner: kubernetes.io/no-provisioner
volumeBindingMode: WaitForFirstConsumer
reclaimPolicy: Retain
allowVolumeExpansion: true
parameters:
  tier: fast
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: reader-{ns}
rules:
  - apiGroups: [apps]
    resources: [deployments, statefulsets]
    verbs: [get, list]
  - nonResourceURLs: [/healthz]
    verbs: [get]
"
    )
}

fn crd(ns: &str) -> String {
    let g = crd_group(ns);
    format!(
        "apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.{g}
spec:
  group: {g}
  scope: Namespaced
  names:
    kind: Widget
    plural: widgets
    singular: widget
    listKind: WidgetList
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                size:
                  type: integer
                color:
                  type: string
                  default: blue
                memory:
                  x-kubernetes-int-or-string: true
                  anyOf:
                    - type: integer
                    - type: string
"
    )
}

fn widget(ns: &str) -> String {
    format!(
        "apiVersion: {g}/v1
kind: Widget
metadata:
  name: first
spec:
  size: 3
  color: red
  memory: 1Gi
",
        g = crd_group(ns)
    )
}
