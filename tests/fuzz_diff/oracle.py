"""Talking to the two programs under comparison: the in-process kustomize
oracle (tests/kustomize-oracle, many trees a process) and kcompile (a process
a tree, on the tree written to a temporary directory)."""

import base64
import json
import os
import queue
import re
import shutil
import subprocess
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
ORACLE_SRC = os.path.join(REPO, "tests", "kustomize-oracle")
ORACLE_BIN = os.path.join(REPO, "target", "kustomize-oracle", "kustomize-oracle")
KCOMPILE_BIN = os.path.join(REPO, "target", "release", "kcompile")


def build_oracle(out=ORACLE_BIN):
    """Builds the oracle (Go, modules pinned to kubectl v1.32.4's) unless it is
    newer than its sources. Returns the binary path; raises if Go is missing."""
    srcs = [os.path.join(ORACLE_SRC, f) for f in ("main.go", "go.mod", "go.sum")]
    if os.path.exists(out) and all(os.path.getmtime(out) >= os.path.getmtime(s) for s in srcs):
        return out
    go = shutil.which("go") or ("/usr/local/go/bin/go" if os.path.exists("/usr/local/go/bin/go") else None)
    if not go:
        raise FileNotFoundError("go not found (needed to build the kustomize oracle)")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    env = dict(os.environ)
    env.setdefault("GOFLAGS", "-mod=readonly")
    subprocess.run([go, "build", "-trimpath", "-o", out, "."], cwd=ORACLE_SRC, check=True, env=env)
    return out


class Oracle:
    """A long-lived oracle process; `submit` queues trees, `result` returns
    their answers in order."""

    def __init__(self, path=ORACLE_BIN, gomaxprocs=None):
        env = dict(os.environ)
        if gomaxprocs:
            env["GOMAXPROCS"] = str(gomaxprocs)
        self.p = subprocess.Popen([path], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env,
                                  stderr=subprocess.DEVNULL)
        self.out = queue.Queue()
        self.inq = queue.Queue()
        threading.Thread(target=self._reader, daemon=True).start()
        threading.Thread(target=self._writer, daemon=True).start()

    def _writer(self):
        while True:
            line = self.inq.get()
            if line is None:
                break
            try:
                self.p.stdin.write(line)
                self.p.stdin.flush()
            except BrokenPipeError:
                break

    def _reader(self):
        for line in self.p.stdout:
            self.out.put(json.loads(line))
        self.out.put(None)

    def submit(self, rid, files, build_dir, dirs=()):
        text = {p: c for p, c in files.items() if isinstance(c, str)}
        req = {"id": rid, "dir": build_dir, "files": text}
        if len(text) != len(files):
            req["bin"] = {p: base64.b64encode(c).decode() for p, c in files.items() if not isinstance(c, str)}
        if dirs:
            req["dirs"] = list(dirs)
        self.inq.put((json.dumps(req) + "\n").encode())

    def result(self, timeout=120):
        res = self.out.get(timeout=timeout)
        if res is None:
            raise RuntimeError("kustomize oracle exited")
        return res

    def run(self, files, build_dir, dirs=()):
        self.submit("one", files, build_dir, dirs)
        return self.result()

    def close(self):
        self.inq.put(None)
        try:
            self.p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.p.kill()


def write_tree(root, files, dirs=()):
    for d in dirs:
        os.makedirs(os.path.join(root, d), exist_ok=True)
    for rel, text in files.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(text if isinstance(text, bytes) else text.encode("utf-8"))


def run_kcompile(root, build_dir, binary=KCOMPILE_BIN, timeout=20):
    """(exit code, stdout, stderr) of kcompile on root/build_dir; exit None on timeout."""
    try:
        p = subprocess.run([binary, os.path.join(root, build_dir)], capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, b"", b"timeout"
    return p.returncode, p.stdout, p.stderr


def _normalise(msg):
    """An error message with its particulars (paths, quoted names, numbers)
    taken out, so two failures for the same cause compare equal."""
    line = msg.strip().split("\n")[0] if msg.strip() else ""
    line = re.sub(r"`[^`]*`|'[^']*'|\"[^\"]*\"", "Q", line)
    line = re.sub(r" in namespace \S+", "", line)
    line = re.sub(r"\S*/\S*", "P", line)
    line = re.sub(r"[0-9]+", "N", line)
    return line[:160]


def signature(kc, orc):
    """The verdict plus the failing side's normalised message: what the
    minimiser must keep while it shrinks a tree."""
    v = verdict(kc, orc)
    if v == "kcompile-fails":
        return v + ": " + _normalise(kc[2].decode("utf-8", "replace"))
    if v == "kcompile-accepts":
        return v + ": " + _normalise(orc.get("err", ""))
    if v == "output-differs":
        # The first line that differs, on both sides: keeps the minimiser on
        # the same difference rather than any difference.
        ours = kc[1].decode("utf-8", "replace").split("\n")
        theirs = oracle_output(orc).decode("utf-8", "replace").split("\n")
        for i in range(max(len(ours), len(theirs))):
            a = ours[i] if i < len(ours) else "<end>"
            b = theirs[i] if i < len(theirs) else "<end>"
            if a != b:
                return "%s: %s | %s" % (v, a.strip()[:80], b.strip()[:80])
    return v


def verdict(kc, orc):
    """Compares kcompile's (code, out, err) with the oracle's answer.
    Returns None when they agree, else the kind of disagreement."""
    code, out, _ = kc
    if code not in (0, 2):
        return "kcompile-crash"
    if code == 2 and out:
        return "kcompile-error-with-output"
    if orc["ok"]:
        if code != 0:
            return "kcompile-fails"
        if out != oracle_output(orc):
            return "output-differs"
        return None
    if code == 0:
        return "kcompile-accepts"
    return None


def oracle_output(res):
    """The bytes the oracle printed."""
    if "out_bin" in res:
        return base64.b64decode(res["out_bin"])
    return res.get("out", "").encode("utf-8")
