//! The repository agrees with its docs: what they tell a user to do works.
#![allow(clippy::disallowed_methods)] // tests build and read trees on disk

mod util;

use std::path::Path;
use std::process::Command;
use util::{copy_repo_dir, repo, Tree};

/// docs/gitops.md and docs/spark-on-kubernetes.md say to commit the
/// rendered folders: git must not ignore them.
#[test]
fn rendered_folders_can_be_committed() {
    let docs = std::fs::read_to_string(repo().join("docs/gitops.md")).unwrap();
    assert!(docs.contains("Commit the rendered folders"));
    if !repo().join(".git").exists() {
        return; // an exported tree: nothing to ignore anything
    }
    for path in [
        "rendered/cluster-b/kustomization.yaml",
        "rendered/cluster-a/x.yaml",
    ] {
        let out = Command::new("git")
            .arg("-C")
            .arg(repo())
            .args(["check-ignore", "--no-index", "-q", path])
            .status()
            .expect("git");
        assert_eq!(
            out.code(),
            Some(1),
            "{path} is ignored by git, but the docs say to commit it"
        );
    }
}

/// A command line shown in the docs.
struct Shown {
    file: String,
    line: usize,
    command: String,
}

/// `kcompile …` lines of the docs' code blocks (fenced, or indented by four
/// spaces in README.md), without comments; pipes and redirections are cut
/// (the part before them is what kcompile runs).
fn shown_commands() -> Vec<Shown> {
    let mut out = Vec::new();
    let mut files = vec![repo().join("README.md")];
    let mut docs: Vec<_> = std::fs::read_dir(repo().join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    docs.sort();
    files.extend(docs);
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let mut fenced = false;
        for (i, raw) in text.lines().enumerate() {
            let t = raw.trim_start();
            if t.starts_with("```") {
                fenced = !fenced;
                continue;
            }
            let in_block = fenced || raw.starts_with("    ");
            let t = t.strip_prefix("$ ").unwrap_or(t);
            if !in_block || !t.starts_with("kcompile ") {
                continue;
            }
            let mut cmd = t;
            for cut in ["  #", " | ", " > "] {
                if let Some(at) = cmd.find(cut) {
                    cmd = &cmd[..at];
                }
            }
            out.push(Shown {
                file: f.file_name().unwrap().to_string_lossy().into_owned(),
                line: i + 1,
                command: cmd.trim().to_string(),
            });
        }
    }
    out
}

/// Why a shown command is not run here, if it is not.
fn not_run(cmd: &str) -> Option<&'static str> {
    let words: Vec<&str> = cmd.split_whitespace().collect();
    if words.get(1).is_some_and(|w| w.ends_with(':')) {
        return Some("output shown, not a command");
    }
    if cmd.contains('[') || cmd.contains('<') || cmd.contains('…') || cmd.contains("DIR") {
        return Some("a synopsis, not a command");
    }
    if cmd.contains("--base ") {
        return Some("needs a git repository holding the revision (tests/diff_base.rs runs it)");
    }
    if cmd.contains("build --diff") {
        return Some("needs a cluster (tests/diff_clusters.rs runs it against a real API server)");
    }
    if words.get(1) == Some(&"diff")
        && !cmd.contains("--live-from")
        && words.iter().filter(|w| w.starts_with("overlays/")).count() < 2
    {
        return Some("needs a cluster (tests/diff_kube.rs runs diff against a real API server)");
    }
    None
}

/// Every command the README and docs show that can run without a cluster
/// runs, in a copy of the repository, and does not fail: the docs cannot
/// drift from the program.
#[test]
fn commands_shown_in_the_docs_run() {
    let shown = shown_commands();
    assert!(shown.len() >= 15, "found only {} commands", shown.len());
    let tmp = Tree::new();
    for d in [
        "base",
        "overlays",
        "components",
        "schemas",
        "examples",
        "rendered",
    ] {
        copy_repo_dir(d, tmp.path());
    }
    std::fs::copy(
        repo().join("kcompile.yaml"),
        tmp.path().join("kcompile.yaml"),
    )
    .unwrap();
    // `--live-from live/`: what is live is what cluster-b compiles to.
    let live = util::kcompile_in(&["overlays/cluster-b"], tmp.path());
    std::fs::create_dir_all(tmp.path().join("live")).unwrap();
    std::fs::write(tmp.path().join("live/cluster-b.yaml"), &live.stdout).unwrap();
    let mut ran = 0;
    let mut failures = Vec::new();
    for s in &shown {
        if not_run(&s.command).is_some() {
            continue;
        }
        let args: Vec<&str> = s.command.split_whitespace().skip(1).collect();
        let out = util::cmd()
            .args(&args)
            .cwd(tmp.path())
            .env("HOME", tmp.path())
            .run();
        ran += 1;
        let code = out.code;
        // 1 is an answer for the commands that compare (diff, --check).
        let compares = args.contains(&"diff") || args.contains(&"--check");
        if !(code == 0 || (code == 1 && compares)) {
            failures.push(format!(
                "{}:{}: `{}` exited {code}:\n{}",
                s.file, s.line, s.command, out.stderr
            ));
        }
    }
    assert!(ran >= 10, "ran only {ran} commands");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The folder tree docs/gitops.md shows is the one kcompile writes for
/// cluster-b (the committed rendered/cluster-b).
#[test]
fn the_documented_rendered_tree_is_real() {
    let md = std::fs::read_to_string(repo().join("docs/gitops.md")).unwrap();
    let start = md
        .find("rendered/cluster-b/\n├")
        .expect("the tree in gitops.md");
    let block = &md[start..start + md[start..].find("```").unwrap()];
    let mut shown: Vec<String> = Vec::new();
    let mut dir = String::new();
    for line in block.lines().skip(1) {
        let name = line
            .trim_start_matches(|c: char| "│├└─ ".contains(c))
            .split_whitespace()
            .next()
            .unwrap_or("");
        if name.ends_with('/') {
            dir = name.to_string();
        } else if !name.is_empty() {
            let nested = line.starts_with("    ") || line.starts_with("│   ");
            shown.push(if nested {
                format!("{dir}{name}")
            } else {
                name.to_string()
            });
        }
    }
    shown.sort();
    let mut real = Vec::new();
    let root = repo().join("rendered/cluster-b");
    for e in walk(&root) {
        real.push(e.strip_prefix(&root).unwrap().display().to_string());
    }
    real.sort();
    assert_eq!(shown, real);
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}
