//! `kcompile diff`: compile an overlay and compare it with the live cluster
//! (server-side apply dry-run, or client-side), with live state read from
//! files (`--live-from`), or with a second overlay.
//!
//! Output: per-object unified diffs (or a JSON report) on stdout; warnings
//! and a summary line on stderr. Exit status as `kubectl diff`: 0 no
//! differences, 1 differences, 2 error. tokio and TLS start only here.

use super::report as say_report;
use super::ExitStatus;

mod base;
mod clusters;

use clap::{Args, ValueEnum};
pub use clusters::build_diff;
use kcompile::cluster::{self, live, ConnectOptions};
use kcompile::compile;
use kcompile::diff::{self, pair, render, report, CompareOptions, Mode, ObjectDiff, Summary};
use serde_json::Value;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Args, Debug, Clone)]
pub struct DiffArgs {
    /// Overlay to compile (a directory holding kustomization.yaml). With a
    /// second overlay, show what differs from the first to the second.
    /// Without one: every cluster of kcompile.yaml, each against its
    /// `context` (or, with --base, against the revision).
    #[arg(num_args = 0..=2, value_name = "OVERLAY")]
    overlays: Vec<PathBuf>,
    /// Compare with the compiled output at this git revision (`origin/main`,
    /// a commit, a tag) instead of a cluster: what a pull request changes.
    /// The revision is read from git's objects; nothing is checked out.
    #[arg(long, value_name = "REF", conflicts_with_all = ["live_from", "client_side", "server_side"])]
    base: Option<String>,
    /// Only these clusters of kcompile.yaml (repeatable).
    #[arg(long = "cluster", value_name = "NAME")]
    clusters: Vec<String>,
    /// kcompile.yaml to use (default: found from the current folder upward).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Clusters compared at once (0: one per core; at most 256).
    #[arg(long, default_value_t = 0, value_name = "N",
          value_parser = clap::value_parser!(u32).range(0..=kcompile::workspace::MAX_JOBS as i64))]
    jobs: u32,
    /// Ask the API server what each object would become (server-side apply
    /// dry-run) and diff against that (the default).
    #[arg(long, conflicts_with = "client_side")]
    server_side: bool,
    /// Compare with the live objects restricted to the fields the overlay
    /// sets; needs only read access.
    #[arg(long)]
    client_side: bool,
    /// Read live state from a file or directory of YAML (as `kubectl get -o
    /// yaml` writes it) instead of a cluster; implies --client-side.
    #[arg(long, value_name = "PATH", conflicts_with = "server_side")]
    live_from: Option<PathBuf>,
    /// Path to the kubeconfig file (default: $KUBECONFIG, ~/.kube/config,
    /// then the in-cluster service account).
    #[arg(long, value_name = "PATH")]
    kubeconfig: Option<PathBuf>,
    /// Kubeconfig context to use (default: current-context).
    #[arg(long, value_name = "NAME")]
    context: Option<String>,
    #[command(flatten)]
    helm: crate::cli::helm::HelmArgs,
    /// Time to wait for each API request, e.g. 30s, 1m, 500ms.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_duration)]
    request_timeout: Duration,
    /// Colour the diff: auto (on a terminal, unless NO_COLOR is set), always, never.
    #[arg(long, value_enum, default_value_t = ColorArg::Auto)]
    color: ColorArg,
    /// Report format: unified diff text, a JSON report for CI, or Markdown
    /// for a pull-request comment.
    #[arg(long, value_enum)]
    format: Option<FormatArg>,
    /// Deprecated spelling of --format (text or json); -o names an output
    /// folder elsewhere.
    #[arg(
        long = "output",
        short = 'o',
        value_enum,
        hide = true,
        conflicts_with = "format"
    )]
    output: Option<OutputArg>,
    /// Preview the apply as this field manager (default: each object's own
    /// server-side apply manager, kubectl's client-side apply where it left
    /// its last applied configuration, else `kcompile`).
    #[arg(long, value_name = "NAME")]
    field_manager: Option<String>,
    /// Print Secret values instead of masking them.
    #[arg(long)]
    show_secrets: bool,
    /// Skip schema validation and lints of the compiled overlay(s).
    #[arg(long)]
    no_validate: bool,
    #[command(flatten)]
    val: super::validate::ValOpts,
    #[command(flatten)]
    remote: super::remote::RemoteArgs,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
enum ColorArg {
    Auto,
    Always,
    Never,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
enum OutputArg {
    Text,
    Json,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum FormatArg {
    Text,
    Json,
    Markdown,
}

impl DiffArgs {
    /// The report format; the old `-o FORMAT` still works, with a warning.
    fn report_format(&self) -> FormatArg {
        match (self.format, self.output) {
            (Some(f), _) => f,
            (None, Some(o)) => {
                say_report::say("warning: `kcompile diff -o FORMAT` is deprecated and will be removed in the next release: use --format FORMAT (-o names an output folder in `kcompile build`)");
                match o {
                    OutputArg::Text => FormatArg::Text,
                    OutputArg::Json => FormatArg::Json,
                }
            }
            (None, None) => FormatArg::Text,
        }
    }

    fn color(&self) -> bool {
        match self.color {
            ColorArg::Always => true,
            ColorArg::Never => false,
            ColorArg::Auto => {
                std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::io::stdout().is_terminal()
            }
        }
    }
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    let bad = || format!("invalid duration {s:?}: use e.g. 30s, 1m, 500ms, 1m30s");
    let s = s.trim();
    if let Ok(secs) = s.parse::<u64>() {
        return if secs == 0 {
            Err("the request timeout must be more than 0".into())
        } else {
            Ok(Duration::from_secs(secs))
        };
    }
    let mut total = Duration::ZERO;
    let mut rest = s;
    while !rest.is_empty() {
        let n_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(bad)?;
        let n: f64 = rest[..n_end].parse().map_err(|_| bad())?;
        rest = &rest[n_end..];
        let u_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = match &rest[..u_end] {
            "ms" => 0.001,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return Err(bad()),
        };
        rest = &rest[u_end..];
        let part = Duration::try_from_secs_f64(n * unit).map_err(|_| bad())?;
        total = total.checked_add(part).ok_or_else(bad)?;
    }
    if total.is_zero() {
        return Err("the request timeout must be more than 0".into());
    }
    Ok(total)
}

/// Messages go through here so that no secret value reaches stderr.
/// A buffered reporter (one cluster of several, compared in parallel)
/// keeps its lines for the caller to print in order.
#[derive(Default)]
struct Reporter {
    secrets: Vec<String>,
    buffer: Option<std::cell::RefCell<Vec<String>>>,
}

impl Reporter {
    fn say(&self, msg: &str) {
        let msg = diff::redact(msg, &self.secrets);
        match &self.buffer {
            Some(b) => b.borrow_mut().push(msg),
            None => {
                let _ = writeln!(std::io::stderr(), "{msg}");
            }
        }
    }
    fn error(&self, msg: &str) -> ExitStatus {
        self.say(&format!("error: {msg}"));
        ExitStatus::Error
    }
}

fn compile(path: &Path, rep: &Reporter, a: &DiffArgs) -> Result<Vec<Value>, ExitStatus> {
    let f = super::remote::fetcher(&a.remote, a.config.as_deref())?;
    match compile::build(&super::remote::disk_loader(&f), path, &a.helm.options()) {
        Ok(out) => {
            for w in &out.warnings {
                rep.say(w);
            }
            if !a.no_validate && !super::validate::validate_before_use(&out, &a.val) {
                return Err(ExitStatus::Error);
            }
            Ok(out.resources.into_iter().map(|r| r.obj).collect())
        }
        Err(e) => Err(rep.error(&e.to_string())),
    }
}

pub fn run(a: &DiffArgs) -> ExitStatus {
    let format = a.report_format();
    if a.base.is_some() {
        return base::run(a, format);
    }
    if a.overlays.is_empty() {
        return clusters::run(a, format);
    }
    if !a.clusters.is_empty() {
        return Reporter::default().error(
            "--cluster picks clusters of kcompile.yaml; it does not apply to overlay paths",
        );
    }
    let mut rep = Reporter::default();
    if a.overlays.len() == 2 && (a.live_from.is_some() || a.client_side || a.server_side) {
        return rep.error(
            "two overlays are compared with each other; --live-from, --client-side and --server-side do not apply",
        );
    }
    let mut compiled = Vec::new();
    for o in &a.overlays {
        match compile(o, &rep, a) {
            Ok(objs) => compiled.push(objs),
            Err(s) => return s,
        }
    }
    rep.secrets = diff::secret_values(compiled.iter().flatten());
    let show = a.show_secrets;
    let (diffs, mode, sides, warnings) = if a.overlays.len() == 2 {
        let before = compiled.remove(0);
        let after = compiled.remove(0);
        let sides = render::Sides {
            before: a.overlays[0].display().to_string(),
            after: a.overlays[1].display().to_string(),
            mode: Mode::Overlays,
        };
        (
            pair::overlay_diffs(before, after, show),
            Mode::Overlays,
            sides,
            Vec::new(),
        )
    } else {
        let desired = compiled.remove(0);
        let owner = match pair::ownership(&desired) {
            Ok(o) => Some(o),
            Err(note) => {
                rep.say(&note);
                None
            }
        };
        let overlay = owner.as_deref();
        let r = match &a.live_from {
            Some(p) => diff_live_from(p, desired, overlay, a, &mut rep),
            None => diff_cluster(&a.live(), a.context.as_deref(), desired, overlay, &mut rep),
        };
        match r {
            Ok((diffs, mode, warnings)) => (diffs, mode, live_sides(mode), warnings),
            Err(s) => return s,
        }
    };
    for w in &warnings {
        rep.say(w);
    }
    let summary = Summary::of(&diffs);
    let text = match format {
        FormatArg::Json => render::json(&diffs, mode, &warnings),
        FormatArg::Text => render::text(&diffs, &sides, a.color()),
        FormatArg::Markdown => {
            let name = a
                .overlays
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(" → ");
            let overlay = a
                .overlays
                .last()
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            let title = format!("kcompile diff: {} → {}", sides.before, sides.after);
            let section = report::Section {
                name,
                overlay,
                outcome: Ok(report::Compared {
                    diffs,
                    mode,
                    sides,
                    warnings,
                }),
            };
            report::markdown(&title, std::slice::from_ref(&section))
        }
    };
    let mut out = std::io::stdout().lock();
    if out
        .write_all(text.as_bytes())
        .and_then(|_| out.flush())
        .is_err()
    {
        return ExitStatus::Error;
    }
    rep.say(&format!("kcompile diff: {summary}"));
    if summary.has_differences() {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    }
}

type Outcome = Result<(Vec<ObjectDiff>, Mode, Vec<String>), ExitStatus>;

/// The sides of a comparison with a cluster.
fn live_sides(mode: Mode) -> render::Sides {
    render::Sides {
        before: "live".into(),
        after: "desired".into(),
        mode,
    }
}

/// How to reach and ask a cluster.
#[derive(Clone)]
struct Live<'a> {
    kubeconfig: Option<PathBuf>,
    timeout: Duration,
    client_side: bool,
    field_manager: Option<&'a str>,
    show_secrets: bool,
}

impl DiffArgs {
    fn live(&self) -> Live<'_> {
        Live {
            kubeconfig: self.kubeconfig.clone(),
            timeout: self.request_timeout,
            client_side: self.client_side,
            field_manager: self.field_manager.as_deref(),
            show_secrets: self.show_secrets,
        }
    }
}

fn diff_cluster(
    a: &Live,
    context: Option<&str>,
    desired: Vec<Value>,
    owner: Option<&str>,
    rep: &mut Reporter,
) -> Outcome {
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return Err(rep.error(&format!("cannot start the async runtime: {e}"))),
    };
    let opts = ConnectOptions {
        kubeconfig: a.kubeconfig.clone(),
        context: context.map(str::to_string),
        timeout: a.timeout,
    };
    let server_side = !a.client_side;
    let state = rt.block_on(async {
        let c = cluster::Cluster::connect(&opts).await?;
        live::fetch(&c, desired, owner, server_side, a.field_manager).await
    });
    let state = match state {
        Ok(s) => s,
        Err(e) => return Err(rep.error(&e.to_string())),
    };
    let mut secrets = std::mem::take(&mut rep.secrets);
    secrets.extend(diff::secret_values(
        state
            .pairs
            .iter()
            .filter_map(|p| p.live.as_ref())
            .chain(state.prune.iter().map(|(_, v)| v)),
    ));
    rep.secrets = secrets;
    let mode = if state.server_side {
        Mode::ServerSide
    } else {
        Mode::ClientSide
    };
    let opts = CompareOptions {
        mode,
        show_secrets: a.show_secrets,
        field_manager: a.field_manager,
    };
    let diffs = pair::cluster_diffs(&state, opts);
    Ok((diffs, mode, state.warnings))
}

fn diff_live_from(
    path: &Path,
    desired: Vec<Value>,
    owner: Option<&str>,
    a: &DiffArgs,
    rep: &mut Reporter,
) -> Outcome {
    let live_objs = match kcompile::input::live_state::read(path) {
        Ok(v) => v,
        Err(e) => return Err(rep.error(&format!("--live-from: {e}"))),
    };
    rep.secrets.extend(diff::secret_values(&live_objs));
    let opts = CompareOptions {
        mode: Mode::ClientSide,
        show_secrets: a.show_secrets,
        field_manager: a.field_manager.as_deref(),
    };
    let diffs = pair::live_diffs(&desired, live_objs, owner, opts);
    Ok((diffs, Mode::ClientSide, Vec::new()))
}

#[cfg(test)]
mod tests {
    use super::parse_duration;
    use std::time::Duration;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("5"), Ok(Duration::from_secs(5)));
        assert!(parse_duration("0").is_err());
        assert!(parse_duration("abc").is_err());
        assert!(parse_duration("1x").is_err());
        assert!(parse_duration("99999999999999999999999999h").is_err());
    }
}
