//! `kcompile diff`: compile an overlay and compare it with the live cluster
//! (server-side apply dry-run, or client-side), with live state read from
//! files (`--live-from`), or with a second overlay.
//!
//! Output: per-object unified diffs (or a JSON report) on stdout; warnings
//! and a summary line on stderr. Exit status as `kubectl diff`: 0 no
//! differences, 1 differences, 2 error. tokio and TLS start only here.

use super::ExitStatus;
use clap::{Args, ValueEnum};
use kcompile::cluster::{self, live, ConnectOptions};
use kcompile::compile::{self, Options};
use kcompile::diff::{self, pair, render, CompareOptions, Mode, ObjectDiff, Summary};
use kcompile::input::load::Loader;
use serde_json::Value;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Args, Debug, Clone)]
pub struct DiffArgs {
    /// Overlay to compile (a directory holding kustomization.yaml). With a
    /// second overlay, show what differs from the first to the second.
    #[arg(required = true, num_args = 1..=2, value_name = "OVERLAY")]
    overlays: Vec<PathBuf>,
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
    /// Time to wait for each API request, e.g. 30s, 1m, 500ms.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_duration)]
    request_timeout: Duration,
    /// Colour the diff: auto (on a terminal, unless NO_COLOR is set), always, never.
    #[arg(long, value_enum, default_value_t = ColorArg::Auto)]
    color: ColorArg,
    /// Output format: unified diff text, or a JSON report for CI.
    #[arg(long, short = 'o', value_enum, default_value_t = OutputArg::Text)]
    output: OutputArg,
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
struct Reporter {
    secrets: Vec<String>,
}

impl Reporter {
    fn say(&self, msg: &str) {
        let _ = writeln!(std::io::stderr(), "{}", diff::redact(msg, &self.secrets));
    }
    fn error(&self, msg: &str) -> ExitStatus {
        self.say(&format!("error: {msg}"));
        ExitStatus::Error
    }
}

fn compile(path: &Path, rep: &Reporter, a: &DiffArgs) -> Result<Vec<Value>, ExitStatus> {
    match compile::build(
        &Loader::new(kcompile::input::disk::Disk),
        path,
        &Options::default(),
    ) {
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
    let mut rep = Reporter {
        secrets: Vec::new(),
    };
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
        let sides = render::Sides {
            before: "live".into(),
            after: "desired".into(),
        };
        let r = match &a.live_from {
            Some(p) => diff_live_from(p, desired, overlay, a, &mut rep),
            None => diff_cluster(a, desired, overlay, &mut rep),
        };
        match r {
            Ok((diffs, mode, warnings)) => (diffs, mode, sides, warnings),
            Err(s) => return s,
        }
    };
    for w in &warnings {
        rep.say(w);
    }
    let summary = Summary::of(&diffs);
    let text = match a.output {
        OutputArg::Json => render::json(&diffs, mode, &warnings),
        OutputArg::Text => {
            let color = match a.color {
                ColorArg::Always => true,
                ColorArg::Never => false,
                ColorArg::Auto => {
                    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                        && std::io::stdout().is_terminal()
                }
            };
            render::text(&diffs, &sides, color)
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

fn diff_cluster(
    a: &DiffArgs,
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
        context: a.context.clone(),
        timeout: a.request_timeout,
    };
    let server_side = !a.client_side;
    let state = rt.block_on(async {
        let c = cluster::Cluster::connect(&opts).await?;
        live::fetch(&c, desired, owner, server_side, a.field_manager.as_deref()).await
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
        field_manager: a.field_manager.as_deref(),
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
