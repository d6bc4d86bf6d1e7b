#!/usr/bin/env python3
"""Regenerates tests/generate_cases/: writes each case's inputs, runs the
oracle (`kubectl kustomize`, kustomize v5.5) and records its output as
expected.json plus the kustomization as kustomization.json."""
import json, os, shutil, subprocess, sys, yaml

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "generate_cases")
K = "configMapGenerator:\n- name: cm\n"
S = "secretGenerator:\n- name: s\n"
BIN = bytes(range(255, 150, -1))
# Where kcompile differs on purpose (docs/security.md): the case expects its
# error, and keeps what kustomize printed beside it.
DIVERGENCES = {
    # A line without `=`: kustomize reads the value from its environment.
    "env_key_only": "kcompile refuses env lines without `=`",
    "env_bom_crlf": "kcompile refuses env lines without `=`",
}
CASES = {
    "lit_basic": (K + "  literals: [a=1, b=two]\n", {}),
    "lit_equals": (K + "  literals: ['c=x=y', 'url=http://h/?q=1&r=2']\n", {}),
    "lit_quotes": (K + "  literals: ['a=\"q u\"', \"b='s'\", 'c=\"', 'd=\"x''', 'e=\"\"']\n", {}),
    "lit_spaces": (K + "  literals: ['a b=  v  ', 'k =1', ' lead=x']\n", {}),
    "lit_unicode": (K + "  literals: ['g=é ü 日本', 'emoji=\U0001F600', 'nbsp=a\u00a0b']\n", {}),
    "lit_html": (K + "  literals: ['h=<a href=\"x\">&amp;</a>', 'ls=a\u2028b']\n", {}),
    "lit_escapes": (K + "  literals: [\"c=a\\tb\\bc\\fd\\re\\x01\\x1f\\\\\"]\n", {}),
    "lit_multiline": (K + "  literals:\n  - |\n    m=line1\n    line2\n", {}),
    "lit_empty_value": (K + "  literals: ['f=']\n", {}),
    "lit_no_equals": (K + "  literals: [ab]\n", {}),
    "lit_leading_equals": (K + "  literals: ['=1']\n", {}),
    "lit_dup": (K + "  literals: [a=1, a=2]\n", {}),
    "lit_slash_key": (K + "  literals: ['a/b=1', 'a:b=2']\n", {}),
    "env_basic": (K + "  envs: [e.env]\n", {"e.env": b"A=1\nB=two\n"}),
    "env_comments": (K + "  envs: [e.env]\n", {"e.env": b"# c\n\n  # indented\nA=1\n\t\nB=2 # not a comment\n"}),
    "env_bom_crlf": (K + "  envs: [e.env]\n", {"e.env": b"\xef\xbb\xbf  A=1\r\nB\r\n C = 2 \r\nD=a=b\r\n"}),
    "env_key_only": (K + "  envs: [e.env]\n", {"e.env": b"ONLY\nX=\n"}),
    "env_empty_key": (K + "  envs: [e.env]\n", {"e.env": b"=abc\nA=1\n"}),
    "env_no_trailing_nl": (K + "  envs: [e.env]\n", {"e.env": b"A=1\nB=2"}),
    "env_quotes": (K + "  envs: [e.env]\n", {"e.env": b"A=\"q\"\nB='s'\n"}),
    "env_invalid_utf8": (K + "  envs: [e.env]\n", {"e.env": b"A=\xff\n"}),
    "env_invalid_utf8_comment": (K + "  envs: [e.env]\n", {"e.env": b"# \xff\nA=1\n"}),
    "env_bom_second_line": (K + "  envs: [e.env]\n", {"e.env": b"A=1\n\xef\xbb\xbfB=2\n"}),
    "env_singular": (K + "  env: a.env\n  envs: [b.env]\n", {"a.env": b"A=1\n", "b.env": b"B=2\n"}),
    "env_dup_with_literal": (K + "  envs: [e.env]\n  literals: [A=2]\n", {"e.env": b"A=1\n"}),
    "env_cr_middle": (K + "  envs: [e.env]\n", {"e.env": b"A=x\ry\nB=1\r"}),
    "env_long_line": (K + "  envs: [e.env]\n", {"e.env": b"A=" + b"x" * 65534 + b"\nB=1\n"}),
    "env_max_line": (K + "  envs: [e.env]\n", {"e.env": b"A=" + b"x" * 65533 + b"\nB=1\n"}),
    "env_missing": (K + "  envs: [nothere.env]\n", {}),
    "file_basic": (K + "  files: [sub/f.txt]\n", {"sub/f.txt": b"hello <&>\n"}),
    "file_keyed": (K + "  files: [k2=sub/f.txt, ./g]\n", {"sub/f.txt": b"x", "g": b"y\n\n"}),
    "file_binary": (K + "  files: [b.bin, t.txt]\n", {"b.bin": BIN, "t.txt": b"text"}),
    "file_binary_small": (K + "  files: [b.bin]\n", {"b.bin": b"\xff\x00\x01"}),
    "file_binary_exact70": (K + "  files: [b.bin]\n", {"b.bin": b"\xff" * 51 + b"\x00" * 1}),
    "file_binary_69": (K + "  files: [b.bin]\n", {"b.bin": b"\xff" * 51}),
    "file_empty": (K + "  files: [e]\n", {"e": b""}),
    "file_missing_key": (K + "  files: ['=f']\n", {"f": b"x"}),
    "file_missing_path": (K + "  files: ['k=']\n", {"f": b"x"}),
    "file_two_equals": (K + "  files: ['k=a=b']\n", {"f": b"x"}),
    "file_dup": (K + "  files: [f, k/f]\n", {"f": b"x", "k/f": b"y"}),
    "file_crlf_bom": (K + "  files: [f]\n", {"f": b"\xef\xbb\xbfa\r\nb\r\n"}),
    "all_sources": (K + "  envs: [e.env]\n  literals: [L=1]\n  files: [F]\n", {"e.env": b"E=1\n", "F": b"f"}),
    "cm_empty": (K, {}),
    "cm_namespace": (K + "  namespace: ns1\n  literals: [a=1]\n", {}),
    "cm_no_name": ("configMapGenerator:\n- literals: [a=1]\n", {}),
    "cm_unknown_field": (K + "  bogus: 1\n", {}),
    "cm_type_field": (K + "  type: Opaque\n", {}),
    "cm_nulls": (K + "  namespace: ~\n  behavior: ~\n  literals: ~\n  options: ~\n", {}),
    "opt_labels_annotations": (K + "  literals: [a=1]\n  options:\n    labels: {z: '1', a: '2'}\n    annotations: {x: w}\n", {}),
    "opt_disable_hash": (K + "  literals: [a=1]\n  options: {disableNameSuffixHash: true}\n", {}),
    "opt_immutable": (K + "  literals: [a=1]\n  options: {immutable: true}\n", {}),
    "opt_global": (K + "  literals: [a=1]\ngeneratorOptions: {labels: {g: '1'}, annotations: {h: '2'}, immutable: true}\n", {}),
    "opt_precedence": (K + "  literals: [a=1]\n  options: {labels: {a: l, b: l}, annotations: {x: l}, disableNameSuffixHash: false, immutable: false}\ngeneratorOptions: {labels: {a: g, c: g}, annotations: {x: g, z: g}, disableNameSuffixHash: true, immutable: true}\n", {}),
    "opt_global_disable": (K + "  literals: [a=1]\n" + S + "  literals: [a=1]\ngeneratorOptions: {disableNameSuffixHash: true}\n", {}),
    "opt_empty_local_labels": (K + "  literals: [a=1]\n  options: {labels: {}}\ngeneratorOptions: {labels: {a: g}}\n", {}),
    "opt_unknown": (K + "  options: {bogus: 1}\n", {}),
    "opt_label_number": (K + "  options: {labels: {a: 1}}\n", {}),
    "opt_behavior_odd": (K + "  behavior: Merge\n  literals: [a=1]\n", {}),
    "secret_basic": (S + "  literals: [username=admin, password=somepw]\n", {}),
    "secret_empty": (S, {}),
    "secret_type_tls": (S + "  type: kubernetes.io/tls\n  files: [tls.crt, tls.key]\n", {"tls.crt": b"CERT\n", "tls.key": b"KEY\n"}),
    "secret_type_empty": (S + "  type: ''\n  literals: [a=1]\n", {}),
    "secret_type_dockercfg": (S + "  type: kubernetes.io/dockerconfigjson\n  files: [.dockerconfigjson=cfg.json]\n", {"cfg.json": b'{"auths":{}}'}),
    "secret_binary": (S + "  files: [b.bin]\n", {"b.bin": BIN}),
    "secret_long_literal": (S + "  literals: [l=0123456789012345678901234567890123456789012345678901]\n", {}),
    "secret_env": (S + "  envs: [e.env]\n", {"e.env": b"A=1\nB=\xc3\xa9\n"}),
    "secret_env_invalid_utf8": (S + "  envs: [e.env]\n", {"e.env": b"A=\xff\n"}),
    "secret_options": (S + "  literals: [a=1]\n  namespace: ns\n  options: {immutable: true, labels: {l: v}, annotations: {an: v}}\n", {}),
    "secret_disable_hash": (S + "  literals: [a=1]\n  options: {disableNameSuffixHash: true}\n", {}),
    "secret_dup": (S + "  literals: [a=1, a=2]\n", {}),
    "secret_unicode": (S + "  literals: ['u=日本 <&>']\n", {}),
    "ctl_del_literal": (K + "  literals: [\"h=a\\x7f\"]\n", {}),
    "ctl_c1_env": (K + "  envs: [e]\n", {"e": b"a=\xc2\x80\n"}),
    "ctl_c1_secret_env": (S + "  envs: [e]\n", {"e": b"a=\xc2\x80\n"}),
    "ctl_nel_ok": (K + "  literals: [\"h=a\\x85b\\ufeff\"]\n", {}),
    "multi_generators": (K + "  literals: [a=1]\n- name: cm2\n  literals: [b=2]\n" + S + "  literals: [c=3]\n", {}),
}

def main():
    only = set(sys.argv[1:])
    os.makedirs(HERE, exist_ok=True)
    for name, (kust, files) in CASES.items():
        if only and name not in only:
            continue
        d = os.path.join(HERE, name)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        with open(os.path.join(d, "kustomization.yaml"), "w") as f:
            f.write(kust)
        for p, content in files.items():
            fp = os.path.join(d, p)
            os.makedirs(os.path.dirname(fp), exist_ok=True)
            with open(fp, "wb") as f:
                f.write(content)
        with open(os.path.join(d, "kustomization.json"), "w") as f:
            json.dump(yaml.safe_load(kust), f, indent=1, ensure_ascii=False)
        r = subprocess.run(["kubectl", "kustomize", d], capture_output=True)
        if r.returncode != 0:
            # The case folder's path is this machine's: keep it out.
            err = r.stderr.decode("utf-8", "replace").strip()
            exp = {"error": err.replace(os.path.abspath(d), "<case>")}
        else:
            exp = {"objects": list(yaml.safe_load_all(r.stdout.decode()))}
        if name in DIVERGENCES:
            exp = {"error": DIVERGENCES[name], "kustomize": exp}
        with open(os.path.join(d, "expected.json"), "w") as f:
            json.dump(exp, f, indent=1, ensure_ascii=False)
        print(name, "error" if "error" in exp else len(exp["objects"]))

main()
