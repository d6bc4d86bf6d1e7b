//! The bundled overlays against a real kube-apiserver 1.37: applied
//! server-side, client-side and by create, and through the GitOps folder,
//! `kcompile diff` prints nothing. They pin nodePorts, so they run in their
//! own test binary, before the tests that let the server pick random ones
//! (cargo runs test binaries in name order), and one at a time.
#![allow(clippy::disallowed_methods)] // tests build and read trees on disk

mod util;

use std::path::PathBuf;
use std::sync::Mutex;
use util::apply::*;
use util::kube;

/// Tests that apply the bundled overlays (fixed namespaces and nodePorts)
/// take turns.
static BUNDLED: Mutex<()> = Mutex::new(());

fn bundled() -> Vec<PathBuf> {
    ["overlays/cluster-a", "overlays/cluster-b"]
        .iter()
        .map(|o| repo().join(o))
        .collect()
}

#[test]
fn bundled_overlays_applied_three_ways_have_no_diff() {
    let Some(s) = kube::server() else { return };
    let _turn = BUNDLED.lock().unwrap_or_else(|e| e.into_inner());
    for how in [Apply::ServerSide, Apply::ClientSide, Apply::Create] {
        let yamls: Vec<String> = bundled().iter().map(|o| compile(o)).collect();
        for y in &yamls {
            wipe(s, y);
        }
        for y in &yamls {
            apply(s, y, how);
        }
        for o in bundled() {
            assert_no_diff(s, &o, &format!("bundled overlay applied with {how:?}"));
        }
        for y in &yamls {
            wipe(s, y);
        }
    }
}

/// `kcompile O -o rendered/O`, `kubectl apply --server-side -k rendered/O`,
/// then `kcompile diff O`: nothing.
#[test]
fn gitops_round_trip_has_no_diff() {
    let Some(s) = kube::server() else { return };
    let _turn = BUNDLED.lock().unwrap_or_else(|e| e.into_inner());
    let tmp = tempfile::tempdir().unwrap();
    let mut yamls = Vec::new();
    for o in bundled() {
        let name = o.file_name().unwrap().to_str().unwrap().to_string();
        let out = tmp.path().join("rendered").join(&name);
        let r = kube::kcompile_with(&[o.to_str().unwrap(), "-o", out.to_str().unwrap()], None);
        assert_eq!(r.code, 0, "{r}");
        yamls.push(compile(&o));
        wipe(s, yamls.last().unwrap());
        s.kubectl(
            &["apply", "--server-side", "-k", out.to_str().unwrap()],
            None,
        );
    }
    for o in bundled() {
        assert_no_diff(s, &o, "rendered folder applied with kubectl apply -k");
    }
    for y in &yamls {
        wipe(s, y);
    }
}
