"""A YAML writer with random but valid style, for the differential fuzzer.

Values are Python dicts, lists, str, int, float, bool, None and `Raw` (text
written as is: a scalar the generator wants spelt a particular way, such as
an unquoted `0x1F` or `yes`). The writer picks, per node, one of the styles a
person might type: plain, single- or double-quoted and block scalars
(literal or folded, with chomping and indentation indicators), flow or block
collections, indented or flush sequences, anchors and aliases, comments.
Every choice is drawn from the generator's `random.Random`, so the same seed
gives the same text.
"""

import re

# A string that may be written plain and still reads back as that string.
_PLAIN_SAFE = re.compile(r"^[A-Za-z_/][A-Za-z0-9_./()@+=-]*( [A-Za-z0-9_./()@+=-]+)*$")
# Plain scalars YAML 1.1 or 1.2 would read as something other than a string.
_RESERVED = re.compile(
    r"^(y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|"
    r"off|Off|OFF|null|Null|NULL|~|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)|<<|=)$"
)
_NUMBERISH = re.compile(r"^[-+.0-9]")


class Raw:
    """A scalar written exactly as given (the generator vouches it is valid YAML)."""

    def __init__(self, text):
        self.text = text

    def __eq__(self, other):
        return isinstance(other, Raw) and other.text == self.text

    def __hash__(self):
        return hash(("raw", self.text))


def plain_ok(s):
    return bool(_PLAIN_SAFE.match(s)) and not _RESERVED.match(s) and not _NUMBERISH.match(s)


def _dq(s, r):
    out = ['"']
    for ch in s:
        o = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t" if r.random() < 0.5 else "\t")
        elif o < 0x20 or o == 0x7F:
            out.append("\\x%02x" % o)
        elif o in (0x85, 0x2028, 0x2029, 0xFEFF):
            out.append("\\u%04x" % o)
        elif o > 0x7F and r.random() < 0.2:
            out.append("\\u%04x" % o if o <= 0xFFFF else "\\U%08x" % o)
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _sq_ok(s):
    return not any(ord(c) < 0x20 and c != "\t" for c in s) and "\n" not in s and not any(
        ord(c) in (0x7F, 0x85, 0x2028, 0x2029, 0xFEFF) for c in s
    )


def _block_ok(s):
    # Block scalars can hold any printable text; lines may not carry
    # trailing spaces before a break in a way that round-trips ambiguously, and
    # control characters are not allowed at all.
    if not s or any((ord(c) < 0x20 and c not in "\n\t") or ord(c) in (0x7F, 0x85, 0x2028, 0x2029, 0xFEFF) for c in s):
        return False
    if s.strip("\n") == "":
        return False
    return True


class Writer:
    def __init__(self, r, allow_control=False, folded_keep=None):
        self.r = r
        self.allow_control = allow_control
        # Asked before writing `>+`; None allows it.
        self.folded_keep = folded_keep
        self.indent = 2
        self.flush_seq = True
        self.anchors = {}
        self.anchor_n = 0

    # -- scalars -----------------------------------------------------------
    def scalar(self, v, indent, ctx="block"):
        """Text of scalar v on one line, or a block scalar (returns a leading
        header and lines) when ctx allows it. Returns str (may contain
        newlines for block scalars, already indented)."""
        r = self.r
        if isinstance(v, Raw):
            return v.text
        if v is None:
            return r.choice(["null", "~", "null", "Null"]) if ctx != "key" else '""'
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int):
            return str(v)
        if isinstance(v, float):
            return repr(v)
        s = v
        if ctx == "block" and "\n" in s and _block_ok(s) and r.random() < 0.7:
            return self.block_scalar(s, indent)
        if ctx != "flow" and plain_ok(s) and r.random() < 0.75:
            return s
        if ctx == "flow" and plain_ok(s) and not re.search(r"[,\[\]{}]", s) and r.random() < 0.6:
            return s
        if _sq_ok(s) and r.random() < 0.4:
            return "'" + s.replace("'", "''") + "'"
        return _dq(s, r)

    def block_scalar(self, s, indent):
        r = self.r
        if s.endswith("\n\n"):
            chomp, lines = "+", s[:-1].split("\n")
        elif s.endswith("\n"):
            chomp, lines = "", s[:-1].split("\n")
        else:
            chomp, lines = "-", s.split("\n")
        first = next((i for i, ln in enumerate(lines) if ln.strip() != ""), 0)
        indicator = ""
        if lines[first].startswith(" ") or any(ln != "" for ln in lines[:first]) or r.random() < 0.1:
            indicator = str(self.indent)
        # Folded style changes the value (line folding), harmless for validity
        # when no line is more indented.
        style = ">" if r.random() < 0.2 and not any(ln[:1] in (" ", "\t") for ln in lines) else "|"
        if style == ">" and chomp == "+" and self.folded_keep is not None and not self.folded_keep():
            style = "|"
        head = style + (indicator + chomp if r.random() < 0.5 else chomp + indicator)
        pad = " " * (indent + self.indent)
        return "\n".join([head] + [pad + ln if ln != "" else "" for ln in lines])

    # -- collections -------------------------------------------------------
    def _is_scalar(self, v):
        return not isinstance(v, (dict, list))

    def _flowable(self, v):
        if isinstance(v, dict):
            return len(v) <= 3 and all(self._is_scalar(x) and not (isinstance(x, str) and "\n" in x) for x in v.values())
        if isinstance(v, list):
            return len(v) <= 4 and all(self._is_scalar(x) and not (isinstance(x, str) and "\n" in x) for x in v)
        return False

    def flow(self, v):
        if isinstance(v, dict):
            if not v:
                return "{}"
            return "{" + ", ".join(self.key(k) + ": " + self.scalar(x, 0, "flow") for k, x in v.items()) + "}"
        if not v:
            return "[]"
        return "[" + ", ".join(self.scalar(x, 0, "flow") for x in v) + "]"

    def key(self, k):
        k = str(k)
        if plain_ok(k) and self.r.random() < 0.92:
            return k
        if _sq_ok(k) and self.r.random() < 0.5:
            return "'" + k.replace("'", "''") + "'"
        return _dq(k, self.r)

    def _anchor(self, v):
        """Returns (prefix, alias) for a node: a new anchor, an alias of an
        earlier equal node, or neither."""
        r = self.r
        try:
            fp = repr(v)
        except Exception:
            return "", None
        if fp in self.anchors and r.random() < 0.5:
            return "", "*" + self.anchors[fp]
        if r.random() < 0.06 and fp not in self.anchors:
            self.anchor_n += 1
            name = "a%d" % self.anchor_n
            self.anchors[fp] = name
            return "&" + name + " ", None
        return "", None

    def node_after_key(self, v, indent, anchors=True):
        """Text following `key:` (starting with a space or a newline)."""
        r = self.r
        pre, alias = self._anchor(v) if anchors and not isinstance(v, Raw) and v not in (None, "") else ("", None)
        if alias:
            return " " + alias
        if self._is_scalar(v):
            return " " + pre + self.scalar(v, indent)
        if not v or (self._flowable(v) and r.random() < 0.15):
            return " " + pre + self.flow(v)
        if isinstance(v, dict):
            return (" " + pre.strip() if pre else "") + "\n" + self.mapping(v, indent + self.indent)
        sind = indent if (self.flush_seq and r.random() < 0.8) else indent + self.indent
        return (" " + pre.strip() if pre else "") + "\n" + self.sequence(v, sind)

    def mapping(self, d, indent):
        pad = " " * indent
        lines = []
        for k, v in d.items():
            if self.r.random() < 0.02:
                lines.append(pad + "# " + self.r.choice(["note", "tuned", "see docs: x"]))
            lines.append(pad + self.key(k) + ":" + self.node_after_key(v, indent))
        return "\n".join(lines)

    def sequence(self, items, indent):
        pad = " " * indent
        lines = []
        for v in items:
            if self._is_scalar(v) or not v:
                txt = self.flow(v) if not self._is_scalar(v) else self.scalar(v, indent)
                lines.append(pad + "- " + txt)
            elif isinstance(v, dict):
                inner = self.mapping(v, indent + 2)
                lines.append(pad + "- " + inner[indent + 2 :])
            else:
                inner = self.sequence(v, indent + 2)
                lines.append(pad + "- " + inner[indent + 2 :])
        return "\n".join(lines)

    def document(self, d):
        self.anchors = {}
        self.indent = self.r.choice([2, 2, 2, 4])
        self.flush_seq = self.r.random() < 0.7
        return self.mapping(d, 0) + "\n"


def dump_docs(r, docs, allow_control=False, folded_keep=None):
    """A YAML stream of the given documents, with random separators."""
    w = Writer(r, allow_control, folded_keep)
    parts = []
    for i, d in enumerate(docs):
        text = w.document(d)
        if i == 0:
            if r.random() < 0.15:
                text = "---\n" + text
        else:
            text = r.choice(["---\n", "---\n", "--- \n", "---\n# next\n"]) + text
        parts.append(text)
    out = "".join(parts)
    if r.random() < 0.05:
        out += "---\n"
    return out
