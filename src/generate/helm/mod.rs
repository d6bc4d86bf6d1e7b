//! Helm charts: `helmCharts:` with `helmGlobals:`, the older
//! `helmChartInflationGenerator:` list, and a `HelmChartInflationGenerator`
//! config under `generators:`, inflated as kustomize inflates them (`helm
//! template` over the chart in the chart home, pulled there from `repo:`
//! when absent). What to run is decided here, without IO; the [`Runner`]
//! (the real helm program: [`command::HelmCommand`]) runs it.
//!
//! Where kustomize is loose, this is strict: a chart without a release
//! name (helm would invent a new one each run), a pull without a pinned
//! version, a local chart whose version differs from `version:`, values
//! that are not one YAML map, and fields kustomize drops silently are
//! errors naming the chart and the kustomization entry.

pub mod command;
pub mod values;

use crate::error::{Error, ErrorKind, Result};
use crate::generate::absorb::Site;
use crate::input::source::Entry;
use crate::model::resource::Resource;
use serde_json::{Map, Value};
use std::fmt;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use values::ValuesMerge;

/// kustomize's default chart home, beside the kustomization.
pub const DEFAULT_CHART_HOME: &str = "charts";

/// Largest chart kcompile copies out of a tree that is not on disk (a git
/// revision, for `diff --base`).
const MAX_CHART_FILES: usize = 10_000;

/// The helm program's version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    pub major: u64,
    pub text: String,
}

impl Version {
    /// The first `v1.2.3`-like word of `helm version --short`.
    pub fn parse(text: &str) -> Option<Version> {
        let re = regex::Regex::new(r"v?(\d+)(\.\d+)+").ok()?;
        let m = re.captures(text)?;
        Some(Version {
            major: m.get(1)?.as_str().parse().ok()?,
            text: m.get(0)?.as_str().to_string(),
        })
    }
}

/// Why running helm failed: what happened, and helm's own words.
#[derive(Debug, Clone)]
pub struct Failure {
    pub message: String,
    pub stderr: String,
    /// The program was not found.
    pub missing: bool,
}

/// Where helm finds the chart.
#[derive(Debug, Clone)]
pub enum ChartAt {
    /// A folder on disk.
    Path(PathBuf),
    /// The chart's files (relative path, bytes), for a tree not on disk:
    /// the runner writes them to a folder of this name first.
    Files(String, Vec<(PathBuf, Vec<u8>)>),
}

/// One `helm template` run: `head` (`template RELEASE`), the chart,
/// `middle`, one `-f` per values file (contents; the runner writes them),
/// then `flags`.
#[derive(Debug, Clone)]
pub struct Template {
    pub head: Vec<String>,
    pub chart: ChartAt,
    pub middle: Vec<String>,
    pub values: Vec<Vec<u8>>,
    pub flags: Vec<String>,
    /// `HELM_CONFIG_HOME` (`helmGlobals.configHome`); a private temporary
    /// folder when `None`.
    pub config_home: Option<PathBuf>,
}

/// One `helm pull` of chart `name` into the folder `dest` (the runner adds
/// `--untar --untardir`).
#[derive(Debug, Clone)]
pub struct Pull {
    pub args: Vec<String>,
    pub dest: PathBuf,
    pub name: String,
    pub config_home: Option<PathBuf>,
}

/// Runs helm. Shared by parallel builds.
pub trait Runner: Send + Sync + fmt::Debug {
    fn version(&self) -> std::result::Result<Version, Failure>;
    /// helm's standard output.
    fn template(&self, t: &Template) -> std::result::Result<Vec<u8>, Failure>;
    fn pull(&self, p: &Pull) -> std::result::Result<(), Failure>;
}

/// Helm for one build: `--enable-helm` and its companions.
#[derive(Debug, Clone)]
pub struct Helm {
    pub runner: Arc<dyn Runner>,
    /// `--helm-kube-version`: for charts without `kubeVersion:`.
    pub kube_version: Option<String>,
    /// `--helm-api-versions`: for charts without `apiVersions:`.
    pub api_versions: Vec<String>,
    /// `--helm-debug`.
    pub debug: bool,
    /// `--helm-pull-latest`: a chart with `repo:` and no `version:` may be
    /// pulled at whatever version is newest.
    pub pull_latest: bool,
}

/// `helmGlobals`.
#[derive(Debug, Clone, Default)]
pub struct Globals {
    pub chart_home: String,
    pub config_home: String,
}

/// One chart entry (kustomize's HelmChart).
#[derive(Debug, Clone, Default)]
pub struct Chart {
    pub name: String,
    pub version: String,
    pub repo: String,
    pub release_name: String,
    pub namespace: String,
    pub additional_values_files: Vec<String>,
    pub values_file: String,
    pub values_inline: Map<String, Value>,
    pub values_merge: String,
    pub include_crds: bool,
    pub skip_hooks: bool,
    pub api_versions: Vec<String>,
    pub kube_version: String,
    pub name_template: String,
    pub skip_tests: bool,
    pub debug: bool,
}

/// Where a chart entry was written, for errors: the field and index in
/// the kustomization (`helmCharts`, 0).
pub type Listed<'a> = (&'a str, usize);

fn s(v: &Value, k: &str) -> String {
    v.get(k)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

fn b(v: &Value, k: &str) -> bool {
    v.get(k).and_then(Value::as_bool).unwrap_or(false)
}

fn strings(v: &Value, k: &str) -> Vec<String> {
    v.get(k)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn object(v: &Value, k: &str) -> Map<String, Value> {
    v.get(k)
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

impl Globals {
    /// From a (shape-checked) `helmGlobals` value.
    pub fn from_value(v: Option<&Value>) -> Globals {
        v.map(|v| Globals {
            chart_home: s(v, "chartHome"),
            config_home: s(v, "configHome"),
        })
        .unwrap_or_default()
    }
}

impl Chart {
    /// From a (shape-checked) `helmCharts` entry or generator config.
    pub fn from_value(v: &Value) -> Chart {
        Chart {
            name: s(v, "name"),
            version: s(v, "version"),
            repo: s(v, "repo"),
            release_name: s(v, "releaseName"),
            namespace: s(v, "namespace"),
            additional_values_files: strings(v, "additionalValuesFiles"),
            values_file: s(v, "valuesFile"),
            values_inline: object(v, "valuesInline"),
            values_merge: s(v, "valuesMerge"),
            include_crds: b(v, "includeCRDs"),
            skip_hooks: b(v, "skipHooks"),
            api_versions: strings(v, "apiVersions"),
            kube_version: s(v, "kubeVersion"),
            name_template: s(v, "nameTemplate"),
            skip_tests: b(v, "skipTests"),
            debug: b(v, "debug"),
        }
    }

    /// From an entry of the older `helmChartInflationGenerator:` list, as
    /// kustomize converts it. The fields kustomize drops without a word
    /// are refused here. Its `chartHome`/`helmHome` go to the globals.
    pub fn from_legacy(v: &Value) -> std::result::Result<(Chart, Globals), String> {
        for (k, why) in [
            ("chartRepoName", "kustomize ignores it"),
            ("helmBin", "kustomize ignores it; use --helm-command"),
            (
                "releaseNamespace",
                "kustomize ignores it; use `helmCharts:` with `namespace:`",
            ),
            ("extraArgs", "kustomize ignores it"),
        ] {
            let set = match v.get(k) {
                None | Some(Value::Null) => false,
                Some(Value::String(x)) => !x.is_empty(),
                Some(Value::Array(a)) => !a.is_empty(),
                Some(_) => true,
            };
            if set {
                return Err(format!("`{k}` is not honoured ({why})"));
            }
        }
        Ok((
            Chart {
                name: s(v, "chartName"),
                version: s(v, "chartVersion"),
                repo: s(v, "chartRepoUrl"),
                values_file: s(v, "values"),
                values_inline: object(v, "valuesLocal"),
                values_merge: s(v, "valuesMerge"),
                release_name: s(v, "releaseName"),
                ..Chart::default()
            },
            Globals {
                chart_home: s(v, "chartHome"),
                config_home: s(v, "helmHome"),
            },
        ))
    }

    /// `name` `version` (and `from repo`), for messages.
    pub fn describe(&self) -> String {
        let mut d = format!("helm chart `{}`", self.name);
        if !self.version.is_empty() {
            d.push_str(&format!(" version {}", self.version));
        }
        if !self.repo.is_empty() {
            d.push_str(&format!(" from {}", self.repo));
        }
        d
    }
}

/// A path joined and `..` folded without touching the file system (the
/// chart home may not exist yet).
fn lexical(base: &Path, rel: &str) -> PathBuf {
    let mut out = PathBuf::new();
    for c in base.join(rel).components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// Inflate one chart into resources. `listed` is the field and index of the
/// entry (for the origin of the objects), `configured_in` the origin path
/// of the kustomization when origin annotations are on.
pub fn inflate(
    site: Site,
    helm: Option<&Helm>,
    globals: &Globals,
    chart: &Chart,
) -> Result<Inflated> {
    let err = |m: String| {
        Error::new(
            ErrorKind::Kustomization,
            format!("{}: {m}", chart.describe()),
        )
    };
    let Some(helm) = helm else {
        return Err(Error::new(
            ErrorKind::Kustomization,
            format!("{}: helm charts are inflated only with --enable-helm", chart.describe()),
        )
        .hint("pass --enable-helm (as `kubectl kustomize --enable-helm`); it runs the chart's templates with the `helm` program (--helm-command to choose it)"));
    };
    if chart.name.is_empty() {
        return Err(Error::new(
            ErrorKind::Kustomization,
            "helm chart: `name` cannot be empty",
        )
        .hint("name the chart: its folder in the chart home, or its name in `repo:`"));
    }
    let merge = ValuesMerge::parse(&chart.values_merge).ok_or_else(|| {
        err(format!(
            "valuesMerge must be one of [merge override replace], not `{}`",
            chart.values_merge
        ))
    })?;
    if chart.release_name.is_empty() && chart.name_template.is_empty() {
        return Err(err("no `releaseName:`".into()).hint(
            "set `releaseName:`; without it kustomize passes --generate-name and helm invents a new release name on every run, so the same input renders differently each time",
        ));
    }
    // Asked once per run (the runner keeps the answer), and only when
    // helm is about to run: a mistake in the entry is reported first.
    let check_helm = || -> Result<()> {
        let version = helm.runner.version().map_err(|f| failure(chart, f))?;
        if version.major != 3 && version.major != 4 {
            return Err(
                err(format!("needs helm v3 or v4, not helm {}", version.text))
                    .hint("install helm v3 or v4, or name it with --helm-command"),
            );
        }
        Ok(())
    };
    let source = site.loader.source();
    let home_rel = if globals.chart_home.is_empty() {
        DEFAULT_CHART_HOME
    } else {
        globals.chart_home.as_str()
    };
    let mut home = lexical(site.dir, home_rel);
    if !chart.version.is_empty() && !chart.repo.is_empty() {
        home = home.join(format!("{}-{}", chart.name, chart.version));
    }
    let chart_dir = home.join(&chart.name);
    let config_home =
        (!globals.config_home.is_empty()).then(|| lexical(site.dir, &globals.config_home));
    let found = |p: &Path| {
        source
            .canonicalize(p)
            .ok()
            .filter(|c| source.entry(c).ok() == Some(Entry::Dir))
    };
    let mut pulled = false;
    let canon = match found(&chart_dir) {
        Some(c) => c,
        None => {
            if chart.repo.is_empty() {
                return Err(err(format!(
                    "no chart folder at {}, and no `repo:` to pull it from",
                    crate::error::shown(&chart_dir)
                ))
                .hint("put the chart's folder there (charts are looked up in `helmGlobals.chartHome`, default `charts/` beside the kustomization), or set `repo:` and `version:`"));
            }
            if chart.version.is_empty() && !helm.pull_latest {
                return Err(err("`repo:` without `version:`: the chart would be pulled at whatever version is newest".into())
                    .hint("pin the chart with `version:` (or pass --helm-pull-latest to take the newest once; it stays in the chart home)"));
            }
            if !source.is_disk() {
                return Err(err(format!(
                    "the chart is not in this revision ({}) and cannot be pulled into it",
                    crate::error::shown(&chart_dir)
                ))
                .hint(
                    "commit the pulled chart folder, or compare against a revision that has it",
                ));
            }
            check_helm()?;
            let mut args = vec!["pull".to_string()];
            if chart.repo.starts_with("oci://") {
                args.push(format!(
                    "{}/{}",
                    chart.repo.trim_end_matches('/'),
                    chart.name
                ));
            } else {
                args.extend(["--repo".into(), chart.repo.clone(), chart.name.clone()]);
            }
            if !chart.version.is_empty() {
                args.extend(["--version".into(), chart.version.clone()]);
            }
            helm.runner
                .pull(&Pull {
                    args,
                    dest: home.clone(),
                    name: chart.name.clone(),
                    config_home: config_home.clone(),
                })
                .map_err(|f| failure(chart, f))?;
            pulled = true;
            found(&chart_dir).ok_or_else(|| {
                err(format!(
                    "`helm pull` left no chart folder at {}",
                    crate::error::shown(&chart_dir)
                ))
            })?
        }
    };
    if !pulled {
        check_version(site, chart, &canon)?;
    }
    // Values: the values file (the chart's own by default), with the
    // inline values folded in, then the additional files; each must be
    // one YAML map before helm sees it.
    let values_rel = if chart.values_file.is_empty() {
        chart_dir.join("values.yaml").to_string_lossy().into_owned()
    } else {
        chart.values_file.clone()
    };
    let mut values = Vec::new();
    // A chart need not have a values.yaml (kustomize fails on that; helm
    // does not): then there are only the inline values.
    let own_values = chart_dir.join("values.yaml");
    let (vf, bytes) = if chart.values_file.is_empty() && source.entry(&own_values).is_err() {
        (own_values, Vec::new())
    } else {
        read_values(site, chart, &values_rel)?
    };
    let file_map = values_map(&vf, &bytes)?;
    if chart.values_inline.is_empty() {
        values.push(bytes);
    } else {
        let folded = values::fold(file_map, chart.values_inline.clone(), merge).map_err(|m| {
            err(format!(
                "cannot fold `valuesInline` into {}: {m}",
                crate::error::shown(&vf)
            ))
        })?;
        values.push(
            serde_json::to_vec_pretty(&Value::Object(folded)).expect("JSON values serialise"),
        );
    }
    for rel in &chart.additional_values_files {
        let (f, bytes) = read_values(site, chart, rel)?;
        values_map(&f, &bytes)?;
        values.push(bytes);
    }
    let head = vec![
        "template".to_string(),
        if chart.release_name.is_empty() {
            "--generate-name".to_string()
        } else {
            chart.release_name.clone()
        },
    ];
    let mut middle = Vec::new();
    if !chart.namespace.is_empty() {
        middle.extend(["--namespace".into(), chart.namespace.clone()]);
    }
    if !chart.name_template.is_empty() {
        middle.extend(["--name-template".into(), chart.name_template.clone()]);
    }
    let mut flags = Vec::new();
    // The command line's capabilities are defaults: kustomize sets them
    // before it reads the entry, so an entry's own value wins.
    let api_versions = if chart.api_versions.is_empty() {
        &helm.api_versions
    } else {
        &chart.api_versions
    };
    for v in api_versions {
        flags.extend(["--api-versions".into(), v.clone()]);
    }
    let kube_version = if chart.kube_version.is_empty() {
        helm.kube_version.clone().unwrap_or_default()
    } else {
        chart.kube_version.clone()
    };
    if !kube_version.is_empty() {
        flags.extend(["--kube-version".into(), kube_version]);
    }
    if chart.include_crds {
        flags.push("--include-crds".into());
    }
    if chart.skip_tests {
        flags.push("--skip-tests".into());
    }
    if chart.skip_hooks {
        flags.push("--no-hooks".into());
    }
    if chart.debug || helm.debug {
        flags.push("--debug".into());
    }
    let chart_at = if source.is_disk() {
        ChartAt::Path(chart_dir.clone())
    } else {
        ChartAt::Files(chart.name.clone(), chart_files(site, &canon).map_err(&err)?)
    };
    check_helm()?;
    let out = helm
        .runner
        .template(&Template {
            head,
            chart: chart_at,
            middle,
            values,
            flags,
            config_home,
        })
        .map_err(|f| failure(chart, f))?;
    let shown_as = PathBuf::from(format!(
        "{} (helm template output)",
        crate::error::shown(&chart_dir)
    ));
    let stream = crate::input::load::parse_resources(&shown_as, &out)?;
    let resources = crate::input::load::resources_from_docs(&shown_as, stream.docs)?;
    Ok(Inflated {
        resources,
        empty: out.iter().all(u8::is_ascii_whitespace) || stream.blank,
    })
}

/// What a chart rendered.
pub struct Inflated {
    pub resources: Vec<Resource>,
    /// helm printed nothing but blank documents.
    pub empty: bool,
}

fn failure(chart: &Chart, f: Failure) -> Error {
    let mut message = format!("{}: {}", chart.describe(), f.message);
    if !f.stderr.is_empty() {
        message.push_str(&format!("\nhelm says: {}", f.stderr.replace('\n', "\n  ")));
    }
    let e = Error::new(ErrorKind::Kustomization, message);
    if f.missing {
        e.hint("install helm (v3 or v4) or name the program with --helm-command")
    } else {
        e
    }
}

fn read_values(site: Site, chart: &Chart, rel: &str) -> Result<(PathBuf, Vec<u8>)> {
    if rel.contains("://") {
        return Err(Error::new(
            ErrorKind::Kustomization,
            format!(
                "{}: values file `{rel}` is a URL; kcompile reads values files from the tree only",
                chart.describe()
            ),
        )
        .hint("download the values file into the repository and name it by a relative path"));
    }
    site.loader.read_restricted(site.dir, rel).map_err(|e| {
        let mut e = e;
        e.message = format!("{}: values file: {}", chart.describe(), e.message);
        e
    })
}

/// The values file's one map (empty for an empty file): what helm reads.
fn values_map(file: &Path, bytes: &[u8]) -> Result<Map<String, Value>> {
    let docs = crate::input::load::parse_bytes(file, bytes)?;
    let mut maps = docs.into_iter().filter(|d| !d.value.is_null());
    let first = maps.next();
    if let Some(second) = maps.next() {
        return Err(Error::new(
            ErrorKind::Yaml,
            "a values file holds one YAML document; helm reads only the first of these",
        )
        .file(file)
        .pos(second.line, 1)
        .hint("merge the documents into one map, or split them into several values files"));
    }
    match first.map(|d| (d.line, d.value)) {
        None => Ok(Map::new()),
        Some((_, Value::Object(m))) => Ok(m),
        Some((line, other)) => Err(Error::new(
            ErrorKind::Yaml,
            format!(
                "values must be a map, not {}",
                crate::yaml::describe(&other)
            ),
        )
        .file(file)
        .pos(line, 1)
        .hint("a values file is a YAML map of the chart's values")),
    }
}

/// A local chart whose `Chart.yaml` names another version than the
/// kustomization asks for would render the wrong chart without a word.
fn check_version(site: Site, chart: &Chart, dir: &Path) -> Result<()> {
    let exact = regex::Regex::new(r"^v?\d+\.\d+\.\d+([-+][0-9A-Za-z.+-]*)?$").expect("regex");
    if !exact.is_match(&chart.version) {
        return Ok(()); // empty, or a range helm resolves at pull time
    }
    let file = dir.join("Chart.yaml");
    let Ok(bytes) = site.loader.read(&file) else {
        return Ok(()); // helm reports a chart without Chart.yaml
    };
    let docs = crate::input::load::parse_bytes(&file, &bytes)?;
    let found = docs
        .first()
        .and_then(|d| d.value.get("version"))
        .map(|v| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .unwrap_or_default();
    if found.trim_start_matches('v') != chart.version.trim_start_matches('v') {
        return Err(Error::new(
            ErrorKind::Kustomization,
            format!(
                "{}: the chart folder {} holds version {}",
                chart.describe(),
                crate::error::shown(dir),
                if found.is_empty() {
                    "(none)".to_string()
                } else {
                    found
                }
            ),
        )
        .hint(
            "update the chart folder to the version the kustomization names, or change `version:`",
        ));
    }
    Ok(())
}

/// Every file of the chart folder `dir` (canonical) in the build's source,
/// for a tree not on disk.
fn chart_files(site: Site, dir: &Path) -> std::result::Result<Vec<(PathBuf, Vec<u8>)>, String> {
    let source = site.loader.source();
    let mut out = Vec::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let here = dir.join(&rel);
        let names = source
            .list(&here)
            .map_err(|e| format!("cannot list {}: {e}", crate::error::shown(&here)))?;
        for n in names {
            let p = here.join(&n);
            let r = rel.join(&n);
            let canon = source
                .canonicalize(&p)
                .map_err(|e| format!("cannot read {}: {e}", crate::error::shown(&p)))?;
            match source.entry(&canon) {
                Ok(Entry::Dir) if canon.starts_with(dir) => stack.push(r),
                Ok(Entry::File) => {
                    let bytes = source.read(&canon).map_err(|e| e.to_string())?;
                    out.push((r, bytes));
                }
                _ => {
                    return Err(format!(
                        "{} is not a file or folder of the chart",
                        crate::error::shown(&p)
                    ))
                }
            }
            if out.len() > MAX_CHART_FILES {
                return Err(format!("the chart has more than {MAX_CHART_FILES} files"));
            }
        }
    }
    Ok(out)
}
