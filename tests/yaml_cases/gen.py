#!/usr/bin/env python3
"""Generate the differential YAML cases (input.yaml, errors.yaml).

Each case is one ConfigMap-like document; `kubectl kustomize --reorder none`
over a kustomization listing input.yaml gives expected.yaml (see record.sh).
"""
import os

HERE = os.path.dirname(os.path.abspath(__file__))

def dq(s):
    out = ['"']
    for c in s:
        o = ord(c)
        if c == '"': out.append('\\"')
        elif c == '\\': out.append('\\\\')
        elif c == '\n': out.append('\\n')
        elif c == '\t': out.append('\\t')
        elif 0x20 <= o <= 0x7e: out.append(c)
        elif (0xa0 <= o <= 0xd7ff or 0xe000 <= o <= 0xfffd) and o not in (0xfeff, 0x2028, 0x2029): out.append(c)
        elif o > 0xffff: out.append(c if o % 2 else '\\U%08X' % o)
        else: out.append('\\u%04X' % o)
    out.append('"')
    return ''.join(out)

BOOLS_NULLS = """y Y yes Yes YES yES n N no No NO true True TRUE tRUE false False FALSE on On ON oN off Off OFF
~ null Null NULL nULL none None""".split()
NUMS = """0 00 012 0x1F 0X1f 0o17 0O17 0b101 0B101 -0b101 +1 -1 1_000 1__0 _1 1_ 0x_1F
9223372036854775807 9223372036854775808 -9223372036854775808 -9223372036854775809
18446744073709551615 18446744073709551616 99999999999999999999 012345678 09 08.5 0b2 0o8 0x 0xG
+0x10 -012 1e3 1E3 1e+3 1.e3 .5 +.5 -.5 ._5 .5_5 1.5_0 1_0.5 1. 0.0 -0.0 +0 -0 1e400 -1e400
1e-400 3.14159265358979323846 0.1 0.000001 0.0000001 123456.7 1234567.8 1e20 1e21 1e22 6.02e23
1.7976931348623157e308 5e-324 -1.5e-10 100000.5 0.0001 0.00001 1_2_3.4_5 0x7FFFFFFFFFFFFFFF
0xFFFFFFFFFFFFFFFF 0x10000000000000000 -0x10 0b-1 1e 1e+ e3 .e3 +. - + -- 1- 1+1 1..2 1.2.3
0.1e1 1.0 2.50 100 1000000 12345678901234567890123 -0 -0.5e-5""".split()
SPECIAL_FLOATS = ".nan .NaN .NAN .inf .Inf .INF -.inf +.inf -.Inf +.INF".split()
BASE60 = "1:20 190:20:30 1:20.5 -1:20 +1:2 1:60 1:6 1:_ 1_0:20 12:30:45.123 1:2:3:4 a:1 1:a 1: :1 1::2".split()
TIMESTAMPS = [
    "2020-01-01", "2020-1-1", "2020-01-01T10:20:30Z", "2020-01-01t10:20:30Z", "2020-01-01 10:20:30",
    "2020-01-01T10:20:30.123456789+05:30", "2020-01-01T10:20:30.1234567891Z", "2020-01-01T10:20:30,5Z",
    "2020-02-30", "2020-02-29", "2019-02-29", "2000-02-29", "1900-02-29", "2020-13-01", "2020-00-01",
    "2020-01-01T24:00:00Z", "2001-12-14 21:59:43.10 -5", "2020-01-01T10:20:30-00:00",
    "2020-01-01T1:2:3Z", "12020-01-01", "2020-01-01x", "2020-01-01T10:20:30+24:00",
    "2020-01-01T10:20:30", "2020-01-01T10:20:30.000Z", "2020-01-01T10:20:30.5+01:60",
    "0000-01-01", "9999-12-31T23:59:59.999999999-23:59", "2020-01-01  10:20:30", "2020-1-1 1:2:3.4",
    "2020-01-01T10:20:60Z", "2020-01-01T10:60:30Z", "2020-01-32", "2020-01-01T10:20:30z",
    "2020-01-01T10:20:30+0530", "2020_01_01", "2020-01",
]
CHARS = [
    "a#b", "a #b", "#a", "a:b", "a: b", "a:", ":a", "-a", "- a", "-", "--", "---", "--- a", "...", "....",
    "?a", "? a", "?", "*a", "&a", "!a", "|a", ">a", "'a", '"a', "%a", "@a", "`a", ",a", "[a", "]a", "{a",
    "}a", "a,b", "a[b", "a{b}", "a'b", 'a"b', "a\\b", "<<", "<", "=", "a=b", " a", "a ", " ", "  ", "a  b",
    "a\tb", "\t", "\ta", "a\t", "a:\tb", "a\t#b", "http://x.y/z?a=b&c=d#frag", "key: value # comment",
    "a\\nb", "\\", "'", '"', "''", "' '", "a b c", "a-b", "a_b", "a.b", "a/b", "a~b", "~a", "a~", ".", "..",
    "a...", "<a>", "a & b", "a > b", "x < y", "&", "*", "!", "|", ">", "%", "@", "`", ",", "[]", "{}", "{a: b}",
    "[a, b]", "-1a", "+a", ".a", "0a", "1a", "1 2", "1,000", "$HOME", "${VAR}", "a;b", "a|b", "a>b",
    "null_value", "true_", "_true", "yes please", "no way", "on-call", "Yes.", "ab:c d", "a#", "#",
]
UNICODE = [
    "héllo", "日本語", "😀", "a😀b", "\u00a0", "a\u00a0b", "\u0085", "a\u0085b", "\u2028", "a\u2029b",
    "\ufeff", "\ufeffa", "\u200b", "\ue000", "\ufffd", "ü: x", "Ω", "\U0001F680 rocket", "é" * 50,
    "\u0001", "\u0007", "\b", "\u001b", "\u007f", "\r", "a\rb", "\u0000", "a\u0000b", "\u009f", "\u00ad",
    "\U00010000", "\U0010FFFD",
]
LONG = [
    "word " * 30, "x" * 200, ("ab  cd " * 20), " " + "lead " * 25, "a # " * 30, "tab\tword " * 20,
    "word " * 30 + "end", "k: v " * 25, "-" + " dash" * 30, "a" * 79 + " b", "a" * 80 + " b", "a" * 81 + " b",
    "a" * 78 + "  b c", ("x" * 60 + " ") * 4, "'" + "quoted " * 20 + "'", '"' + "dq " * 40,
    "a" * 85 + "  " + "b" * 85, "emoji 😀 " * 15, "yes " * 30, " " * 100 + "x", "x" + " " * 100,
    "\u00e9t\u00e9 " * 30, "a\u00a0" * 60,
]
MULTI = [
    "a\nb", "a\nb\n", "a\nb\n\n", "\na", " a\nb", "a \nb", "a\n b", "a\n\nb", "\n", "\n\n", "a\n",
    "a\r\nb", "a\tb\nc", "line1\nline2 \n", "- a\n- b\n", "key: v\n", "# c\nx", "a\n  b", "trailing  \nspace",
    "x" * 120 + "\n" + "word " * 30 + "\n", "a\n\n\n", " \n", "\n \n", "a\n ", "a\u2028b", "a\u0085b\nc", "a \u0085 b", "a\u0085\u0085b", " \u0085\u0085\u0085 x\u0085",
    "😀\nx", "yes\nno", "  indented\n  block\n", "\tx\ny", "a\n\nb\n\n", "#!/bin/sh\necho hi\n",
    "{\n  \"json\": true\n}\n", "a\u00a0\nb",
]
KEYS = ["y", "n", "yes", "1", "01", "1.5", "", " ", "a b", "a: b", "-", "on", "null", "~", "<<x", "2020-01-01",
        "1:20", "a\nb", "k" * 129, "k " * 64, "k" * 128, "#k", "é", "😀", "a\tb", "0x1F", "true", "'q'",
        "a" * 100 + " " + "b" * 100]

def case_doc(i, body):
    return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c%d\n%s" % (i, body)

def main():
    docs = []
    def add(body):
        docs.append(case_doc(len(docs), body))
    strings = [s for s in BOOLS_NULLS + NUMS + SPECIAL_FLOATS + BASE60 + TIMESTAMPS + CHARS + UNICODE + LONG + MULTI
               if not BAD_CHARS.intersection(s)]
    for s in strings:
        q = dq(s)
        # kustomize rejects NEL in keys; values with NEL are folded.
        key = "" if "\u0085" in s else "  %s: k\n" % q
        add("data:\n  v: %s\n%slist:\n- %s\nnested:\n  a:\n    b:\n    - c: %s\n      d: [%s]\n" % (q, key, q, q, q))
    plain = [p for p in BOOLS_NULLS + NUMS + BASE60 + TIMESTAMPS if p not in ("-", "1:", "2020-01-01T10:20:30+24:00")]
    for s in plain:
        add("data:\n  v: %s\nlist:\n- %s\n" % (s, s))
    for k in KEYS:
        add("data:\n  %s: v\n  %s: %s\n" % (dq(k), dq("z" + k), dq(k)))
    add("data:\n" + "".join("  %s: %d\n" % (dq(k), n) for n, k in enumerate(
        # Keys whose digit runs start with 0 are left out: go-yaml v2's Less is
        # not transitive for them, and kustomize's own order then depends on
        # Go's random map iteration (two kubectl runs disagree).
        ["a10", "a9", "Z", "A", "_a", "1", "b", "a1", "10", "9", "-", "~",
         ".", "a.b", "a-b", "a_b", "aB", "ab", "AB", "Ab", "é", "z", "x1y2", "x1y10", "x1",
         "0", "1-2", "1_2", "ü", "日", "😀", "a😀", "a!", " ", "  a", "k8s", "k80s", "v1", "v2"])))
    # Small maps where digit runs of different lengths meet letters; each
    # is consistent on its own (larger mixes form cycles, see above).
    add("data:\n  v1beta1: 1\n  v1: 2\n  v1alpha2: 3\n  v2: 4\n  x2: 5\n")
    add("data:\n  a20b3: 1\n  a2b3: 2\n  a2b30: 3\n")
    # Structural cases, as written by hand.
    for body in STRUCT:
        add(body)
    with open(os.path.join(HERE, "input.yaml"), "w") as f:
        f.write("---\n".join(docs))
    with open(os.path.join(HERE, "errors.yaml"), "w") as f:
        errs = ["data:\n  v: %s\n" % s for s in SPECIAL_FLOATS] + ERRORS
        f.write("---\n".join(case_doc(i, b) for i, b in enumerate(errs)))

STRUCT = [
    "data: {}\nlist: []\nnested: {a: {}, b: [], c: [[]], d: [{}], e: null, f: [null, ~, '']}\n",
    "spec:\n  a:\n  - - - 1\n      - 2\n    - 3\n  - b: 1\n    c:\n    - d: 2\n      e: [3, 4]\n",
    "spec:\n" + "".join("  " * (i + 1) + "l%d:\n" % i for i in range(40)) + "  " * 41 + "x: 1\n",
    "spec: " + "[" * 60 + "1" + "]" * 60 + "\n",
    "spec:\n  anchors:\n    a: &a {x: 1, y: [1, 2]}\n    b: *a\n    c: &s str\n    d: *s\n    e: [*a, *s]\n",
    "spec:\n  base: &b {p: 1, q: 2}\n  m1: {<<: *b, q: 3}\n  m2: {q: 3, <<: *b}\n  m3:\n    <<: [*b, {r: 4, p: 9}]\n  m4: {<<: {}}\n",
    "data:\n  lit: |\n    line1\n    line2\n  keep: |+\n    a\n\n  strip: |-\n    a\n  folded: >\n    a\n    b\n\n    c\n  fstrip: >-\n    long\n    text\n",
    "data:\n  plainmulti: this is\n    a folded\n    plain scalar\n  sq: 'it''s'\n  dq: \"tab\\there\\x41\\u00e9\\U0001F600\"\n",
    "data:\n  # comment\n  a: 1 # trailing\n  b: 'x' # c\n",
    "spec:\n  flow: {a: [1, 2, {b: c}], 'd e': \"f\"}\n  seq: [a, 'b', \"c\", [d], {e: f}]\n",
    "spec:\n  tags: [!!str 1, !!int '2', !!float 3, !!float '4.5', !!bool 'true', !!null '', !!binary aGVsbG8=, !custom x, !!timestamp 2020-01-01, !!str 2020-01-01, ! 12]\n",
    "spec:\n  empty:\n  emptyStr: ''\n  tilde: ~\n  list:\n  -\n  - ''\n",
    "spec:\n  ints: [0, -0, 1, -1, 2147483647, 2147483648, -2147483649, 4294967296]\n  floats: [0.5, -0.5, 1.25e3, 1e-3, 12e-1, 1.0e0, 100.0, 1e15, 1e16, 123456789.123]\n",
    "spec:\n  list_of_maps:\n  - name: a\n    value: '1'\n  - name: b\n    valueFrom:\n      secretKeyRef: {name: s, key: k}\n  - {}\n  - []\n  - - x\n",
    "spec:\n  ? complex key\n  : value\n  ? [a, b]\n  : ignored_root_only\n" if False else "spec:\n  ? complex key\n  : value\n",
    "data:\n  x: \"line1\\nline2\"\n  y: \"  lead\\ntrail  \"\n  z: \"a\\n\\n\"\n  w: \"\\n\\nlead\"\n",
    "spec:\n  deep:\n" + "".join("    " + "  " * i + "- l%d:\n" % i for i in range(20)) + "    " + "  " * 20 + "  - end\n",
    "data:\n  json: '{\"a\": 1, \"b\": [true, null]}'\n  html: '<a href=\"x\">&amp;</a>'\n  ctl: \"\\x01\\x1f\\x7e\"\n",
]
BAD_CHARS = set("\u007f\u009f")
ERRORS = ["data:\n  v: -\n", "data:\n  v: 1:\n", "data:\n  v: 2020-01-01T10:20:30+24:00\n",
    "data:\n  v: \"\\u007F\"\n", "data:\n  \"k\\u0085\": v\n", "data:\n  v: \"a\\u009Fb\"\n",
    "data:\n  v: \"\\uFFFE\"\n", "data:\n  v: \"\\u0080\"\n",
    "data:\n  1: a\n", "data:\n  true: a\n", "data:\n  a: 1\n  a: 2\n", "data:\n  a: !!null x\n",
    "data:\n  a: !!int abc\n", "data: {<<: 1}\n", "data: {<<: {a: 1}, <<: {b: 2}}\n", "data:\n  [a]: 1\n",
    "data:\n  2020-01-01: a\n", "data:\n  a: 'x\n",
]

if __name__ == "__main__":
    main()
