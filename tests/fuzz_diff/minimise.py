"""Delta reduction of a disagreeing tree: drop files, then YAML blocks (a line
with the lines nested under it), for as long as the same kind of
disagreement remains."""

import os
import shutil

try:
    from . import oracle
except ImportError:
    import oracle


def _indent(line):
    return len(line) - len(line.lstrip(" "))


def _blocks(lines):
    """(start, end) of each line's block: the line and the lines nested under
    it (more indented, blank, or a flush `- ` sequence under a `key:`)."""
    out = []
    for i, ln in enumerate(lines):
        if not ln.strip():
            continue
        ind = _indent(ln)
        is_key = not ln.lstrip().startswith("- ") and ln.rstrip().endswith(":") or ": &" in ln or ln.rstrip().endswith(
            (": |", ": >", ": |-", ": >-", ": |+"))
        j = i + 1
        while j < len(lines):
            nx = lines[j]
            if not nx.strip() or _indent(nx) > ind:
                j += 1
                continue
            if is_key and _indent(nx) == ind and nx.lstrip().startswith("- ") and not ln.lstrip().startswith("- "):
                j += 1
                continue
            break
        out.append((i, j))
    return out


def minimise(files, build_dir, sig, orc, kcompile, tmp, budget=1500):
    """Returns (files, build_dir) of a smaller tree with the same signature
    (oracle.signature: the kind of disagreement and the failing message)."""
    state = {"n": 0}
    root = os.path.join(tmp, "min")

    def still(candidate):
        if state["n"] >= budget:
            return False
        state["n"] += 1
        shutil.rmtree(root, ignore_errors=True)
        oracle.write_tree(root, candidate)
        kc = oracle.run_kcompile(root, build_dir, kcompile)
        res = orc.run(candidate, build_dir)
        return oracle.signature(kc, res) == sig

    files = dict(files)
    changed = True
    while changed and state["n"] < budget:
        changed = False
        for path in sorted(files):
            if os.path.dirname(path) == build_dir and os.path.basename(path).lower().startswith("kustomization"):
                continue
            cand = {p: t for p, t in files.items() if p != path}
            if still(cand):
                files = cand
                changed = True
        for path in sorted(files):
            text = files[path]
            if not isinstance(text, str):
                continue
            lines = text.split("\n")
            i = 0
            while i < len(lines) and state["n"] < budget:
                blocks = [b for b in _blocks(lines) if b[0] >= i]
                if not blocks:
                    break
                s, e = blocks[0]
                cand_lines = lines[:s] + lines[e:]
                cand = dict(files)
                cand[path] = "\n".join(cand_lines)
                if still(cand):
                    lines = cand_lines
                    files = cand
                    changed = True
                    i = s
                else:
                    i = s + 1
    shutil.rmtree(root, ignore_errors=True)
    return files, build_dir
