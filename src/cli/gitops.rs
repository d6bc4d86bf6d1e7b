//! CLI side of the GitOps output (`-o`, `--check`), `kcompile.yaml`
//! multi-cluster builds and validation. Prints; the library does the work.

use super::{BuildArgs, ExitStatus};
use clap::{Args, ValueEnum};
use kcompile::compile::{self, Options};
use kcompile::input::load::Loader;
use kcompile::output::gitops::{self, Layout};
use kcompile::validate::{self, Report};
use kcompile::workspace::{self, Config, Deployed};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

#[derive(Args, Debug, Clone, Default)]
pub struct GitopsArgs {
    /// Write a GitOps folder (one file per object + kustomization.yaml) instead of printing.
    #[arg(short = 'o', long = "output", value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// Folder layout for -o: one file per object, or a single all.yaml.
    #[arg(long, value_enum, default_value_t = LayoutArg::PerObject)]
    pub layout: LayoutArg,
    /// Write nothing; exit 1 and print a diff when the output folder is not up to date.
    #[arg(long)]
    pub check: bool,
    /// Replace an output folder kcompile did not create.
    #[arg(long)]
    pub force: bool,
    /// Show Secret values in the --check diff instead of masking them.
    #[arg(long)]
    pub show_secrets: bool,
    /// Validate even when printing to stdout (it is on for -o, --check and kcompile.yaml builds).
    #[arg(long, conflicts_with = "no_validate")]
    pub validate: bool,
    /// Skip schema validation and lints.
    #[arg(long)]
    pub no_validate: bool,
    #[command(flatten)]
    pub val: ValOpts,
    /// kcompile.yaml to use (default: found from the current folder upward).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Folder that kcompile.yaml outputs must lie in (default: the folder of kcompile.yaml).
    #[arg(long, value_name = "DIR")]
    pub output_root: Option<PathBuf>,
    /// Clusters compiled at once (0: one per core; at most 256).
    #[arg(long, default_value_t = 0, value_name = "N",
          value_parser = clap::value_parser!(u32).range(0..=workspace::MAX_JOBS as i64))]
    pub jobs: u32,
}

#[derive(Args, Debug, Clone, Default)]
pub struct ValOpts {
    /// Kubernetes version whose schemas objects are checked against (default: newest bundled).
    #[arg(long, value_name = "VERSION")]
    pub kubernetes_version: Option<String>,
    /// Make lint warnings fatal.
    #[arg(long)]
    pub strict: bool,
}

#[derive(ValueEnum, Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LayoutArg {
    #[default]
    PerObject,
    Single,
}

#[derive(Args, Debug, Clone)]
pub struct ValidateArgs {
    /// Overlay directories (default: every cluster of kcompile.yaml).
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub val: ValOpts,
    /// kcompile.yaml to use when no path is given.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

impl GitopsArgs {
    /// Whether the build goes beyond printing kubectl-kustomize-compatible YAML.
    pub fn wants_pipeline(&self) -> bool {
        self.output.is_some()
            || self.check
            || self.validate
            || self.val.strict
            || self.val.kubernetes_version.is_some()
    }
}

fn eprint(s: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{s}");
}

/// Write to stdout; a failure (a full disk, a closed pipe) is reported.
pub fn print_stdout(text: &str) -> ExitStatus {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|_| stdout.flush())
    {
        Ok(()) => ExitStatus::Success,
        Err(e) => {
            drop(stdout);
            eprint(&format!("error: cannot write the output to stdout: {e}"));
            ExitStatus::Error
        }
    }
}

fn worst(a: ExitStatus, b: ExitStatus) -> ExitStatus {
    let rank = |s| match s {
        ExitStatus::Success => 0,
        ExitStatus::Failure => 1,
        ExitStatus::Error => 2,
    };
    if rank(b) > rank(a) {
        b
    } else {
        a
    }
}

fn vopts(v: &ValOpts, cfg: Option<&Config>) -> validate::Options {
    validate::Options {
        kubernetes_version: v
            .kubernetes_version
            .clone()
            .or_else(|| cfg.and_then(|c| c.kubernetes_version.clone()))
            .unwrap_or_else(|| validate::default_version().to_string()),
        ..Default::default()
    }
}

/// Print a validation report (prefixed with the cluster name when there are
/// several); true when it fails the build.
fn print_report(r: &Report, strict: bool, label: Option<&str>) -> bool {
    let pre = label.map(|l| format!("[{l}] ")).unwrap_or_default();
    for n in &r.notes {
        eprint(&format!("{pre}{n}"));
    }
    for w in &r.warnings {
        let level = if strict { "error" } else { "warning" };
        eprint(&format!("{pre}{level}: {w}"));
    }
    for e in &r.errors {
        eprint(&format!("{pre}error: {e}"));
    }
    let failed = r.failed(strict);
    if failed {
        // Lint findings fail the build only under --strict: name them then.
        let lints = if strict && !r.warnings.is_empty() {
            format!(", {} lint finding(s) under --strict", r.warnings.len())
        } else {
            String::new()
        };
        eprint(&format!(
            "{pre}error: validation failed ({} schema error(s){lints})",
            r.errors.len()
        ));
    }
    failed
}

/// Validate a build before it is used (by `diff`): prints the findings;
/// false when the build must not be used.
pub fn validate_before_use(out: &compile::Output, v: &ValOpts) -> bool {
    match validate::validate(&out.resources, &vopts(v, None)) {
        Ok(r) => !print_report(&r, v.strict, None),
        Err(e) => {
            super::report(&e);
            false
        }
    }
}

fn load_config(explicit: Option<&Path>) -> Result<Option<Config>, ExitStatus> {
    let found = match explicit {
        Some(f) => Ok(Some(f.to_path_buf())),
        None => match std::env::current_dir() {
            Ok(d) => workspace::find_config(&d),
            Err(e) => {
                eprint(&format!("error: cannot determine the working folder to look for kcompile.yaml: {e}\n  hint: a working folder deeper than the system allows (PATH_MAX) cannot be resolved; run kcompile from a shorter path, or pass --config"));
                return Err(ExitStatus::Error);
            }
        },
    };
    let file = match found {
        Ok(f) => f,
        Err(e) => {
            super::report(&e);
            return Err(ExitStatus::Error);
        }
    };
    match file {
        None => Ok(None),
        Some(f) => match workspace::load(&f) {
            Ok(c) => Ok(Some(c)),
            Err(e) => {
                super::report(&e);
                Err(ExitStatus::Error)
            }
        },
    }
}

/// `kcompile [build] [PATH] [-o DIR] [--check] …`
pub fn run(b: &BuildArgs, opts: &Options) -> ExitStatus {
    let g = &b.gitops;
    match &b.path {
        Some(path) => {
            if g.output_root.is_some() {
                eprint("error: --output-root applies to the outputs of kcompile.yaml; -o DIR is written where it says\n  hint: run `kcompile build --output-root DIR` without an overlay path");
                return ExitStatus::Error;
            }
            if let Err(e) = kcompile::input::fsguard::check_overlay_dir(path) {
                super::report(&e);
                return ExitStatus::Error;
            }
            let loader = Loader::new();
            let validate = !g.no_validate && g.wants_pipeline();
            let vo = vopts(&g.val, None);
            let out = match compile::build(&loader, path, opts) {
                Ok(o) => o,
                Err(e) => {
                    super::report(&e);
                    return ExitStatus::Error;
                }
            };
            for w in &out.warnings {
                eprint(w);
            }
            if validate {
                match validate::validate(&out.resources, &vo) {
                    Ok(r) => {
                        if print_report(&r, g.val.strict, None) {
                            return ExitStatus::Error;
                        }
                    }
                    Err(e) => {
                        super::report(&e);
                        return ExitStatus::Error;
                    }
                }
            }
            let fix = match &g.output {
                Some(o) => format!("kcompile {} -o {}", path.display(), o.display()),
                None => format!("kcompile {}", path.display()),
            };
            let (status, text) = emit(&out, g.output.as_deref(), g, None, &fix, None);
            match text {
                Some(t) if status != ExitStatus::Error => worst(status, print_stdout(&t)),
                _ => status,
            }
        }
        None => {
            let cfg = match load_config(g.config.as_deref()) {
                Ok(Some(c)) => c,
                Ok(None) => {
                    eprint("error: no overlay given and no kcompile.yaml found\n  hint: run `kcompile overlays/cluster-a` (a directory holding kustomization.yaml), or add a kcompile.yaml listing the clusters");
                    return ExitStatus::Error;
                }
                Err(s) => return s,
            };
            if g.output.is_some() {
                eprint("error: -o needs an overlay path; with kcompile.yaml each cluster's `output` says where to write\n  hint: run `kcompile build OVERLAY -o DIR`, or set `output:` in kcompile.yaml");
                return ExitStatus::Error;
            }
            run_all(&cfg, g, opts)
        }
    }
}

/// Write, check or print one build's objects. Returns the status and what
/// is to go to stdout (the caller prints it, so that a failed run of
/// several clusters can print nothing).
/// `fix`: the command that brings the output folder up to date; `cluster`:
/// the cluster's name when the build comes from kcompile.yaml.
fn emit(
    out: &compile::Output,
    target: Option<&Path>,
    g: &GitopsArgs,
    label: Option<&str>,
    fix: &str,
    cluster: Option<&str>,
) -> (ExitStatus, Option<String>) {
    let layout = match g.layout {
        LayoutArg::PerObject => Layout::PerObject,
        LayoutArg::Single => Layout::Single,
    };
    let Some(target) = target else {
        if g.check {
            match cluster {
                Some(name) => eprint(&format!(
                    "error: cluster {name}: --check needs an output folder, and kcompile.yaml gives it no `output:`\n  hint: add `output: rendered/{name}` to cluster {name} in kcompile.yaml, then run `{fix}` to write it"
                )),
                None => eprint("error: --check needs an output folder\n  hint: run `kcompile OVERLAY -o DIR --check`"),
            }
            return (ExitStatus::Error, None);
        }
        let docs: Vec<&kcompile::Value> = out.resources.iter().map(|r| &r.obj).collect();
        let mut text = String::new();
        if let Some(l) = label {
            text.push_str(&format!("---\n# cluster: {l}\n"));
        }
        text.push_str(&kcompile::yaml::stream_to_string(&docs));
        return (ExitStatus::Success, Some(text));
    };
    let files = gitops::plan(&out.resources, layout);
    let waiting = |dir: &Path| {
        eprint(&format!(
            "{}: waiting for another kcompile writing in {} to finish",
            target.display(),
            dir.display()
        ))
    };
    let ropts = gitops::Options {
        force: g.force,
        show_secrets: g.show_secrets,
        on_wait: Some(&waiting),
    };
    if g.check {
        return match gitops::check(target, &files, &ropts) {
            Ok(None) => {
                eprint(&format!("{}: up to date", target.display()));
                (ExitStatus::Success, None)
            }
            Ok(Some(diff)) => {
                eprint(&format!(
                    "{}{}: out of date\n  hint: run `{fix}` to update it",
                    cluster
                        .map(|c| format!("cluster {c}: "))
                        .unwrap_or_default(),
                    target.display()
                ));
                (ExitStatus::Failure, Some(diff))
            }
            Err(e) => {
                super::report(&e);
                (ExitStatus::Error, None)
            }
        };
    }
    let status = match gitops::write(target, &files, &ropts) {
        Ok(s) if !s.changed => {
            eprint(&format!("{}: unchanged", target.display()));
            ExitStatus::Success
        }
        Ok(s) => {
            eprint(&format!(
                "{}: {} file(s) written, {} unchanged, {} removed",
                target.display(),
                s.written,
                s.kept,
                s.removed
            ));
            ExitStatus::Success
        }
        Err(e) => {
            super::report(&e);
            ExitStatus::Error
        }
    };
    (status, None)
}

fn progress_fn(total: usize) -> impl Fn(usize, usize) + Sync {
    let show = total >= 4 && std::io::stderr().is_terminal();
    move |done, total| {
        if show {
            let mut err = std::io::stderr().lock();
            if done < total {
                let _ = write!(err, "\r  compiling clusters: {done}/{total}");
            } else {
                let _ = write!(err, "\r\x1b[K");
            }
            let _ = err.flush();
        }
    }
}

/// Every cluster of kcompile.yaml: compile in parallel, check collisions,
/// then write/check/print each; the exit status is the worst of them.
fn run_all(cfg: &Config, g: &GitopsArgs, opts: &Options) -> ExitStatus {
    let outputs = match cfg.resolve_outputs(g.output_root.as_deref()) {
        Ok(o) => o,
        Err(e) => {
            super::report(&e);
            return ExitStatus::Error;
        }
    };
    let loader = Loader::new();
    let vo = vopts(&g.val, Some(cfg));
    let results = workspace::compile_all(
        &loader,
        cfg,
        opts,
        (!g.no_validate).then_some(&vo),
        g.jobs as usize,
        &progress_fn(cfg.clusters.len()),
    );
    let mut status = ExitStatus::Success;
    let mut ok: Vec<Option<&compile::Output>> = Vec::new();
    for (c, r) in cfg.clusters.iter().zip(&results) {
        match r {
            Err(e) => {
                eprint(&format!("[{}] error: {e}", c.name));
                status = ExitStatus::Error;
                ok.push(None);
            }
            Ok(comp) => {
                for w in &comp.output.warnings {
                    eprint(&format!("[{}] {w}", c.name));
                }
                let failed = comp
                    .report
                    .as_ref()
                    .is_some_and(|r| print_report(r, g.val.strict, Some(&c.name)));
                if failed {
                    status = ExitStatus::Error;
                    ok.push(None);
                } else {
                    ok.push(Some(&comp.output));
                }
            }
        }
    }
    let deployed: Vec<Deployed> = cfg
        .clusters
        .iter()
        .zip(&ok)
        .filter_map(|(c, o)| {
            o.map(|o| Deployed {
                name: &c.name,
                overlay: &c.overlay,
                context: c.context.as_deref(),
                resources: &o.resources,
            })
        })
        .collect();
    let cols = workspace::collisions(&deployed);
    if !cols.is_empty() {
        for c in &cols {
            eprint(&format!("error: {c}"));
        }
        eprint("error: clusters collide; nothing written\n  hint: give each cluster on a shared context its own namespaces, cluster-scoped names and nodePorts");
        return ExitStatus::Error;
    }
    // Stdout carries YAML or diffs only when the whole run succeeded (or
    // found differences): a consumer of a failed run gets nothing to misread.
    let mut stdout = String::new();
    for ((c, o), target) in cfg.clusters.iter().zip(&ok).zip(&outputs) {
        if let Some(out) = o {
            let label = format!("{} ({})", c.name, c.overlay);
            let fix = match &g.config {
                Some(p) => format!("kcompile build --config {}", p.display()),
                None => "kcompile build".to_string(),
            };
            let (s, text) = emit(out, target.as_deref(), g, Some(&label), &fix, Some(&c.name));
            status = worst(status, s);
            if let Some(t) = text {
                stdout.push_str(&t);
            }
        }
    }
    if status == ExitStatus::Error {
        if !stdout.is_empty() {
            eprint("error: a cluster failed; nothing printed on stdout");
        }
        return status;
    }
    worst(status, print_stdout(&stdout))
}

/// `kcompile validate [PATH…]`
pub fn run_validate(v: &ValidateArgs) -> ExitStatus {
    let loader = Loader::new();
    let mut status = ExitStatus::Success;
    if v.paths.is_empty() {
        let cfg = match load_config(v.config.as_deref()) {
            Ok(Some(c)) => c,
            Ok(None) => {
                eprint("error: no overlay given and no kcompile.yaml found\n  hint: run `kcompile validate overlays/cluster-a`");
                return ExitStatus::Error;
            }
            Err(s) => return s,
        };
        let vo = vopts(&v.val, Some(&cfg));
        let results = workspace::compile_all(
            &loader,
            &cfg,
            &Options::default(),
            Some(&vo),
            0,
            &progress_fn(cfg.clusters.len()),
        );
        for (c, r) in cfg.clusters.iter().zip(&results) {
            match r {
                Err(e) => {
                    eprint(&format!("[{}] error: {e}", c.name));
                    status = ExitStatus::Error;
                }
                Ok(comp) => {
                    if let Some(rep) = &comp.report {
                        if print_report(rep, v.val.strict, Some(&c.name)) {
                            status = ExitStatus::Error;
                        }
                    }
                }
            }
        }
        if status == ExitStatus::Success {
            eprint(&format!("{} cluster(s) valid", cfg.clusters.len()));
        }
        return status;
    }
    let vo = vopts(&v.val, None);
    let many = v.paths.len() > 1;
    for p in &v.paths {
        let label = p.display().to_string();
        let label = many.then_some(label.as_str());
        match kcompile::input::fsguard::check_overlay_dir(p)
            .and_then(|_| compile::build(&loader, p, &Options::default()))
            .and_then(|o| validate::validate(&o.resources, &vo))
        {
            Err(e) => {
                super::report(&e);
                status = ExitStatus::Error;
            }
            Ok(rep) => {
                if print_report(&rep, v.val.strict, label) {
                    status = ExitStatus::Error;
                } else {
                    eprint(&format!("{}: valid", p.display()));
                }
            }
        }
    }
    status
}
