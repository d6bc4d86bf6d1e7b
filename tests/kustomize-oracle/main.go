// kustomize-oracle runs the kustomize build command of kubectl v1.32
// (sigs.k8s.io/kustomize/kustomize/v5 v5.5.0, the exact package kubectl's
// `kustomize` subcommand wraps) on many trees in one process, each on an
// in-memory filesystem, so a differential fuzzer pays no process start per tree.
//
// Input (stdin): one JSON object a line: {"id": "...", "dir": "overlay",
// "files": {"relative/path": "text", ...}, "dirs": ["empty/dir", ...]}. Output (stdout): one JSON object a
// line, in input order: {"id": "...", "ok": true, "out": "yaml"} or
// {"id": "...", "ok": false, "err": "message"}.
//
// With -dir DIR it instead builds DIR on disk and prints exactly what
// `kubectl kustomize DIR` prints (used to prove the two agree).
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"sort"
	"unicode/utf8"

	"sigs.k8s.io/kustomize/kustomize/v5/commands/build"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/kustomize/kyaml/openapi"
)

type request struct {
	ID    string            `json:"id"`
	Dir   string            `json:"dir"`
	Files map[string]string `json:"files"`
	// Bin holds files that are not UTF-8 text (base64 in JSON).
	Bin map[string][]byte `json:"bin"`
	// Dirs are extra (empty) directories to create.
	Dirs []string `json:"dirs"`
}

type response struct {
	ID  string `json:"id"`
	OK  bool   `json:"ok"`
	Out string `json:"out,omitempty"`
	// OutBin carries output that is not valid UTF-8 (JSON strings cannot).
	OutBin []byte `json:"out_bin,omitempty"`
	Err    string `json:"err,omitempty"`
}

// root is where trees live in the in-memory filesystem.
const root = "/tree"

// run executes the build command as kubectl does: a fresh cobra command per
// build (the command's flags are package globals, reset to their defaults
// each time the command is made).
// defaultSchema is the OpenAPI schema version a new process starts with.
var defaultSchema = openapi.GetSchemaVersion()

func run(fSys filesys.FileSystem, dir string) (string, error) {
	// kyaml keeps the OpenAPI schema in process-wide state, and a build
	// without an `openapi` field does not clear a custom schema an earlier
	// build set: after such a build, go back to the state a new kubectl
	// process has. (Resetting every time would re-parse the builtin schema,
	// most of kubectl's 150 ms.)
	defer func() {
		if openapi.GetSchemaVersion() != defaultSchema {
			openapi.ResetOpenAPI()
		}
	}()
	var out bytes.Buffer
	cmd := build.NewCmdBuild(fSys, build.MakeHelp("kubectl", "kustomize"), &out)
	cmd.SetArgs([]string{dir})
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	cmd.SilenceErrors = true
	if err := cmd.Execute(); err != nil {
		return "", err
	}
	return out.String(), nil
}

func buildOne(req request) (resp response) {
	resp.ID = req.ID
	defer func() {
		// A panic in kustomize is kubectl crashing: a failure, as kubectl exits non-zero.
		if r := recover(); r != nil {
			resp.OK = false
			resp.Out = ""
			resp.Err = fmt.Sprintf("panic: %v", r)
		}
	}()
	fSys := filesys.MakeFsInMemory()
	for _, d := range req.Dirs {
		if err := fSys.MkdirAll(filepath.Join(root, d)); err != nil {
			resp.Err = "oracle: mkdir " + d + ": " + err.Error()
			return
		}
	}
	contents := make(map[string][]byte, len(req.Files)+len(req.Bin))
	for p, text := range req.Files {
		contents[p] = []byte(text)
	}
	for p, data := range req.Bin {
		contents[p] = data
	}
	paths := make([]string, 0, len(contents))
	for p := range contents {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		full := filepath.Join(root, p)
		if err := fSys.MkdirAll(filepath.Dir(full)); err != nil {
			resp.Err = "oracle: mkdir " + p + ": " + err.Error()
			return
		}
		if err := fSys.WriteFile(full, contents[p]); err != nil {
			resp.Err = "oracle: write " + p + ": " + err.Error()
			return
		}
	}
	out, err := run(fSys, filepath.Join(root, req.Dir))
	if err != nil {
		resp.Err = err.Error()
		return
	}
	resp.OK = true
	if utf8.ValidString(out) {
		resp.Out = out
	} else {
		resp.OutBin = []byte(out)
	}
	return
}

func main() {
	dir := flag.String("dir", "", "build this directory on disk and print the YAML (as kubectl kustomize)")
	flag.Parse()
	// kustomize logs deprecation warnings through the standard logger; keep them
	// off stdout, which carries results.
	log.SetOutput(os.Stderr)
	if *dir != "" {
		out, err := run(filesys.MakeFsOnDisk(), *dir)
		if err != nil {
			fmt.Fprintf(os.Stderr, "error: %v\n", err)
			os.Exit(1)
		}
		os.Stdout.WriteString(out)
		return
	}
	in := bufio.NewReaderSize(os.Stdin, 1<<20)
	w := bufio.NewWriterSize(os.Stdout, 1<<20)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	dec := json.NewDecoder(in)
	for {
		var req request
		if err := dec.Decode(&req); err == io.EOF {
			break
		} else if err != nil {
			fmt.Fprintf(os.Stderr, "oracle: bad request: %v\n", err)
			os.Exit(3)
		}
		if err := enc.Encode(buildOne(req)); err != nil {
			fmt.Fprintf(os.Stderr, "oracle: write: %v\n", err)
			os.Exit(3)
		}
		// One result per request, flushed at once, so a caller can stream.
		if err := w.Flush(); err != nil {
			os.Exit(3)
		}
	}
}
