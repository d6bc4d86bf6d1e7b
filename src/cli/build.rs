//! The main command, `kcompile [build] [OVERLAY]`: print the compiled YAML
//! (as `kubectl kustomize`), write or check a GitOps folder (`-o`,
//! `--check`), or do that for every cluster of `kcompile.yaml`.

use super::report;
use super::validate::{vopts, ValOpts};
use super::workspace::require_config;
use super::ExitStatus;
use clap::{Args, ValueEnum};
use kcompile::compile::{self, Options, Reorder};
use kcompile::input::disk::Disk;
use kcompile::input::load::Loader;
use kcompile::output::{plan, write};
use kcompile::validate;
use kcompile::workspace::{self, Config, Deployed};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

#[derive(Args, Debug, Clone)]
pub struct BuildArgs {
    /// Directory holding kustomization.yaml.
    path: Option<PathBuf>,
    /// Output order: `legacy` (kind order, kubectl's default) or `none` (input order).
    #[arg(long, value_enum)]
    reorder: Option<ReorderArg>,
    #[command(flatten)]
    gitops: GitopsArgs,
    #[command(flatten)]
    pub helm: super::helm::HelmArgs,
    #[command(flatten)]
    remote: super::remote::RemoteArgs,
}

#[derive(ValueEnum, Debug, Clone, Copy)]
enum ReorderArg {
    Legacy,
    None,
}

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
    /// With kcompile.yaml: show each cluster's diff against its live
    /// cluster (its `context:`) before writing its folder.
    #[arg(long)]
    pub diff: bool,
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

#[derive(ValueEnum, Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LayoutArg {
    #[default]
    PerObject,
    Single,
}

impl GitopsArgs {
    /// Whether the build goes beyond printing kubectl-kustomize-compatible YAML.
    pub fn wants_pipeline(&self) -> bool {
        self.output.is_some()
            || self.check
            || self.diff
            || self.validate
            || self.val.strict
            || self.val.kubernetes_version.is_some()
    }
}

fn build_options(b: &BuildArgs) -> Options {
    Options {
        helm: b.helm.helm(),
        reorder: match b.reorder {
            Some(ReorderArg::Legacy) => Reorder::Legacy,
            Some(ReorderArg::None) => Reorder::None,
            None => Reorder::Auto,
        },
    }
}

pub fn run(b: &BuildArgs) -> ExitStatus {
    if b.path.is_none() || b.gitops.wants_pipeline() {
        return pipeline(b, &build_options(b));
    }
    let Some(path) = &b.path else {
        let _ = writeln!(
            std::io::stderr(),
            "error: no overlay given\n  hint: run `kcompile overlays/cluster-a` (a directory holding kustomization.yaml)"
        );
        return ExitStatus::Error;
    };
    if let Err(e) = Loader::new(Disk).check_dir(path) {
        report::error(&e);
        return ExitStatus::Error;
    }
    let opts = build_options(b);
    let f = match super::remote::fetcher(&b.remote, b.gitops.config.as_deref()) {
        Ok(f) => f,
        Err(s) => return s,
    };
    let loader = Loader::single_use(Disk).with_remote(f);
    match compile::build(&loader, path, &opts) {
        Ok(out) => {
            let mut err = std::io::stderr().lock();
            for w in &out.warnings {
                let _ = writeln!(err, "{w}");
            }
            let docs: Vec<&kcompile::Value> = out.resources.iter().map(|r| &r.obj).collect();
            let text = kcompile::yaml::stream_to_string(&docs);
            let status = report::stdout(&text);
            // The process exits next: freeing every node of a large build
            // only costs time (it walks all of that memory once more).
            std::mem::forget(text);
            std::mem::forget(docs);
            std::mem::forget(out);
            std::mem::forget(loader);
            status
        }
        Err(e) => {
            report::error(&e);
            ExitStatus::Error
        }
    }
}
/// `kcompile [build] [PATH] [-o DIR] [--check] …`
fn pipeline(b: &BuildArgs, opts: &Options) -> ExitStatus {
    let g = &b.gitops;
    let f = match super::remote::fetcher(&b.remote, g.config.as_deref()) {
        Ok(f) => f,
        Err(s) => return s,
    };
    match &b.path {
        Some(path) => {
            if g.diff {
                report::say("error: --diff compares every cluster of kcompile.yaml with its `context:`; for one overlay run `kcompile diff OVERLAY`");
                return ExitStatus::Error;
            }
            if g.output_root.is_some() {
                report::say("error: --output-root applies to the outputs of kcompile.yaml; -o DIR is written where it says\n  hint: run `kcompile build --output-root DIR` without an overlay path");
                return ExitStatus::Error;
            }
            // `-o` is always a folder; a format name there is most likely
            // meant for `kcompile diff --format`.
            if let Some(o) = g.output.as_deref().and_then(|o| o.to_str()) {
                if ["json", "text", "yaml", "markdown"].contains(&o) {
                    report::say(&format!("warning: -o {o} writes the GitOps folder `{o}`; -o always names an output folder (a report format is `kcompile diff --format {o}`)"));
                }
            }
            if let Err(e) = Loader::new(Disk).check_dir(path) {
                report::error(&e);
                return ExitStatus::Error;
            }
            let loader = super::remote::disk_loader(&f);
            let validate = !g.no_validate && g.wants_pipeline();
            let vo = vopts(&g.val, None);
            let out = match compile::build(&loader, path, opts) {
                Ok(o) => o,
                Err(e) => {
                    report::error(&e);
                    return ExitStatus::Error;
                }
            };
            for w in &out.warnings {
                report::say(w);
            }
            if validate {
                match validate::validate(&out.resources, &vo, &loader) {
                    Ok(r) => {
                        if report::validation(&r, g.val.strict, None) {
                            return ExitStatus::Error;
                        }
                    }
                    Err(e) => {
                        report::error(&e);
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
                Some(t) if status != ExitStatus::Error => status.worst(report::stdout(&t)),
                _ => status,
            }
        }
        None => {
            let cfg = match require_config(g.config.as_deref(), "run `kcompile overlays/cluster-a` (a directory holding kustomization.yaml), or add a kcompile.yaml listing the clusters") {
                Ok(c) => c,
                Err(s) => return s,
            };
            if g.output.is_some() {
                report::say("error: -o needs an overlay path; with kcompile.yaml each cluster's `output` says where to write\n  hint: run `kcompile build OVERLAY -o DIR`, or set `output:` in kcompile.yaml");
                return ExitStatus::Error;
            }
            run_all(&cfg, g, opts, &super::remote::disk_loader(&f))
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
        LayoutArg::PerObject => plan::Layout::PerObject,
        LayoutArg::Single => plan::Layout::Single,
    };
    let Some(target) = target else {
        if g.check {
            match cluster {
                Some(name) => report::say(&format!(
                    "error: cluster {name}: --check needs an output folder, and kcompile.yaml gives it no `output:`\n  hint: add `output: rendered/{name}` to cluster {name} in kcompile.yaml, then run `{fix}` to write it"
                )),
                None => report::say("error: --check needs an output folder\n  hint: run `kcompile OVERLAY -o DIR --check`"),
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
    let files = plan::plan(&out.resources, layout);
    let waiting = |dir: &Path| {
        report::say(&format!(
            "{}: waiting for another kcompile writing in {} to finish",
            target.display(),
            dir.display()
        ))
    };
    let ropts = write::Options {
        force: g.force,
        show_secrets: g.show_secrets,
        on_wait: Some(&waiting),
    };
    if g.check {
        return match write::check(target, &files, &ropts) {
            Ok(None) => {
                report::say(&format!("{}: up to date", target.display()));
                (ExitStatus::Success, None)
            }
            Ok(Some(diff)) => {
                report::say(&format!(
                    "{}{}: out of date\n  hint: run `{fix}` to update it",
                    cluster
                        .map(|c| format!("cluster {c}: "))
                        .unwrap_or_default(),
                    target.display()
                ));
                (ExitStatus::Failure, Some(diff))
            }
            Err(e) => {
                report::error(&e);
                (ExitStatus::Error, None)
            }
        };
    }
    let status = match write::write(target, &files, &ropts) {
        Ok(s) if !s.changed => {
            report::say(&format!("{}: unchanged", target.display()));
            ExitStatus::Success
        }
        Ok(s) => {
            report::say(&format!(
                "{}: {} file(s) written, {} unchanged, {} removed",
                target.display(),
                s.written,
                s.kept,
                s.removed
            ));
            ExitStatus::Success
        }
        Err(e) => {
            report::error(&e);
            ExitStatus::Error
        }
    };
    (status, None)
}

pub fn progress_fn(total: usize) -> impl Fn(usize, usize) + Sync {
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
fn run_all(cfg: &Config, g: &GitopsArgs, opts: &Options, loader: &Loader) -> ExitStatus {
    let outputs = match cfg.resolve_outputs(&Disk, g.output_root.as_deref()) {
        Ok(o) => o,
        Err(e) => {
            report::error(&e);
            return ExitStatus::Error;
        }
    };
    let vo = vopts(&g.val, Some(cfg));
    let results = workspace::compile_all(
        loader,
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
                report::say(&format!("[{}] error: {e}", c.name));
                status = ExitStatus::Error;
                ok.push(None);
            }
            Ok(comp) => {
                for w in &comp.output.warnings {
                    report::say(&format!("[{}] {w}", c.name));
                }
                let failed = comp
                    .report
                    .as_ref()
                    .is_some_and(|r| report::validation(r, g.val.strict, Some(&c.name)));
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
            report::say(&format!("error: {c}"));
        }
        report::say("error: clusters collide; nothing written\n  hint: give each cluster on a shared context its own namespaces, cluster-scoped names and nodePorts");
        return ExitStatus::Error;
    }
    // Stdout carries YAML or diffs only when the whole run succeeded (or
    // found differences): a consumer of a failed run gets nothing to misread.
    let mut stdout = String::new();
    for ((c, o), target) in cfg.clusters.iter().zip(&ok).zip(&outputs) {
        if let Some(out) = o {
            if g.diff {
                // The pipeline: this cluster's diff, then its folder.
                let desired = out.resources.iter().map(|r| r.obj.clone()).collect();
                match super::diff::build_diff(c, desired, g.show_secrets) {
                    Ok((text, _)) => {
                        status = status.worst(report::stdout(&text));
                    }
                    Err(e) => {
                        report::say(&format!(
                            "error: [{}] {e}; its folder is not written",
                            c.name
                        ));
                        status = ExitStatus::Error;
                        continue;
                    }
                }
            }
            let label = format!("{} ({})", c.name, c.overlay);
            let fix = match &g.config {
                Some(p) => format!("kcompile build --config {}", p.display()),
                None => "kcompile build".to_string(),
            };
            let (s, text) = emit(out, target.as_deref(), g, Some(&label), &fix, Some(&c.name));
            status = status.worst(s);
            if let Some(t) = text {
                stdout.push_str(&t);
            }
        }
    }
    if status == ExitStatus::Error {
        if !stdout.is_empty() {
            report::say("error: a cluster failed; nothing printed on stdout");
        }
        return status;
    }
    status.worst(report::stdout(&stdout))
}
