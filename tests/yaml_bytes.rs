//! Bytes YAML forbids (control characters, invalid UTF-8), the encodings
//! go-yaml reads (UTF-16 after a byte order mark), and kyaml's splitting of
//! a resource stream at `---` lines: errors name the file, line and column;
//! what builds matches `kubectl kustomize` byte for byte (checked against
//! kubectl when it is installed).
#![allow(clippy::disallowed_methods)] // tests build and read trees on disk

mod util;

use std::path::Path;
use util::oracle::{kcompile, kubectl};
use util::Tree;

const CM: &[u8] = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n";
const CM2: &[u8] = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n";

/// A tree: `kustomization.yaml` plus the given files.
fn tree(kust: &[u8], files: &[(&str, &[u8])]) -> Tree {
    let t = Tree::new();
    t.file("kustomization.yaml", kust);
    util::write_bytes(t.path(), files);
    t
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// Exit 2, nothing on stdout, every fragment on stderr; kubectl fails too.
fn assert_fails(dir: &Path, fragments: &[&str]) {
    kcompile(dir).assert_error(fragments);
    if let Some(k) = kubectl(dir) {
        assert!(
            !k.success(),
            "kubectl kustomize succeeds where kcompile fails:\n{}",
            k.stdout
        );
    }
}

/// Success, and kubectl's bytes where kubectl is installed; returns stderr.
fn assert_builds(dir: &Path) -> (String, String) {
    let out = kcompile(dir);
    let stdout = out.stdout.clone();
    let stderr = out.stderr.clone();
    assert!(out.success(), "stderr: {stderr}");
    if let Some(k) = kubectl(dir) {
        k.assert_ok();
        assert_eq!(stdout, k.stdout);
    }
    (stdout, stderr)
}

const RES: &[u8] = b"resources: [r.yaml]\n";

#[test]
fn control_characters_in_a_resource_file_name_line_and_column() {
    // (file content, line:column, code point)
    let cases: Vec<(Vec<u8>, &str, &str)> = vec![
        (cat(&[b"\0", CM]), ":1:1:", "U+0000"),
        (cat(&[CM, b"data:\n  x: a\0b\n"]), ":6:7:", "U+0000"),
        (cat(&[CM, b"\0"]), ":5:1:", "U+0000"),
        (cat(&[CM, b"data:\n  k\x01y: b\n"]), ":6:4:", "U+0001"),
        (cat(&[CM, b"# a\x01b\n"]), ":5:4:", "U+0001"),
        (cat(&[CM, b"data:\n  x: \"a\x02b\"\n"]), ":6:8:", "U+0002"),
        (cat(&[CM, b"data:\n  x: 'a\x0bb'\n"]), ":6:8:", "U+000B"),
        (
            cat(&[CM, b"data:\n  x: |\n    a\x1bb\n"]),
            ":7:6:",
            "U+001B",
        ),
        (cat(&[CM, b"data:\n  x: a\x0cb\n"]), ":6:7:", "U+000C"),
        (cat(&[CM, b"data:\n  x: a\x7fb\n"]), ":6:7:", "U+007F"),
        (
            cat(&[CM, "data:\n  x: a\u{80}b\n".as_bytes()]),
            ":6:7:",
            "U+0080",
        ),
        (
            cat(&[CM, "data:\n  x: a\u{fffe}b\n".as_bytes()]),
            ":6:7:",
            "U+FFFE",
        ),
        // In a later document, and after a document end marker.
        (
            cat(&[CM, b"---\n", CM2, b"data:\n  x: a\x01b\n"]),
            ":11:7:",
            "U+0001",
        ),
        (cat(&[CM, b"...\n\x01\n"]), ":6:1:", "U+0001"),
    ];
    for (content, pos, code) in cases {
        let d = tree(RES, &[("r.yaml", &content)]);
        assert_fails(
            d.path(),
            &[
                &format!("r.yaml{pos}"),
                "control characters are not allowed",
                code,
            ],
        );
    }
}

#[test]
fn escapes_and_printable_characters_are_fine() {
    let d = tree(
        RES,
        &[(
            "r.yaml",
            &cat(&[
                CM,
                "data:\n  nul: \"a\\0b\"\n  esc: \"\\e\\x01\"\n  tab: \"a\tb\"\n  bom: a\u{feff}b\n  top: \"\u{10ffff}\"\n"
                    .as_bytes(),
            ]),
        )],
    );
    let (out, _) = assert_builds(d.path());
    assert!(out.contains(r#"nul: "a\0b""#), "{out}");
}

#[test]
fn every_yaml_input_is_checked() {
    let ctrl = b"# \x01\n";
    // (position in the error, kustomization, files)
    type Case<'a> = (&'a str, Vec<u8>, Vec<(&'a str, Vec<u8>)>);
    let cases: Vec<Case> = vec![
        (
            "kustomization.yaml:2:3:",
            cat(&[RES, ctrl]),
            vec![("r.yaml", CM.to_vec())],
        ),
        (
            "p.yaml:6:3:",
            b"resources: [r.yaml]\npatches:\n- path: p.yaml\n".to_vec(),
            vec![("r.yaml", CM.to_vec()), ("p.yaml", cat(&[CM, b"data: {}\n", ctrl]))],
        ),
        (
            "p.yaml:6:3:",
            b"resources: [r.yaml]\npatchesStrategicMerge: [p.yaml]\n".to_vec(),
            vec![("r.yaml", CM.to_vec()), ("p.yaml", cat(&[CM, b"data: {}\n", ctrl]))],
        ),
        (
            "p.json:1:44:",
            b"resources: [r.yaml]\npatches:\n- path: p.json\n  target: {kind: ConfigMap}\n"
                .to_vec(),
            vec![
                ("r.yaml", CM.to_vec()),
                (
                    "p.json",
                    b"[{\"op\":\"add\",\"path\":\"/data\",\"value\":{\"x\":\"a\x01b\"}}]".to_vec(),
                ),
            ],
        ),
        (
            "c.yaml:2:3:",
            b"resources: [r.yaml]\nconfigurations: [c.yaml]\n".to_vec(),
            vec![("r.yaml", CM.to_vec()), ("c.yaml", cat(&[b"nameReference: []\n", ctrl]))],
        ),
        (
            "t.yaml:6:3:",
            b"resources: [r.yaml]\ntransformers: [t.yaml]\n".to_vec(),
            vec![
                ("r.yaml", CM.to_vec()),
                (
                    "t.yaml",
                    cat(&[
                        b"apiVersion: builtin\nkind: NamespaceTransformer\nmetadata:\n  name: x\n  namespace: n\n",
                        ctrl,
                    ]),
                ),
            ],
        ),
        (
            "c.yaml:2:3:",
            b"resources: [r.yaml]\nreplacements:\n- path: c.yaml\n".to_vec(),
            vec![
                ("r.yaml", CM.to_vec()),
                ("c.yaml", cat(&[b"- source: {kind: ConfigMap}\n", ctrl])),
            ],
        ),
    ];
    for (pos, kust, files) in cases {
        let files: Vec<(&str, &[u8])> = files.iter().map(|(n, b)| (*n, b.as_slice())).collect();
        let d = tree(&kust, &files);
        assert_fails(d.path(), &[pos, "control characters are not allowed"]);
    }
}

#[test]
fn an_escape_in_an_inline_patch_becomes_a_forbidden_character() {
    // The kustomization is fine; the patch text it holds is not.
    let d = tree(
        b"resources: [r.yaml]\npatches:\n- patch: \"apiVersion: v1\\nkind: ConfigMap\\nmetadata: {name: a}\\ndata: {x: \\\"\\x01\\\"}\"\n",
        &[("r.yaml", CM)],
    );
    assert_fails(d.path(), &["inline patch: ", "U+0001", "of the patch)"]);
}

#[test]
fn invalid_utf8_names_line_and_column() {
    for (content, pos) in [
        (cat(&[CM, b"data:\n  x: a\xffb\n"]), ":6:7:"),
        // A surrogate, an overlong form, a truncated sequence.
        (cat(&[CM, b"data:\n  x: a\xed\xa0\x80b\n"]), ":6:7:"),
        (cat(&[CM, b"data:\n  x: a\xc0\xafb\n"]), ":6:7:"),
        (cat(&[CM, b"data:\n  x: a\xe2\x82"]), ":6:7:"),
    ] {
        let d = tree(RES, &[("r.yaml", &content)]);
        assert_fails(d.path(), &[&format!("r.yaml{pos}"), "invalid UTF-8"]);
    }
    // Strategic merge patch files are decoded strictly too (not lossily).
    let d = tree(
        b"resources: [r.yaml]\npatchesStrategicMerge: [p.yaml]\n",
        &[
            ("r.yaml", CM),
            ("p.yaml", &cat(&[CM, b"data:\n  x: a\xffb\n"])),
        ],
    );
    assert_fails(d.path(), &["p.yaml:6:7:", "invalid UTF-8"]);
}

fn utf16(text: &[u8], big_endian: bool) -> Vec<u8> {
    let s = std::str::from_utf8(text).unwrap();
    let mut out = if big_endian {
        vec![0xFE, 0xFF]
    } else {
        vec![0xFF, 0xFE]
    };
    for u in s.encode_utf16() {
        out.extend(if big_endian {
            u.to_be_bytes()
        } else {
            u.to_le_bytes()
        });
    }
    out
}

#[test]
fn utf16_with_a_byte_order_mark_is_read() {
    for be in [false, true] {
        let d = tree(
            &utf16(RES, be),
            &[("r.yaml", &utf16(&cat(&[CM, b"data:\n  x: \xc3\xa9\n"]), be))],
        );
        let (out, stderr) = assert_builds(d.path());
        assert!(out.contains("x: é"), "{out}");
        assert!(stderr.is_empty(), "{stderr}");
    }
    // kustomize reads only the first document of a UTF-16 file: the same
    // output, and a warning naming the dropped one.
    let d = tree(
        RES,
        &[("r.yaml", &utf16(&cat(&[CM, b"---\n", CM2]), false))],
    );
    let (out, stderr) = assert_builds(d.path());
    assert!(!out.contains("name: b"), "{out}");
    assert!(
        stderr.contains("r.yaml:6: kustomize ignores this document") && stderr.contains("UTF-16"),
        "{stderr}"
    );
    // Without a byte order mark the NULs are control characters; an odd
    // length or a lone surrogate is an error.
    let mut no_bom = utf16(CM, false);
    no_bom.drain(..2);
    let d = tree(RES, &[("r.yaml", &no_bom)]);
    assert_fails(d.path(), &["r.yaml:1:2:", "U+0000"]);
    let mut odd = utf16(CM, false);
    odd.push(b'\n');
    let d = tree(RES, &[("r.yaml", &odd)]);
    assert_fails(d.path(), &["r.yaml:5:1:", "UTF-16"]);
    let mut lone = utf16(
        b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ",
        false,
    );
    lone.extend([0x00, 0xD8, b'a', 0]);
    let d = tree(RES, &[("r.yaml", &lone)]);
    assert_fails(d.path(), &["r.yaml:4:9:", "surrogate"]);
}

#[test]
fn documents_split_as_kyaml_splits_them() {
    // A byte order mark at the start of a document after `---` is skipped.
    let d = tree(
        RES,
        &[(
            "r.yaml",
            &cat(&[b"\xef\xbb\xbf", CM, b"--- # c\n\xef\xbb\xbf", CM2]),
        )],
    );
    let (out, _) = assert_builds(d.path());
    assert!(out.contains("name: b\n"), "{out}");
    // More than a comment after `---` on its line.
    let d = tree(
        RES,
        &[(
            "r.yaml",
            &cat(&[
                CM,
                b"--- {apiVersion: v1, kind: ConfigMap, metadata: {name: b}}\n",
            ]),
        )],
    );
    assert_fails(d.path(), &["r.yaml:5:1:", "document separator"]);
    let d = tree(RES, &[("r.yaml", &cat(&[CM, b"----\n", CM2]))]);
    assert_fails(d.path(), &["r.yaml:5:1:", "document separator"]);
    // A document after `...` without its own `---` line is dropped by
    // kustomize: the same output, with a warning naming it.
    let d = tree(RES, &[("r.yaml", &cat(&[CM, b"...\n# c\n", CM2]))]);
    let (out, stderr) = assert_builds(d.path());
    assert!(!out.contains("name: b"), "{out}");
    assert!(
        stderr.contains("r.yaml:7: kustomize ignores this document"),
        "{stderr}"
    );
    // With a `---` line it is read.
    let d = tree(RES, &[("r.yaml", &cat(&[CM, b"...\n---\n", CM2]))]);
    let (out, stderr) = assert_builds(d.path());
    assert!(out.contains("name: b"), "{out}");
    assert!(stderr.is_empty(), "{stderr}");
    // go-yaml's first document cannot begin with `...`, and each piece
    // between `---` lines is a stream of its own.
    let d = tree(RES, &[("r.yaml", &cat(&[CM, b"---\n# c\n...\n"]))]);
    assert_fails(
        d.path(),
        &["r.yaml:7:1:", "did not find expected node content"],
    );
    // A directive whose `---` the split takes away.
    let d = tree(RES, &[("r.yaml", &cat(&[b"%YAML 1.1\n---\n", CM]))]);
    assert_fails(d.path(), &["r.yaml:2:1:"]);
}

#[test]
fn files_without_objects_warn() {
    for (content, warns) in [
        (&b"{}\n"[..], true),
        (b"~\n", true),
        (b"[]\n", true),
        (b"apiVersion: v1\nkind: List\nitems: []\n", true),
        (b"apiVersion: v1\nkind: ConfigMapList\nitems:\n", true),
        (b"", false),
        (b"# only a comment\n---\n---\n...\n", false),
        (b"\xef\xbb\xbf\n  \n--- # c\n", false),
    ] {
        let d = tree(RES, &[("r.yaml", content)]);
        let (out, stderr) = assert_builds(d.path());
        assert!(out.is_empty(), "{out}");
        assert_eq!(
            stderr.contains("r.yaml: the file yields no object"),
            warns,
            "{:?}: {stderr}",
            String::from_utf8_lossy(content)
        );
    }
    // A file with an object does not warn for its empty documents.
    let d = tree(RES, &[("r.yaml", &cat(&[CM, b"---\n{}\n"]))]);
    let (_, stderr) = assert_builds(d.path());
    assert!(stderr.is_empty(), "{stderr}");
}
