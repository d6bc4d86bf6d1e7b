//! `kcompile validate [OVERLAY…]`, and the validation options every
//! command that validates shares.

use super::report;
use super::workspace::require_config;
use super::ExitStatus;
use clap::Args;
use kcompile::compile;
use kcompile::input::disk::Disk;
use kcompile::input::load::Loader;
use kcompile::validate;
use kcompile::workspace::{self, Config};
use std::path::PathBuf;

#[derive(Args, Debug, Clone, Default)]
pub struct ValOpts {
    /// Kubernetes version whose schemas objects are checked against (default: newest bundled).
    #[arg(long, value_name = "VERSION")]
    pub kubernetes_version: Option<String>,
    /// Make lint warnings fatal.
    #[arg(long)]
    pub strict: bool,
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
    #[command(flatten)]
    pub helm: super::helm::HelmArgs,
    #[command(flatten)]
    pub remote: super::remote::RemoteArgs,
}

pub fn vopts(v: &ValOpts, cfg: Option<&Config>) -> validate::Options {
    validate::Options {
        kubernetes_version: v
            .kubernetes_version
            .clone()
            .or_else(|| cfg.and_then(|c| c.kubernetes_version.clone()))
            .unwrap_or_else(|| validate::default_version().to_string()),
        ..Default::default()
    }
}

/// Validate a build before it is used (by `diff`): prints the findings;
/// false when the build must not be used.
pub fn validate_before_use(out: &compile::Output, v: &ValOpts) -> bool {
    match validate::validate(&out.resources, &vopts(v, None), &Loader::new(Disk)) {
        Ok(r) => !report::validation(&r, v.strict, None),
        Err(e) => {
            report::error(&e);
            false
        }
    }
}

/// `kcompile validate [PATH…]`
pub fn run(v: &ValidateArgs) -> ExitStatus {
    let loader = match super::remote::fetcher(&v.remote, v.config.as_deref()) {
        Ok(f) => super::remote::disk_loader(&f),
        Err(s) => return s,
    };
    let mut status = ExitStatus::Success;
    if v.paths.is_empty() {
        let cfg = match require_config(
            v.config.as_deref(),
            "run `kcompile validate overlays/cluster-a`",
        ) {
            Ok(c) => c,
            Err(s) => return s,
        };
        let vo = vopts(&v.val, Some(&cfg));
        let results = workspace::compile_all(
            &loader,
            &cfg,
            &v.helm.options(),
            Some(&vo),
            0,
            &super::build::progress_fn(cfg.clusters.len()),
        );
        for (c, r) in cfg.clusters.iter().zip(&results) {
            match r {
                Err(e) => {
                    report::say(&format!("[{}] error: {e}", c.name));
                    status = ExitStatus::Error;
                }
                Ok(comp) => {
                    if let Some(rep) = &comp.report {
                        if report::validation(rep, v.val.strict, Some(&c.name)) {
                            status = ExitStatus::Error;
                        }
                    }
                }
            }
        }
        if status == ExitStatus::Success {
            report::say(&format!("{} cluster(s) valid", cfg.clusters.len()));
        }
        return status;
    }
    let vo = vopts(&v.val, None);
    let opts = v.helm.options();
    let many = v.paths.len() > 1;
    for p in &v.paths {
        let label = p.display().to_string();
        let label = many.then_some(label.as_str());
        match Loader::new(Disk)
            .check_dir(p)
            .and_then(|_| compile::build(&loader, p, &opts))
            .and_then(|o| validate::validate(&o.resources, &vo, &loader))
        {
            Err(e) => {
                report::error(&e);
                status = ExitStatus::Error;
            }
            Ok(rep) => {
                if report::validation(&rep, v.val.strict, label) {
                    status = ExitStatus::Error;
                } else {
                    report::say(&format!("{}: valid", p.display()));
                }
            }
        }
    }
    status
}
