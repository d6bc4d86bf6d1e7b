//! Helm charts (`helmCharts:`, `helmGlobals:`, the older
//! `helmChartInflationGenerator:` and the `HelmChartInflationGenerator`
//! builtin) inflated by the real helm, built from Go modules
//! (tests/util/helm.rs): helm v3.21.4, compared byte for byte with
//! `kubectl kustomize --enable-helm` driving the same helm, and helm
//! v4.3.2, which kubectl's kustomize 5.5 refuses. Charts are local (a
//! folder, a dependency packaged as .tgz in its `charts/`) or pulled from
//! a chart repository served on loopback; no network.
#![allow(clippy::disallowed_methods)] // tests build and read trees on disk

mod util;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use util::{Cmd, Out, Tree};

macro_rules! need_helm {
    ($major:expr) => {
        match util::helm::helm($major) {
            Some(h) => h,
            None => return,
        }
    };
}

/// A chart like the ones the Spark teams use, with a dependency, a CRD, a
/// test hook and a template that prints helm's capabilities.
const SPARK_CHART: &[(&str, &str)] = &[
    (
        "Chart.yaml",
        "apiVersion: v2\nname: spark\nversion: 1.2.3\nappVersion: \"3.5.1\"\ndependencies:\n- name: common\n  version: 0.1.0\n",
    ),
    (
        "values.yaml",
        "image:\n  repository: apache/spark\n  tag: 3.5.1\nworker:\n  replicas: 2\n  cores: 1\nui:\n  enabled: true\n  port: 8080\nextraEnv: []\ncommon:\n  greeting: hello\n",
    ),
    (
        "templates/master.yaml",
        r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-master
  namespace: {{ .Release.Namespace }}
  labels:
    app.kubernetes.io/instance: {{ .Release.Name }}
    helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
spec:
  replicas: 1
  selector:
    matchLabels:
      app: {{ .Release.Name }}-master
  template:
    metadata:
      labels:
        app: {{ .Release.Name }}-master
    spec:
      containers:
      - name: master
        image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
        ports:
        - containerPort: 7077
        {{- if .Values.ui.enabled }}
        - containerPort: {{ .Values.ui.port }}
        {{- end }}
        {{- with .Values.extraEnv }}
        env:
        {{- toYaml . | nindent 8 }}
        {{- end }}
"#,
    ),
    (
        "templates/worker.yaml",
        r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-worker
  namespace: {{ .Release.Namespace }}
spec:
  replicas: {{ .Values.worker.replicas }}
  selector:
    matchLabels:
      app: {{ .Release.Name }}-worker
  template:
    metadata:
      labels:
        app: {{ .Release.Name }}-worker
    spec:
      containers:
      - name: worker
        image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
        args: ["--cores", "{{ .Values.worker.cores }}"]
"#,
    ),
    (
        "templates/service.yaml",
        r#"apiVersion: v1
kind: Service
metadata:
  name: {{ .Release.Name }}-master
spec:
  selector:
    app: {{ .Release.Name }}-master
  ports:
  - name: spark
    port: 7077
  {{- if .Values.ui.enabled }}
  - name: ui
    port: {{ .Values.ui.port }}
  {{- end }}
"#,
    ),
    (
        "templates/capabilities.yaml",
        r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-capabilities
data:
  kubeVersion: {{ .Capabilities.KubeVersion.Version | quote }}
  monitoring: {{ .Capabilities.APIVersions.Has "monitoring.coreos.com/v1" | quote }}
"#,
    ),
    (
        "templates/tests/connection.yaml",
        r#"apiVersion: v1
kind: Pod
metadata:
  name: {{ .Release.Name }}-test
  annotations:
    helm.sh/hook: test
spec:
  containers:
  - name: nc
    image: busybox
    command: ["nc", "-z", "{{ .Release.Name }}-master", "7077"]
  restartPolicy: Never
"#,
    ),
    (
        "templates/hook.yaml",
        r#"apiVersion: batch/v1
kind: Job
metadata:
  name: {{ .Release.Name }}-init
  annotations:
    helm.sh/hook: pre-install
spec:
  template:
    spec:
      containers:
      - name: init
        image: busybox
      restartPolicy: Never
"#,
    ),
    (
        "crds/sparkapps.yaml",
        r#"apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: sparkapps.example.com
spec:
  group: example.com
  names:
    kind: SparkApp
    plural: sparkapps
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true
"#,
    ),
];

const COMMON_CHART: &[(&str, &str)] = &[
    ("Chart.yaml", "apiVersion: v2\nname: common\nversion: 0.1.0\n"),
    ("values.yaml", "greeting: hi\n"),
    (
        "templates/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-common\ndata:\n  greeting: {{ .Values.greeting | quote }}\n",
    ),
];

fn helm_run(helm: &Path, args: &[&str], cwd: &Path) -> Out {
    let out = Cmd::new(helm)
        .args(args)
        .cwd(cwd)
        .env("HELM_CONFIG_HOME", cwd.join(".helm"))
        .env("HELM_CACHE_HOME", cwd.join(".helm/cache"))
        .env("HELM_DATA_HOME", cwd.join(".helm/data"))
        .run();
    assert!(out.success(), "helm {args:?}: {out}");
    out
}

/// The spark chart at `dir/spark`, its dependency packaged by helm as
/// `spark/charts/common-0.1.0.tgz`.
fn write_chart(helm: &Path, dir: &Path) -> PathBuf {
    let chart = dir.join("spark");
    util::write_tree(&chart, SPARK_CHART);
    let common = dir.join(".src/common");
    util::write_tree(&common, COMMON_CHART);
    std::fs::create_dir_all(chart.join("charts")).unwrap();
    helm_run(
        helm,
        &[
            "package",
            common.to_str().unwrap(),
            "-d",
            chart.join("charts").to_str().unwrap(),
        ],
        dir,
    );
    std::fs::remove_dir_all(dir.join(".src")).unwrap();
    assert!(chart.join("charts/common-0.1.0.tgz").is_file());
    chart
}

/// An overlay using the chart from `charts/`, with values three ways and
/// kustomize's transformers over the chart's output.
const OVERLAY: &str = r#"namespace: spark-b
namePrefix: b-
commonLabels:
  team: data
helmCharts:
- name: spark
  version: 1.2.3
  releaseName: spark
  namespace: spark-b
  valuesInline:
    worker:
      replicas: 4
    common:
      greeting: hej
    extraEnv:
    - name: SPARK_MODE
      value: cluster
  additionalValuesFiles:
  - values-prod.yaml
  includeCRDs: true
  skipTests: true
  kubeVersion: "1.30.0"
  apiVersions:
  - monitoring.coreos.com/v1
resources:
- extra.yaml
patches:
- target:
    kind: Deployment
    name: spark-worker
  patch: |-
    - op: add
      path: /spec/template/spec/nodeSelector
      value:
        pool: spark
"#;

fn overlay_tree(helm: &Path) -> Tree {
    let t = Tree::new();
    t.file("o/kustomization.yaml", OVERLAY)
        .file(
            "o/values-prod.yaml",
            "image:\n  tag: 3.5.2\nui:\n  port: 4040\n",
        )
        .file(
            "o/extra.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\ndata:\n  k: v\n",
        );
    write_chart(helm, &t.join("o/charts"));
    t
}

fn kubectl_helm(helm: &Path, dir: &Path) -> Option<Out> {
    if !util::oracle::kubectl_available() {
        assert!(std::env::var_os("CI").is_none(), "CI requires kubectl");
        return None;
    }
    Some(
        Cmd::new("kubectl")
            .args(["kustomize", "--enable-helm", "--helm-command"])
            .arg(helm)
            .arg(dir)
            .run(),
    )
}

fn kcompile_helm(helm: &Path, dir: &Path, extra: &[&str]) -> Out {
    util::cmd()
        .args(["--enable-helm", "--helm-command"])
        .arg(helm)
        .args(extra)
        .arg(dir)
        .run()
}

/// kcompile and kubectl print the same bytes for `dir`; returns kcompile's.
#[track_caller]
fn same_as_kubectl(helm: &Path, dir: &Path) -> Out {
    let ours = kcompile_helm(helm, dir, &[]);
    ours.assert_ok();
    if let Some(theirs) = kubectl_helm(helm, dir) {
        assert!(theirs.success(), "kubectl kustomize failed: {theirs}");
        assert_eq!(
            ours.stdout,
            theirs.stdout,
            "kcompile and kubectl kustomize --enable-helm differ for {}",
            dir.display()
        );
    }
    ours
}

#[test]
fn a_local_chart_with_values_and_transformers_matches_kubectl() {
    let helm = need_helm!(3);
    let t = overlay_tree(&helm);
    let out = same_as_kubectl(&helm, &t.join("o"));
    // What each part of the entry did, so a silent drop cannot pass.
    out.assert_stdout_has("name: b-spark-worker")
        .assert_stdout_has("replicas: 4") // valuesInline
        .assert_stdout_has("image: apache/spark:3.5.2") // additionalValuesFiles
        .assert_stdout_has("containerPort: 4040")
        .assert_stdout_has("value: cluster")
        .assert_stdout_has("greeting: hej") // into the dependency (.tgz)
        .assert_stdout_has("kind: CustomResourceDefinition") // includeCRDs
        .assert_stdout_has("kubeVersion: v1.30.0")
        .assert_stdout_has("monitoring: \"true\"")
        .assert_stdout_has("pool: spark") // the patch ran on chart output
        .assert_stdout_has("team: data")
        .assert_stdout_has("name: b-extra");
    assert!(
        !out.stdout.contains("kind: Pod"),
        "skipTests drops the test pod"
    );
    assert!(
        out.stdout.contains("b-spark-init"),
        "hooks stay without skipHooks"
    );
}

#[test]
fn each_values_merge_mode_matches_kubectl() {
    let helm = need_helm!(3);
    for (mode, replicas, greeting) in [
        ("override", "replicas: 7", "greeting: inline"),
        ("merge", "replicas: 2", "greeting: hello"),
        ("replace", "replicas: 7", "greeting: inline"),
    ] {
        let t = Tree::new();
        t.file(
            "o/kustomization.yaml",
            format!(
                "helmCharts:\n- name: spark\n  releaseName: r\n  valuesMerge: {mode}\n  valuesInline:\n    worker:\n      replicas: 7\n    common:\n      greeting: inline\n    newKey: 1\n"
            ),
        );
        write_chart(&helm, &t.join("o/charts"));
        let out = same_as_kubectl(&helm, &t.join("o"));
        out.assert_stdout_has(replicas).assert_stdout_has(greeting);
    }
}

#[test]
fn a_values_file_hooks_tests_and_namespace_match_kubectl() {
    let helm = need_helm!(3);
    let t = Tree::new();
    t.file(
        "o/kustomization.yaml",
        "helmGlobals:\n  chartHome: vendor/charts\nhelmCharts:\n- name: spark\n  releaseName: spark\n  namespace: jobs\n  valuesFile: my-values.yaml\n  skipHooks: true\n",
    )
    .file(
        "o/my-values.yaml",
        "image:\n  repository: registry.local/spark\n  tag: \"3.5\"\nworker:\n  replicas: 1\n  cores: 8\nui:\n  enabled: false\ncommon:\n  greeting: yo\n",
    );
    write_chart(&helm, &t.join("o/vendor/charts"));
    let out = same_as_kubectl(&helm, &t.join("o"));
    out.assert_stdout_has("namespace: jobs")
        .assert_stdout_has("image: registry.local/spark:3.5");
    // Test pods are hooks too: --no-hooks drops both.
    assert!(!out.stdout.contains("spark-init"), "skipHooks drops hooks");
    assert!(
        !out.stdout.contains("kind: Pod"),
        "skipHooks drops test hooks"
    );
    assert!(
        !out.stdout.contains("port: 8080"),
        "ui disabled by the values file"
    );
}

#[test]
fn the_builtin_generator_and_the_older_field_match_kubectl() {
    let helm = need_helm!(3);
    let t = Tree::new();
    t.file("g/kustomization.yaml", "generators:\n- helm.yaml\n")
        .file(
            "g/helm.yaml",
            "apiVersion: builtin\nkind: HelmChartInflationGenerator\nmetadata:\n  name: spark\nname: spark\nnameTemplate: gen\nvaluesInline:\n  worker:\n    replicas: 3\n",
        )
        .file(
            "l/kustomization.yaml",
            "helmChartInflationGenerator:\n- chartName: spark\n  releaseName: old\n  chartHome: vendor\n  valuesLocal:\n    worker:\n      replicas: 5\n",
        );
    write_chart(&helm, &t.join("g/charts"));
    write_chart(&helm, &t.join("l/vendor"));
    same_as_kubectl(&helm, &t.join("g")).assert_stdout_has("name: gen-worker");
    same_as_kubectl(&helm, &t.join("l"))
        .assert_stdout_has("name: old-worker")
        .assert_stdout_has("replicas: 5");
}

/// A chart repository on loopback: `index.yaml` and the packaged chart,
/// served until the returned guard is dropped; counts requests.
struct Repo {
    url: String,
    hits: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

fn serve_repo(helm: &Path, t: &Tree) -> Repo {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let src = t.join("repo-src");
    let chart = write_chart(helm, &src);
    let served = t.mkdir("served");
    helm_run(
        helm,
        &[
            "package",
            chart.to_str().unwrap(),
            "-d",
            served.to_str().unwrap(),
        ],
        t.path(),
    );
    helm_run(
        helm,
        &["repo", "index", served.to_str().unwrap(), "--url", &url],
        t.path(),
    );
    let hits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = hits.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let mut line = String::new();
            let mut reader = BufReader::new(conn.try_clone().unwrap());
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).map_or(true, |n| n == 0) || h == "\r\n" {
                    break;
                }
            }
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let path = line
                .split_whitespace()
                .nth(1)
                .unwrap_or("/")
                .trim_start_matches('/');
            let body = std::fs::read(served.join(path));
            let _ = match body {
                Ok(b) => conn
                    .write_all(
                        format!(
                            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                            b.len()
                        )
                        .as_bytes(),
                    )
                    .and_then(|_| conn.write_all(&b)),
                Err(_) => conn.write_all(
                    b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                ),
            };
        }
    });
    Repo { url, hits }
}

#[test]
fn a_chart_from_a_repository_is_pulled_once_pinned_and_matches_kubectl() {
    let helm = need_helm!(3);
    let t = Tree::new();
    let repo = serve_repo(&helm, &t);
    let k = format!(
        "helmCharts:\n- name: spark\n  repo: {}\n  version: 1.2.3\n  releaseName: pulled\n",
        repo.url
    );
    t.file("ours/kustomization.yaml", &k)
        .file("theirs/kustomization.yaml", &k);
    let ours = kcompile_helm(&helm, &t.join("ours"), &[]);
    ours.assert_ok().assert_stdout_has("name: pulled-worker");
    // Pulled into the chart home, kustomize's layout: charts/NAME-VERSION/NAME.
    assert!(t.join("ours/charts/spark-1.2.3/spark/Chart.yaml").is_file());
    let leftovers: Vec<_> = std::fs::read_dir(t.join("ours/charts/spark-1.2.3"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers, ["spark"], "nothing but the chart is left behind");
    if let Some(theirs) = kubectl_helm(&helm, &t.join("theirs")) {
        assert!(theirs.success(), "{theirs}");
        assert_eq!(ours.stdout, theirs.stdout);
    }
    // Once pulled, it is not fetched again.
    let before = repo.hits.load(std::sync::atomic::Ordering::SeqCst);
    assert!(before > 0);
    let again = kcompile_helm(&helm, &t.join("ours"), &[]);
    again.assert_ok();
    assert_eq!(again.stdout, ours.stdout);
    assert_eq!(repo.hits.load(std::sync::atomic::Ordering::SeqCst), before);
}

#[test]
fn a_pull_needs_a_pinned_version_unless_asked() {
    let helm = need_helm!(3);
    let t = Tree::new();
    let repo = serve_repo(&helm, &t);
    t.file(
        "o/kustomization.yaml",
        format!(
            "helmCharts:\n- name: spark\n  repo: {}\n  releaseName: r\n",
            repo.url
        ),
    );
    kcompile_helm(&helm, &t.join("o"), &[]).assert_error(&[
        "helm chart `spark`",
        "without `version:`",
        "kustomization.yaml:2:3",
    ]);
    assert_eq!(repo.hits.load(std::sync::atomic::Ordering::SeqCst), 0);
    kcompile_helm(&helm, &t.join("o"), &["--helm-pull-latest"])
        .assert_ok()
        .assert_stdout_has("name: r-worker");
    assert!(t.join("o/charts/spark/Chart.yaml").is_file());
}

#[test]
fn helm_v4_renders_the_same_objects() {
    let h3 = need_helm!(3);
    let h4 = need_helm!(4);
    let t = overlay_tree(&h3);
    let v3 = kcompile_helm(&h3, &t.join("o"), &[]);
    v3.assert_ok();
    let v4 = kcompile_helm(&h4, &t.join("o"), &[]);
    v4.assert_ok();
    assert_eq!(v3.stdout, v4.stdout);
    // kubectl's kustomize 5.5 refuses helm 4; kcompile drives it.
    if let Some(k) = kubectl_helm(&h4, &t.join("o")) {
        assert!(!k.success(), "kustomize 5.5 was expected to refuse helm v4");
    }
}

#[test]
fn charts_need_enable_helm() {
    let t = Tree::with(&[(
        "o/kustomization.yaml",
        "resources: []\nhelmCharts:\n- name: spark\n  releaseName: r\n",
    )]);
    t.kcompile(&["o"]).assert_error(&[
        "helm chart `spark`",
        "--enable-helm",
        "kustomization.yaml:3:3",
    ]);
}

#[test]
fn a_missing_helm_program_is_named() {
    let t = Tree::with(&[
        (
            "o/kustomization.yaml",
            "helmCharts:\n- name: spark\n  version: 1.2.3\n  releaseName: r\n",
        ),
        (
            "o/charts/spark/Chart.yaml",
            "apiVersion: v2\nname: spark\nversion: 1.2.3\n",
        ),
    ]);
    kcompile_helm(Path::new("/nonexistent/helm"), &t.join("o"), &[]).assert_error(&[
        "helm chart `spark` version 1.2.3",
        "`/nonexistent/helm` was not found",
        "--helm-command",
        "kustomization.yaml:2:3",
    ]);
}

#[test]
fn errors_name_the_chart_the_file_and_the_line() {
    let helm = need_helm!(3);
    let t = Tree::new();
    write_chart(&helm, &t.join("o/charts"));
    let run = |k: &str, files: &[(&str, &str)]| {
        t.file("o/kustomization.yaml", k);
        for (p, c) in files {
            t.file(format!("o/{p}"), c);
        }
        kcompile_helm(&helm, &t.join("o"), &[])
    };
    run("helmCharts:\n- name: nope\n  releaseName: r\n", &[]).assert_error(&[
        "helm chart `nope`",
        "no chart folder at",
        "no `repo:`",
    ]);
    run("helmCharts:\n- name: spark\n", &[])
        .assert_error(&["no `releaseName:`", "--generate-name"]);
    run(
        "helmCharts:\n- name: spark\n  releaseName: r\n  version: 9.9.9\n",
        &[],
    )
    .assert_error(&["version 9.9.9", "holds version 1.2.3"]);
    run(
        "helmCharts:\n- name: spark\n  releaseName: r\n  valuesMerge: mix\n",
        &[],
    )
    .assert_error(&["valuesMerge must be one of", "`mix`"]);
    run(
        "helmCharts:\n- name: spark\n  releaseName: r\n  valuesFile: bad.yaml\n  valuesInline:\n    a: 1\n",
        &[("bad.yaml", "a: [1\n")],
    )
    .assert_error(&["bad.yaml:", "invalid YAML"]);
    // Checked before helm sees it, also when it is passed through as is.
    run(
        "helmCharts:\n- name: spark\n  releaseName: r\n  valuesFile: bad.yaml\n",
        &[("bad.yaml", "a: 1\n  b: 2\n")],
    )
    .assert_error(&["bad.yaml:2:", "invalid YAML"]);
    run(
        "helmCharts:\n- name: spark\n  releaseName: r\n  additionalValuesFiles: [list.yaml]\n",
        &[("list.yaml", "- a\n- b\n")],
    )
    .assert_error(&["list.yaml:1:1", "values must be a map, not a list"]);
    run(
        "helmCharts:\n- name: spark\n  releaseName: r\n  additionalValuesFiles: [two.yaml]\n",
        &[("two.yaml", "a: 1\n---\nb: 2\n")],
    )
    .assert_error(&["two.yaml:3:1", "one YAML document"]);
    run(
        "helmCharts:\n- name: spark\n  releaseName: r\n  valuesInline:\n    worker: 3\n",
        &[],
    )
    .assert_error(&["`worker`", "cannot be merged"]);
    run(
        "helmCharts:\n- name: spark\n  releaseName: r\n  additionalValuesFiles: [../outside.yaml]\n",
        &[],
    )
    .assert_code(2);
    run(
        "helmChartInflationGenerator:\n- chartName: spark\n  releaseName: r\n  extraArgs: [--atomic]\n",
        &[],
    )
    .assert_error(&["`extraArgs` is not honoured", "kustomization.yaml:2:3"]);
    // helm itself fails: its words are shown, with the chart named.
    t.file(
        "o/charts/spark/templates/broken.yaml",
        "{{ .Values.nope.deeper }}\n",
    );
    run("helmCharts:\n- name: spark\n  releaseName: r\n", &[]).assert_error(&[
        "helm chart `spark`",
        "helm says:",
        "nil pointer",
        "kustomization.yaml:2:3",
    ]);
}

#[test]
fn a_chart_at_a_git_revision_is_read_from_that_revision() {
    let helm = need_helm!(3);
    let t = Tree::new();
    t.file(
        "o/kustomization.yaml",
        "helmCharts:\n- name: spark\n  releaseName: r\n  valuesInline:\n    worker:\n      replicas: 3\n",
    );
    write_chart(&helm, &t.join("o/charts"));
    let git = |args: &[&str]| {
        let out = Cmd::new("git")
            .args(["-c", "user.email=t@example.com", "-c", "user.name=t"])
            .args(args)
            .cwd(t.path())
            .run();
        assert!(out.success(), "git {args:?}: {out}");
    };
    git(&["init", "-q", "-b", "main"]);
    git(&["add", "-A"]);
    git(&["commit", "-q", "-m", "one"]);
    // The chart's template changes in the working tree: the base side must
    // render the committed chart, not the one on disk.
    let worker = t.join("o/charts/spark/templates/worker.yaml");
    let text = std::fs::read_to_string(&worker).unwrap();
    std::fs::write(
        &worker,
        text.replace("\"--cores\"", "\"--cores-per-worker\""),
    )
    .unwrap();
    let out = util::cmd()
        .cwd(t.path())
        .args(["diff", "--base", "HEAD", "--enable-helm", "--helm-command"])
        .arg(&helm)
        .arg("o")
        .run();
    out.assert_code(1);
    assert!(out.stdout.contains("-        - --cores\n"), "{out}");
    assert!(
        out.stdout.contains("+        - --cores-per-worker\n"),
        "{out}"
    );
}

/// Scalars typed as kustomize types them on each path: the values file
/// read by helm itself, and the values file folded with `valuesInline`
/// (kustomize re-reads it as YAML 1.2 there, so `yes` becomes a string).
#[test]
fn value_types_come_out_as_with_kubectl() {
    let helm = need_helm!(3);
    let t = Tree::with(&[
        ("p/Chart.yaml", "apiVersion: v2\nname: p\nversion: 0.1.0\n"),
        (
            "p/values.yaml",
            "a: yes\nb: 3.10\nc: 0x1F\nd: \"x\"\ne: 1e3\nf: ~\ng: 012\nh: 12345678901234567890\ni: on\n",
        ),
        (
            "p/templates/cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: p\ndata:\n{{- range $k, $v := .Values }}\n  {{ $k }}: {{ printf \"%T %v\" $v $v | quote }}\n{{- end }}\n",
        ),
    ]);
    for (dir, inline) in [
        ("plain", ""),
        (
            "folded",
            "  valuesInline:\n    z: 1\n    yy: yes\n    x: 3.10\n    w: 0x1F\n    v: 1e3\n    u: 012\n    t: on\n    s: 12345678901234567890\n    r: 0o17\n",
        ),
    ] {
        t.file(format!("{dir}/kustomization.yaml"), format!("helmCharts:\n- name: p\n  releaseName: r\n{inline}"));
        util::copy_dir(&t.join("p"), &t.join(format!("{dir}/charts/p")));
        same_as_kubectl(&helm, &t.join(dir)).assert_stdout_has("c: float64 31");
    }
    let folded = kcompile_helm(&helm, &t.join("folded"), &[]);
    folded
        .assert_stdout_has("a: string yes")
        .assert_stdout_has("yy: bool true");
}

/// kubectl's --helm-kube-version and --helm-api-versions apply to entries
/// without their own `kubeVersion:`/`apiVersions:` (kustomize sets them
/// before reading the entry, which then wins), in kcompile as in kubectl.
#[test]
fn command_line_capabilities_are_defaults_like_kubectl() {
    let helm = need_helm!(3);
    let t = overlay_tree(&helm);
    util::copy_dir(&t.join("o"), &t.join("p"));
    let k = t.read("o/kustomization.yaml");
    let without = k.replace(
        "  kubeVersion: \"1.30.0\"\n  apiVersions:\n  - monitoring.coreos.com/v1\n",
        "",
    );
    assert_ne!(k, without);
    t.file("p/kustomization.yaml", without);
    let flags = [
        "--helm-kube-version",
        "1.29.4",
        "--helm-api-versions",
        "example.com/v9",
    ];
    for (dir, kube, monitoring) in [("o", "v1.30.0", "true"), ("p", "v1.29.4", "false")] {
        let ours = kcompile_helm(&helm, &t.join(dir), &flags);
        ours.assert_ok()
            .assert_stdout_has(&format!("kubeVersion: {kube}"))
            .assert_stdout_has(&format!("monitoring: \"{monitoring}\""));
        if util::oracle::kubectl_available() {
            let theirs = Cmd::new("kubectl")
                .args(["kustomize", "--enable-helm", "--helm-command"])
                .arg(&helm)
                .args(flags)
                .arg(t.join(dir))
                .run();
            assert!(theirs.success(), "{theirs}");
            assert_eq!(ours.stdout, theirs.stdout);
        }
    }
}

/// What a GitOps repository really holds: a local chart with values, and a
/// shared base from another git repository (here a bare repository reached
/// by a `file://` URL at a tag) that itself inflates a chart. kcompile and
/// `kubectl kustomize --enable-helm` print the same bytes.
#[test]
fn a_local_chart_with_values_and_a_remote_base_match_kubectl() {
    let helm = need_helm!(3);
    let t = Tree::new();
    let git = |dir: &Path, args: &[&str]| {
        let out = Cmd::new("git")
            .args(["-c", "user.email=t@example.com", "-c", "user.name=t"])
            .args(args)
            .cwd(dir)
            .run();
        assert!(out.success(), "git {args:?}: {out}");
    };
    // The platform repository: a base with a Service, a ConfigMap and the
    // spark chart (its own chart home), tagged v1.4.0.
    let src = t.join("platform");
    util::write_tree(
        &src,
        &[
            (
                "base/kustomization.yaml",
                "resources:\n- svc.yaml\nconfigMapGenerator:\n- name: platform\n  literals: [tier=shared]\nhelmCharts:\n- name: spark\n  releaseName: shared\n  valuesInline:\n    ui:\n      enabled: false\n",
            ),
            (
                "base/svc.yaml",
                "apiVersion: v1\nkind: Service\nmetadata:\n  name: metrics\nspec:\n  ports:\n  - port: 9090\n",
            ),
        ],
    );
    write_chart(&helm, &src.join("base/charts"));
    git(&src, &["init", "-q", "-b", "main"]);
    git(&src, &["add", "-A"]);
    git(&src, &["commit", "-q", "-m", "platform"]);
    git(&src, &["tag", "v1.4.0"]);
    git(
        t.path(),
        &[
            "clone",
            "-q",
            "--bare",
            src.to_str().unwrap(),
            "platform.git",
        ],
    );
    let url = format!(
        "file://{}//base?ref=v1.4.0",
        t.join("platform.git").display()
    );
    // The overlay: the remote base, a local chart with values, transformers.
    let k = OVERLAY.replace(
        "resources:\n- extra.yaml\n",
        &format!("resources:\n- extra.yaml\n- {url}\n"),
    );
    assert_ne!(k, OVERLAY);
    t.file("o/kustomization.yaml", &k)
        .file(
            "o/values-prod.yaml",
            "image:\n  tag: 3.5.2\nui:\n  port: 4040\n",
        )
        .file(
            "o/extra.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\ndata:\n  k: v\n",
        );
    write_chart(&helm, &t.join("o/charts"));
    let ours = util::cmd()
        .env("XDG_CACHE_HOME", t.join("cache"))
        .args(["--enable-helm", "--helm-command"])
        .arg(&helm)
        .arg(t.join("o"))
        .run();
    ours.assert_ok()
        .assert_stdout_has("name: b-metrics") // from the remote base
        .assert_stdout_has("name: b-shared-worker") // its chart
        .assert_stdout_has("name: b-spark-worker") // the local chart
        .assert_stdout_has("replicas: 4");
    assert!(ours.stdout.contains("name: b-platform-"), "{}", ours.stdout);
    if let Some(theirs) = kubectl_helm(&helm, &t.join("o")) {
        assert!(theirs.success(), "{theirs}");
        assert_eq!(ours.stdout, theirs.stdout);
    }
}
