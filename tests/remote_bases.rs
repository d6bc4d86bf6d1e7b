//! Remote bases (git URLs under `resources:`/`components:`), end to end,
//! without a network: bare repositories in temporary folders reached by
//! `file://` URLs, a cache per test (`XDG_CACHE_HOME`), and `kubectl
//! kustomize` as the oracle where it reads the same URL (it accepts
//! `file://` URLs in every form used here).
//!
//! Fetches are counted by a `git` wrapper put first on `PATH` that notes
//! each `git fetch` in a file and runs the real git: a black-box count of
//! what kcompile asked git to do.
#![allow(clippy::disallowed_methods)] // tests build and read trees on disk

mod util;

use std::path::{Path, PathBuf};
use util::{write_file, Cmd, Out, Tree};

fn git(dir: &Path, args: &[&str]) -> Out {
    let out = Cmd::new("git")
        .args([
            "-c",
            "user.email=t@example.com",
            "-c",
            "user.name=t",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .cwd(dir)
        .run();
    out.assert_ok();
    out
}

fn have(cmd: &str, arg: &str) -> bool {
    std::process::Command::new(cmd)
        .arg(arg)
        .output()
        .is_ok_and(|o| o.status.success())
}

fn cm(name: &str, value: &str) -> String {
    format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  value: {value}\n")
}

/// A test world: a work repository (`src`) pushed to a bare one
/// (`remote.git`), the overlays (`work`), a cache and a counting git.
struct World {
    t: Tree,
}

impl World {
    fn new() -> Option<World> {
        if !have("git", "--version") {
            eprintln!("SKIP: git not found");
            return None;
        }
        let t = Tree::new();
        std::fs::create_dir_all(t.join("src")).unwrap();
        std::fs::create_dir_all(t.join("work")).unwrap();
        git(&t.join("src"), &["init", "-q"]);
        git(t.path(), &["init", "-q", "--bare", "remote.git"]);
        // The counting git.
        let real = String::from_utf8(
            std::process::Command::new("sh")
                .args(["-c", "command -v git"])
                .output()
                .unwrap()
                .stdout,
        )
        .unwrap();
        let script = format!(
            "#!/bin/sh\necho \"$1\" >> '{}'\nif [ \"$1\" = fetch ]; then echo fetch >> '{}'; fi\nexec '{}' \"$@\"\n",
            t.join("calls").display(),
            t.join("fetches").display(),
            real.trim()
        );
        write_file(&t.join("bin/git"), script);
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(t.join("bin/git"), std::fs::Permissions::from_mode(0o755))
            .unwrap();
        Some(World { t })
    }

    fn src(&self) -> PathBuf {
        self.t.join("src")
    }

    /// Write files into the work repository, commit, and push main (and
    /// the tags) to the bare repository; the commit id.
    fn commit(&self, files: &[(&str, &str)], msg: &str) -> String {
        for (p, c) in files {
            write_file(&self.src().join(p), c);
        }
        git(&self.src(), &["add", "-A"]);
        git(&self.src(), &["commit", "-q", "-m", msg]);
        self.push();
        git(&self.src(), &["rev-parse", "HEAD"])
            .stdout
            .trim()
            .to_string()
    }

    fn push(&self) {
        let bare = self.t.join("remote.git");
        git(
            &self.src(),
            &["push", "-q", "-f", bare.to_str().unwrap(), "--all"],
        );
        git(
            &self.src(),
            &["push", "-q", "-f", bare.to_str().unwrap(), "--tags"],
        );
    }

    fn tag(&self, name: &str) {
        git(&self.src(), &["tag", "-f", name]);
        self.push();
    }

    /// The bare repository's URL.
    fn url(&self) -> String {
        format!("file://{}", self.t.join("remote.git").display())
    }

    /// Write an overlay (relative to `work`).
    fn overlay(&self, dir: &str, kustomization: &str) -> PathBuf {
        let d = self.t.join("work").join(dir);
        write_file(&d.join("kustomization.yaml"), kustomization);
        d
    }

    /// kcompile in `work`, with this world's cache and counting git.
    fn kcompile(&self, args: &[&str]) -> Out {
        let path = format!(
            "{}:{}",
            self.t.join("bin").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        util::cmd()
            .cwd(self.t.join("work"))
            .env("XDG_CACHE_HOME", self.t.join("cache"))
            .env("PATH", path)
            .args(args)
            .run()
    }

    /// `git fetch` runs so far (then reset).
    fn fetches(&self) -> usize {
        let p = self.t.join("fetches");
        let n = std::fs::read_to_string(&p).map_or(0, |s| s.lines().count());
        let _ = std::fs::remove_file(&p);
        n
    }

    /// kcompile's and kubectl kustomize's output agree byte for byte
    /// (when kubectl is here).
    fn same_as_kubectl(&self, dir: &str, ours: &Out) {
        if !have("kubectl", "version") && !have("kubectl", "--help") {
            assert!(std::env::var_os("CI").is_none(), "CI requires kubectl");
            eprintln!("SKIP: kubectl not found; no comparison");
            return;
        }
        let theirs = Cmd::new("kubectl")
            .arg("kustomize")
            .arg(self.t.join("work").join(dir))
            .run();
        theirs.assert_ok();
        assert_eq!(
            ours.stdout, theirs.stdout,
            "{dir} differs from kubectl kustomize"
        );
    }
}

/// A repository with a base in a subfolder, at a tag: the same output as
/// kubectl (origin annotations with `repo:` and `ref:` included), no
/// warning; the repository's top folder too (kustomize's `notCloned`
/// origin path quirk included).
#[test]
fn tag_and_subfolder_match_kubectl() {
    let Some(w) = World::new() else { return };
    w.commit(
        &[
            (
                "deploy/kustomization.yaml",
                "resources:\n- cm.yaml\nconfigMapGenerator:\n- name: gen\n  literals:\n  - a=b\n",
            ),
            ("deploy/cm.yaml", &cm("conf", "one")),
            ("kustomization.yaml", "resources:\n- deploy\n"),
        ],
        "one",
    );
    w.tag("v1");
    let url = w.url();
    w.overlay(
        "sub",
        &format!("namePrefix: x-\nbuildMetadata: [originAnnotations]\nresources:\n- {url}//deploy?ref=v1\n"),
    );
    let out = w.kcompile(&["sub"]);
    out.assert_ok();
    assert!(out.stdout.contains("name: x-conf"), "{out}");
    assert!(out.stdout.contains(&format!("repo: {url}")), "{out}");
    assert!(!out.stderr.contains("warning"), "{out}");
    w.same_as_kubectl("sub", &out);
    w.overlay(
        "top",
        &format!("buildMetadata: [originAnnotations]\nresources:\n- {url}?version=v1\n"),
    );
    let out = w.kcompile(&["top"]);
    out.assert_ok();
    assert!(
        out.stdout.contains("path: notCloned/deploy/cm.yaml"),
        "{out}"
    );
    w.same_as_kubectl("top", &out);
    // A component from a remote repository.
    w.commit(
        &[(
            "comp/kustomization.yaml",
            "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\ncommonLabels:\n  team: blue\n",
        )],
        "component",
    );
    w.tag("v2");
    w.overlay(
        "comp",
        &format!("resources:\n- {url}//deploy?ref=v2\ncomponents:\n- {url}//comp?ref=v2\n"),
    );
    let out = w.kcompile(&["comp"]);
    out.assert_ok();
    assert!(out.stdout.contains("team: blue"), "{out}");
    w.same_as_kubectl("comp", &out);
}

/// A branch (or no ref: the default branch) works but warns, naming the
/// URL, the ref and the commit; a full commit id does not warn.
#[test]
fn branch_refs_warn() {
    let Some(w) = World::new() else { return };
    let c1 = w.commit(
        &[
            ("b/kustomization.yaml", "resources:\n- cm.yaml\n"),
            ("b/cm.yaml", &cm("c", "one")),
        ],
        "one",
    );
    let url = w.url();
    w.overlay("br", &format!("resources:\n- {url}//b?ref=main\n"));
    let out = w.kcompile(&["br"]);
    out.assert_ok();
    for f in [
        url.as_str(),
        "`main` is a branch",
        c1.as_str(),
        "pin a tag or commit",
    ] {
        assert!(out.stderr.contains(f), "{f}: {out}");
    }
    w.overlay("def", &format!("resources:\n- {url}//b\n"));
    let out = w.kcompile(&["def"]);
    out.assert_ok();
    assert!(out.stderr.contains("default branch"), "{out}");
    assert!(out.stderr.contains(&c1), "{out}");
    w.same_as_kubectl("def", &out);
    w.overlay("sha", &format!("resources:\n- {url}//b?ref={c1}\n"));
    let out = w.kcompile(&["sha"]);
    out.assert_ok();
    assert!(!out.stderr.contains("warning"), "{out}");
    w.same_as_kubectl("sha", &out);
}

/// A remote base whose kustomization lists another remote base.
#[test]
fn remote_base_of_a_remote_base() {
    let Some(inner) = World::new() else { return };
    inner.commit(
        &[
            ("base/kustomization.yaml", "resources:\n- cm.yaml\n"),
            ("base/cm.yaml", &cm("inner", "1")),
        ],
        "inner",
    );
    inner.tag("v1");
    let Some(w) = World::new() else { return };
    w.commit(
        &[
            (
                "app/kustomization.yaml",
                &format!(
                    "namePrefix: app-\nresources:\n- {}//base?ref=v1\n- cm.yaml\n",
                    inner.url()
                ),
            ),
            ("app/cm.yaml", &cm("outer", "2")),
        ],
        "outer",
    );
    w.tag("v3");
    w.overlay(
        "o",
        &format!(
            "buildMetadata: [originAnnotations]\nresources:\n- {}//app?ref=v3\n",
            w.url()
        ),
    );
    let out = w.kcompile(&["o"]);
    out.assert_ok();
    assert!(
        out.stdout.contains("app-inner") && out.stdout.contains("app-outer"),
        "{out}"
    );
    w.same_as_kubectl("o", &out);
}

/// A ref that does not exist: exit 2, nothing on stdout, the URL, the ref
/// and the kustomization entry named.
#[test]
fn missing_ref_is_an_error() {
    let Some(w) = World::new() else { return };
    w.commit(&[("b/kustomization.yaml", "resources: []\n")], "one");
    let url = w.url();
    w.overlay(
        "o",
        &format!("namePrefix: p-\nresources:\n- {url}//b?ref=no-such-tag\n"),
    );
    let out = w.kcompile(&["o"]);
    out.assert_error(&[&url, "no-such-tag", "o/kustomization.yaml:3:3"]);
    // A folder the repository does not have, or one without a kustomization.
    w.commit(&[("empty/README", "nothing\n")], "two");
    w.tag("v1");
    w.overlay("p", &format!("resources:\n- {url}//nowhere?ref=v1\n"));
    w.kcompile(&["p"])
        .assert_error(&[&url, "nowhere", "p/kustomization.yaml:2:3"]);
    w.overlay("q", &format!("components:\n- {url}//empty?ref=v1\n"));
    w.kcompile(&["q"])
        .assert_error(&[&url, "no kustomization", "q/kustomization.yaml:2:3"]);
}

/// `kcompile lock` pins the commits; a build then renders the pinned
/// commit even after the branch moved; `--check` sees the move; a remote
/// base missing from the lock file warns; nothing remote: an empty lock.
#[test]
fn lock_file_pins_commits() {
    let Some(w) = World::new() else { return };
    let old = w.commit(
        &[
            ("b/kustomization.yaml", "resources:\n- cm.yaml\n"),
            ("b/cm.yaml", &cm("c", "old")),
        ],
        "old",
    );
    let url = w.url();
    w.overlay("o", &format!("resources:\n- {url}//b?ref=main\n"));
    let out = w.kcompile(&["lock", "o"]);
    out.assert_ok();
    assert!(out.stderr.contains("1 remote base(s) pinned"), "{out}");
    let lock = std::fs::read_to_string(w.t.join("work/kcompile.lock")).unwrap();
    assert!(
        lock.contains(&old) && lock.contains("ref: \"main\""),
        "{lock}"
    );
    w.commit(&[("b/cm.yaml", &cm("c", "new"))], "new");
    let out = w.kcompile(&["o"]);
    out.assert_ok();
    assert!(out.stdout.contains("value: old"), "{out}");
    // Pinned: no branch warning.
    assert!(!out.stderr.contains("warning"), "{out}");
    w.kcompile(&["lock", "--check", "o"]).assert_code(1);
    // A remote base the lock file does not have.
    w.overlay("o2", &format!("resources:\n- {url}//b?ref={old}\n"));
    let out = w.kcompile(&["o2"]);
    out.assert_ok();
    assert!(
        out.stderr.contains("is not in") && out.stderr.contains("kcompile lock"),
        "{out}"
    );
    // Relocking follows the branch.
    w.kcompile(&["lock", "o"]).assert_ok();
    let out = w.kcompile(&["o"]);
    assert!(out.stdout.contains("value: new"), "{out}");
    w.kcompile(&["lock", "--check", "o"]).assert_ok();
    // Nothing remote: an empty lock, said so.
    w.overlay("local", "resources: []\n");
    let out = w.kcompile(&["lock", "local"]);
    out.assert_ok();
    assert!(out.stderr.contains("empty lock file"), "{out}");
    let lock = std::fs::read_to_string(w.t.join("work/kcompile.lock")).unwrap();
    assert!(lock.contains("remotes: []"), "{lock}");
}

/// With kcompile.yaml, the lock file is beside it and `kcompile lock`
/// covers every cluster; two clusters on the same URL and ref, built in
/// parallel, and one kustomization listing two folders of it: one fetch.
#[test]
fn one_fetch_per_url_and_ref() {
    let Some(w) = World::new() else { return };
    w.commit(
        &[
            ("a/kustomization.yaml", "resources:\n- cm.yaml\n"),
            ("a/cm.yaml", &cm("a", "1")),
            ("b/kustomization.yaml", "resources:\n- cm.yaml\n"),
            ("b/cm.yaml", &cm("b", "1")),
        ],
        "one",
    );
    w.tag("v1");
    let url = w.url();
    w.overlay(
        "x",
        &format!("namespace: ns-x\nresources:\n- {url}//a?ref=v1\n- {url}//b?ref=v1\n"),
    );
    w.overlay(
        "y",
        &format!("namespace: ns-y\nresources:\n- {url}//a?ref=v1\n"),
    );
    write_file(
        &w.t.join("work/kcompile.yaml"),
        "clusters:\n- name: x\n  overlay: x\n- name: y\n  overlay: y\n",
    );
    let out = w.kcompile(&["build", "--no-validate"]);
    out.assert_ok();
    assert_eq!(w.fetches(), 1, "{out}");
    // Cached: no fetch at all the second time.
    w.kcompile(&["build", "--no-validate"]).assert_ok();
    assert_eq!(w.fetches(), 0);
    let out = w.kcompile(&["lock"]);
    out.assert_ok();
    assert!(w.t.join("work/kcompile.lock").is_file(), "{out}");
}

/// `--offline`: a cold cache is an error naming the URL and ref; a warm
/// one works with the repository gone.
#[test]
fn offline_uses_the_cache_only() {
    let Some(w) = World::new() else { return };
    w.commit(
        &[
            ("b/kustomization.yaml", "resources:\n- cm.yaml\n"),
            ("b/cm.yaml", &cm("c", "1")),
        ],
        "one",
    );
    w.tag("v1");
    let url = w.url();
    w.overlay("o", &format!("resources:\n- {url}//b?ref=v1\n"));
    w.kcompile(&["--offline", "o"]).assert_error(&[
        &url,
        "v1",
        "--offline",
        "run once without --offline",
    ]);
    let online = w.kcompile(&["o"]);
    online.assert_ok();
    std::fs::rename(w.t.join("remote.git"), w.t.join("gone.git")).unwrap();
    let out = w.kcompile(&["build", "--offline", "o"]);
    out.assert_ok();
    assert_eq!(out.stdout, online.stdout);
    assert_eq!(w.fetches(), 1);
    // Online, the repository gone: git's error, named.
    w.kcompile(&["o"])
        .assert_error(&[&url, "git ls-remote failed"]);
}

/// Nothing resolved inside a fetched repository may leave it: `../` past
/// its top, a symlink committed in it; files under the root-only rule.
#[test]
fn nothing_leaves_the_repository() {
    let Some(w) = World::new() else { return };
    // The checkout is CACHE/kcompile/git/<hash>/<commit>/ and CACHE is
    // T/cache, so from `up/` six `..` reach T, where `evil/` is.
    write_file(
        &w.t.join("evil/kustomization.yaml"),
        "resources:\n- cm.yaml\n",
    );
    write_file(&w.t.join("evil/cm.yaml"), cm("stolen", "1"));
    let evil = w.t.join("evil");
    std::os::unix::fs::symlink(&evil, w.src().join("link")).unwrap();
    w.commit(
        &[
            (
                "up/kustomization.yaml",
                "resources:\n- ../../../../../../evil\n",
            ),
            ("sym/kustomization.yaml", "resources:\n- ../link\n"),
            (
                "file/kustomization.yaml",
                "resources:\n- ../../../../../../evil/cm.yaml\n",
            ),
        ],
        "escape",
    );
    w.tag("v1");
    let url = w.url();
    for (o, sub, want) in [
        ("up", "up", "outside of the fetched repository"),
        ("sym", "sym", "outside of the fetched repository"),
        ("file", "file", "security"),
        ("link", "link", "outside of repo"),
    ] {
        w.overlay(o, &format!("resources:\n- {url}//{sub}?ref=v1\n"));
        let out = w.kcompile(&[o]);
        out.assert_error(&[want]);
        assert!(!out.stdout.contains("stolen"), "{out}");
    }
    // The URL itself may not leave the repository (kustomize's parser).
    w.overlay("url", &format!("resources:\n- {url}//a/../../x?ref=v1\n"));
    w.kcompile(&["url"]).assert_error(&["url path exits repo"]);
}

/// Credentials in a URL never appear in a message.
#[test]
fn credentials_are_redacted() {
    let Some(w) = World::new() else { return };
    w.overlay(
        "o",
        "resources:\n- https://user:secret-token@127.0.0.1:1/x.git//base?ref=v1&timeout=10\n",
    );
    let out = w.kcompile(&["o"]);
    out.assert_error(&["https://***@127.0.0.1:1/x.git", "v1"]);
    assert!(!out.stderr.contains("secret-token"), "{out}");
    assert!(!out.stderr.contains("user:"), "{out}");
    // Nor in the cache's paths and files.
    let listing = Cmd::new("sh")
        .args([
            "-c",
            "find cache -print -type f -exec cat {} \\; 2>/dev/null",
        ])
        .cwd(w.t.path())
        .run();
    assert!(!listing.stdout.contains("secret"), "{}", listing.stdout);
}

/// A single file over HTTP (kustomize downloads it) is refused without a
/// network access; so is a URL kustomize cannot parse.
#[test]
fn unsupported_forms_are_refused_clearly() {
    let Some(w) = World::new() else { return };
    w.overlay(
        "o",
        "resources:\n- https://example.com/org/repo/raw/main/deploy.yaml\n- https://example.com/org/other/raw/main/x.yaml\n",
    );
    w.kcompile(&["o"])
        .assert_error(&["single file over HTTP", "vendor the file"]);
    w.overlay("p", "resources:\n- htxxxtp://example.com/org/repo\n");
    w.kcompile(&["p"]).assert_error(&["failed to parse scheme"]);
    assert!(!w.t.join("calls").exists(), "git was run");
}

/// `diff --base REF` reads the base side's remote bases from the cache
/// (a layered source): moving a ref shows as a change.
#[test]
fn diff_base_sees_remote_bases() {
    let Some(w) = World::new() else { return };
    w.commit(
        &[
            ("b/kustomization.yaml", "resources:\n- cm.yaml\n"),
            ("b/cm.yaml", &cm("c", "one")),
        ],
        "one",
    );
    w.tag("v1");
    w.commit(&[("b/cm.yaml", &cm("c", "two"))], "two");
    w.tag("v2");
    let url = w.url();
    let work = w.t.join("work");
    git(&work, &["init", "-q"]);
    w.overlay("o", &format!("resources:\n- {url}//b?ref=v1\n"));
    git(&work, &["add", "-A"]);
    git(&work, &["commit", "-q", "-m", "v1"]);
    w.overlay("o", &format!("resources:\n- {url}//b?ref=v2\n"));
    let out = w.kcompile(&["diff", "--base", "HEAD", "o"]);
    out.assert_code(1);
    assert!(
        out.stdout.contains("-  value: one") && out.stdout.contains("+  value: two"),
        "{out}"
    );
}

/// A git that does not answer is stopped at the URL's `timeout=` (with
/// what it started), and the build fails saying so: no hang.
#[test]
fn a_hanging_git_is_stopped_at_the_timeout() {
    let Some(w) = World::new() else { return };
    write_file(&w.t.join("slow/git"), "#!/bin/sh\nsleep 60 &\nwait\n");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(w.t.join("slow/git"), std::fs::Permissions::from_mode(0o755)).unwrap();
    w.overlay(
        "o",
        &format!("resources:\n- {}//b?ref=v1&timeout=1\n", w.url()),
    );
    let path = format!(
        "{}:{}",
        w.t.join("slow").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let started = std::time::Instant::now();
    let out = util::cmd()
        .cwd(w.t.join("work"))
        .env("XDG_CACHE_HOME", w.t.join("cache"))
        .env("PATH", path)
        .arg("o")
        .run();
    out.assert_error(&["did not finish within 1s", "timeout="]);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "{out}"
    );
}
