//! `kcompile diff` without an overlay: every cluster of `kcompile.yaml`
//! against its own kubeconfig `context`, in parallel (at most `--jobs` at
//! once), one section per cluster. A cluster that cannot be compiled or
//! reached is an error in its section; the others still report. The exit
//! status is the worst of them.

use super::{diff_cluster, live_sides, DiffArgs, FormatArg, Live, Reporter};
use crate::cli::report as out;
use crate::cli::validate::vopts;
use crate::cli::workspace::require_config;
use crate::cli::ExitStatus;
use kcompile::compile;
use kcompile::diff::{self, pair, report, Summary};
use kcompile::input::load::Loader;
use kcompile::validate;
use kcompile::workspace::{Cluster, Config};
use serde_json::Value;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

pub(super) fn run(a: &DiffArgs, format: FormatArg) -> ExitStatus {
    if a.live_from.is_some() {
        return Reporter::default()
            .error("--live-from reads one overlay's live state; give the overlay path");
    }
    if a.context.is_some() {
        return Reporter::default().error("--context applies to one overlay; with kcompile.yaml each cluster's `context:` says where it runs");
    }
    let cfg = match require_config(
        a.config.as_deref(),
        "run `kcompile diff overlays/cluster-a`, or add a kcompile.yaml listing the clusters",
    ) {
        Ok(c) => c,
        Err(s) => return s,
    };
    let picked = match pick(&cfg, &a.clusters) {
        Ok(p) => p,
        Err(msg) => return Reporter::default().error(&msg),
    };
    let loader = match crate::cli::remote::fetcher(&a.remote, a.config.as_deref()) {
        Ok(f) => crate::cli::remote::disk_loader(&f),
        Err(s) => return s,
    };
    // Compile and validate first, one cluster after another (quick, and
    // their messages stay in order); then ask the clusters in parallel.
    let mut desired: Vec<Result<Vec<Value>, String>> = Vec::new();
    for c in &picked {
        desired.push(compile_one(a, &cfg, c, &loader));
    }
    let jobs = match a.jobs {
        0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
        n => n as usize,
    }
    .clamp(1, picked.len().max(1));
    let results: Mutex<Vec<Option<Done>>> = Mutex::new((0..picked.len()).map(|_| None).collect());
    let next = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..jobs {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(c) = picked.get(i) else { break };
                let r = compare_one(&a.live(), c, &desired[i]);
                results.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(r);
            });
        }
    });
    let results: Vec<Done> = results
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .flatten()
        .collect();
    let mut sections = Vec::new();
    for (section, lines) in results {
        for l in lines {
            out::say(&format!("[{}] {l}", section.name));
        }
        sections.push(section);
    }
    print(a, format, "kcompile diff: live clusters", &sections)
}

/// A cluster's section and the messages its comparison gave.
type Done = (report::Section, Vec<String>);

/// The clusters `--cluster` names (all when none), in configuration order.
fn pick<'c>(cfg: &'c Config, names: &[String]) -> Result<Vec<&'c Cluster>, String> {
    for n in names {
        if !cfg.clusters.iter().any(|c| &c.name == n) {
            let known: Vec<&str> = cfg.clusters.iter().map(|c| c.name.as_str()).collect();
            return Err(format!(
                "--cluster {n}: no such cluster in {} (clusters: {})",
                kcompile::error::shown(&cfg.file),
                known.join(", ")
            ));
        }
    }
    Ok(cfg
        .clusters
        .iter()
        .filter(|c| names.is_empty() || names.contains(&c.name))
        .collect())
}

fn compile_one(
    a: &DiffArgs,
    cfg: &Config,
    c: &Cluster,
    loader: &Loader,
) -> Result<Vec<Value>, String> {
    loader
        .check_dir(&c.overlay_path)
        .and_then(|_| compile::build(loader, &c.overlay_path, &a.helm.options()))
        .map_err(|e| e.to_string())
        .and_then(|o| {
            for w in &o.warnings {
                out::say(&format!("[{}] {w}", c.name));
            }
            if !a.no_validate {
                let r = validate::validate(&o.resources, &vopts(&a.val, Some(cfg)), loader)
                    .map_err(|e| e.to_string())?;
                if out::validation(&r, a.val.strict, Some(&c.name)) {
                    return Err("validation failed (see above)".into());
                }
            }
            Ok(o.resources.into_iter().map(|r| r.obj).collect())
        })
}

fn compare_one(a: &Live, c: &Cluster, desired: &Result<Vec<Value>, String>) -> Done {
    let mut rep = Reporter {
        secrets: Vec::new(),
        buffer: Some(Default::default()),
    };
    let outcome = match desired {
        Err(e) => Err(e.clone()),
        Ok(_) if c.context.is_none() => Err(format!(
            "cluster {} has no `context:` in kcompile.yaml, so there is no cluster to compare with",
            c.name
        )),
        Ok(d) => {
            rep.secrets = diff::secret_values(d.iter());
            let owner = match pair::ownership(d) {
                Ok(o) => Some(o),
                Err(note) => {
                    rep.say(&note);
                    None
                }
            };
            match diff_cluster(
                a,
                c.context.as_deref(),
                d.clone(),
                owner.as_deref(),
                &mut rep,
            ) {
                Ok((diffs, mode, warnings)) => {
                    for w in &warnings {
                        rep.say(w);
                    }
                    Ok(report::Compared {
                        diffs,
                        mode,
                        sides: live_sides(mode),
                        warnings,
                    })
                }
                // diff_cluster said why (in the buffer); the section keeps it.
                Err(_) => Err(rep
                    .buffer
                    .as_ref()
                    .and_then(|b| b.borrow_mut().pop())
                    .map(|l| l.trim_start_matches("error: ").to_string())
                    .unwrap_or_else(|| "the comparison failed".into())),
            }
        }
    };
    let outcome = outcome.map_err(|e| diff::redact(&e, &rep.secrets));
    let lines = rep.buffer.map(|b| b.into_inner()).unwrap_or_default();
    let section = report::Section {
        name: c.name.clone(),
        overlay: c.overlay.clone(),
        outcome,
    };
    (section, lines)
}

/// Print the sections in the chosen format, a summary line per cluster
/// and one for all on stderr; the worst status of them.
pub(super) fn print(
    a: &DiffArgs,
    format: FormatArg,
    title: &str,
    sections: &[report::Section],
) -> ExitStatus {
    let text = match format {
        FormatArg::Text => report::text(sections, a.color()),
        FormatArg::Json => report::json(sections),
        FormatArg::Markdown => report::markdown(title, sections),
    };
    let status = out::stdout(&text);
    let mut worst = status;
    for s in sections {
        match &s.outcome {
            Ok(c) => {
                let sum = Summary::of(&c.diffs);
                out::say(&format!(
                    "kcompile diff: [{}] {}",
                    s.name,
                    sum.in_words(c.mode)
                ));
                if sum.has_differences() {
                    worst = worst.worst(ExitStatus::Failure);
                }
            }
            Err(e) => {
                out::say(&format!("error: [{}] {e}", s.name));
                worst = worst.worst(ExitStatus::Error);
            }
        }
    }
    if sections.len() > 1 {
        let mode = sections
            .iter()
            .find_map(|s| s.outcome.as_ref().ok().map(|c| c.mode))
            .unwrap_or(kcompile::diff::Mode::ClientSide);
        out::say(&format!(
            "kcompile diff: all {} clusters: {}",
            sections.len(),
            report::total(sections).in_words(mode)
        ));
    }
    worst
}

/// `kcompile build --diff`: one cluster's compiled objects against its
/// live cluster (server-side, the default kubeconfig), as text for stdout;
/// the error when the cluster cannot be compared. Messages go to stderr.
pub fn build_diff(
    c: &Cluster,
    desired: Vec<Value>,
    show_secrets: bool,
) -> Result<(String, bool), String> {
    let live = Live {
        kubeconfig: None,
        timeout: std::time::Duration::from_secs(30),
        client_side: false,
        field_manager: None,
        show_secrets,
    };
    let (section, lines) = compare_one(&live, c, &Ok(desired));
    for l in lines {
        out::say(&format!("[{}] {l}", c.name));
    }
    let text = report::text(std::slice::from_ref(&section), false);
    match section.outcome {
        Ok(comp) => {
            let sum = Summary::of(&comp.diffs);
            out::say(&format!("kcompile diff: [{}] {sum}", c.name));
            Ok((text, sum.has_differences()))
        }
        Err(e) => Err(e),
    }
}
