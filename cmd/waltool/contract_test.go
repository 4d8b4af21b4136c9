package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/waltool/waltool/internal/clikit"
	"github.com/waltool/waltool/internal/schematest"
	"github.com/waltool/waltool/rootlock"
	"github.com/waltool/waltool/schema"
)

// checkContract holds what a command printed with --json to the machine
// contract (docs/json.md): one document, or a stream of lines ending with
// one end line; each valid against the command's JSON Schema and the
// vocabulary; its ok and exit_status the process's exit status. Every
// test that runs a command with --json (the waltool helper) checks it.
func checkContract(t *testing.T, args []string, stdout string, code int) {
	t.Helper()
	command := clikit.CommandOf(newApp(nil, nil), append([]string{"waltool"}, args...))
	if command == "" {
		command = "verify" // any schema takes an error document with no command
	}
	var docs []string
	if streams(command, args) {
		docs = strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	} else {
		docs = []string{stdout}
		var v any
		dec := json.NewDecoder(strings.NewReader(stdout))
		if err := dec.Decode(&v); err != nil || dec.More() {
			t.Errorf("waltool %s: stdout is not one JSON document (%v):\n%s", strings.Join(args, " "), err, stdout)
			return
		}
	}
	for i, d := range docs {
		if err := schematest.Check(command, []byte(d)); err != nil {
			t.Errorf("waltool %s: line %d breaks the contract: %v\n%s", strings.Join(args, " "), i+1, err, clip(d))
		}
	}
	var last struct {
		Record     string `json:"record"`
		OK         bool   `json:"ok"`
		ExitStatus int    `json:"exit_status"`
		Command    string `json:"command"`
	}
	if err := json.Unmarshal([]byte(docs[len(docs)-1]), &last); err != nil {
		t.Errorf("waltool %s: last line: %v", strings.Join(args, " "), err)
		return
	}
	if streams(command, args) && last.Record != schema.RecordEnd {
		t.Errorf("waltool %s: the stream does not end with an end line", strings.Join(args, " "))
	}
	if last.ExitStatus != code || last.OK != (code == 0) {
		t.Errorf("waltool %s: exit %d, but the document says exit_status %d ok %v", strings.Join(args, " "), code, last.ExitStatus, last.OK)
	}
	if last.Command != "" && last.Command != command {
		t.Errorf("waltool %s: command %q, want %q", strings.Join(args, " "), last.Command, command)
	}
}

func clip(s string) string {
	if len(s) > 2000 {
		return s[:2000] + "..."
	}
	return s
}

// errorOf decodes a document's error.
func errorOf(t *testing.T, out string) schema.Error {
	t.Helper()
	var d struct {
		Error *schema.Error `json:"error"`
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &d); err != nil && json.Unmarshal([]byte(out), &d) != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if d.Error == nil {
		t.Fatalf("no error in:\n%s", out)
	}
	return *d.Error
}

// Every exit path prints one document under --json: a usage error, an
// I/O error and an interruption too, with ok false, the exit status, and
// an error naming its kind and, where there is one, the path.
func TestJSONErrorsAreDocuments(t *testing.T) {
	root := smallRoot(t)
	for _, c := range []struct {
		name string
		args []string
		code int
		kind string
		path string
	}{
		{"unknown flag", []string{"verify", "--bogus", "--json", root}, exitUsage, "usage", ""},
		{"unknown command", []string{"bogus", "--json"}, exitUsage, "usage", ""},
		{"no such path", []string{"verify", "--json", "/nonexistent/waltool"}, exitUsage, "failure", "/nonexistent/waltool"},
		{"bad version", []string{"replay", "--json", "--server-version", "9.9", root}, exitUsage, "usage", ""},
		{"dump bad gpid", []string{"dump", "--json", "--gpid", "x", root}, exitUsage, "usage", ""},
		{"emit no such replica", []string{"replay", "--json", "--emit", "9.9", root}, exitUsage, "usage", ""},
		{"migrate not a root", []string{"migrate", "status", "--json", filepath.Join(root, "replica", "slog")}, exitUsage, "usage", ""},
		{"rollback without a run", []string{"migrate", "rollback", "--json", root}, exitUsage, "failure", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, _, code := waltool(t, c.args...)
			if code != c.code {
				t.Fatalf("exit %d, want %d\n%s", code, c.code, out)
			}
			e := errorOf(t, out)
			if e.Kind != c.kind || e.Message == "" || c.path != "" && e.Path != c.path {
				t.Errorf("error %+v, want kind %s path %q", e, c.kind, c.path)
			}
		})
	}
	t.Run("interrupted", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		var out, errb strings.Builder
		args := []string{"verify", "--json", root}
		code := runContext(ctx, append([]string{"waltool"}, args...), &out, &errb)
		if code != exitInterrupted {
			t.Fatalf("exit %d, want 130", code)
		}
		checkContract(t, args, out.String(), code)
		if e := errorOf(t, out.String()); e.Kind != "interrupted" {
			t.Errorf("error %+v", e)
		}
	})
}

// A stream (dump --json, replay --emit --json) ends with one end line
// carrying the verdict and the counts; damage met on the way is a finding
// line, and an error ends the stream with the error.
func TestJSONStreamsEndWithTheirVerdict(t *testing.T) {
	m := genRoot(t, "bitflip")
	out, _, code := waltool(t, "dump", "--json", "-d", "--data-dirs", m.DataDirs, m.Root)
	if code != exitFindings {
		t.Fatalf("dump of a damaged root: exit %d", code)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var findings int
	for _, l := range lines {
		var r schema.FindingLine
		json.Unmarshal([]byte(l), &r)
		if r.Record == schema.RecordFinding {
			findings++
			if r.Finding.Path != m.Corruption.File || r.Finding.Offset == nil || *r.Finding.Offset != m.Corruption.Offset {
				t.Errorf("finding %+v, the generator damaged %s at %d", r.Finding, m.Corruption.File, m.Corruption.Offset)
			}
		}
	}
	var end schema.End
	json.Unmarshal([]byte(lines[len(lines)-1]), &end)
	if findings != 1 || end.OK || end.Reason == "" || end.Mutations == 0 || end.FileCount == 0 {
		t.Errorf("%d finding lines; end %+v", findings, end)
	}

	// A file that disappears between listing and reading ends the stream
	// with the error.
	out, _, code = waltool(t, "dump", "--json", "--gpid", "1.0", filepath.Join(m.Root, "nope"))
	if code != exitUsage || errorOf(t, out).Path == "" {
		t.Errorf("exit %d:\n%s", code, out)
	}
}

// The contract over generated roots, clean, damaged and with dirs
// missing, for every read-only command and the dry runs; the waltool
// helper checks each document (checkContract).
func TestJSONContractReadOnlyCommands(t *testing.T) {
	clean := genRoot(t, "")
	roots := map[string]*struct{ dd []string }{}
	roots["clean"] = &struct{ dd []string }{[]string{"--data-dirs", clean.DataDirs, clean.Root}}
	roots["one data dir missing"] = &struct{ dd []string }{[]string{clean.Root}}
	roots["slog elsewhere"] = &struct{ dd []string }{[]string{"--slog-dir", t.TempDir(), "--data-dirs", clean.DataDirs, clean.Root}}
	for _, mode := range []string{"bitflip", "torn-tail", "bad-header", "zero-tail"} {
		m := genRoot(t, mode)
		roots[mode] = &struct{ dd []string }{[]string{"--data-dirs", m.DataDirs, m.Root}}
	}
	for name, r := range roots {
		t.Run(name, func(t *testing.T) {
			for _, cmd := range [][]string{
				{"verify"}, {"replay"}, {"replay", "--server-version", "2.3"}, {"replay", "--server-version", "2.6"},
				{"replay", "--emit", "1.0", "-d"}, {"dump", "-d"}, {"gc", "--log", "all"}, {"gc", "--rule", "2.5", "--check"},
				{"gc", "--server-version", "2.6", "--log", "all"}, {"migrate", "upgrade"}, {"migrate", "upgrade", "--rebalance"},
				{"migrate", "status"}, {"bench", "ceiling"},
			} {
				waltool(t, append(append(cmd, "--json"), r.dd...)...)
			}
		})
	}
	// A log file, a log dir and a replica dir as PATH.
	rep := filepath.Join(clean.Root, "replica", "reps", "1.0.pegasus")
	waltool(t, "verify", "--json", filepath.Join(rep, "plog", "log.1.0"), filepath.Join(rep, "plog"), rep)
	waltool(t, "replay", "--json", "--no-slog", rep)
	waltool(t, "fixtures", "gen", "--json", "--out", filepath.Join(t.TempDir(), "g"), "--mutations", "50", "--corrupt", "bitflip")
}

// The contract over every run that writes: gc --apply, migrate upgrade
// --apply, status, resume, rollback, downgrade, and their refusals.
func TestJSONContractWritingCommands(t *testing.T) {
	m := genRoot(t, "")
	dd := []string{"--data-dirs", m.DataDirs, m.Root}
	run := func(code int, args ...string) string {
		t.Helper()
		out, errs, got := waltool(t, append(append(args, "--json"), dd...)...)
		if got != code {
			t.Fatalf("waltool %v: exit %d, want %d\n%s%s", args, got, code, out, errs)
		}
		return out
	}
	run(exitOK, "gc", "--apply", "--log", "plog")
	run(exitUsage, "migrate", "rollback")
	run(exitOK, "migrate", "upgrade", "--apply", "--rebalance")
	run(exitOK, "migrate", "status")
	run(exitOK, "migrate", "resume")
	run(exitOK, "migrate", "downgrade", "--to", "2.3")
	run(exitOK, "migrate", "downgrade", "--to", "2.4", "--restore-slog-archive")
	run(exitOK, "migrate", "rollback")
	run(exitOK, "migrate", "status")

	// Refused: the lock is held; the root is damaged.
	l, err := rootlock.Acquire(m.Root, "waltool migrate upgrade")
	if err != nil {
		t.Fatal(err)
	}
	run(exitUsage, "gc", "--apply")
	run(exitUsage, "migrate", "upgrade", "--apply")
	l.Release()
	// A slog of another server: the 2.4 replay aborts; a refusal document.
	other := smallRoot(t)
	if out, _, code := waltool(t, "migrate", "upgrade", "--json", "--slog-dir", other, "--data-dirs", m.DataDirs, m.Root); code != exitFindings || !strings.Contains(out, `"findings"`) {
		t.Errorf("crossed roots: exit %d:\n%s", code, clip(out))
	}
	bad := genRoot(t, "bad-header")
	out, _, code := waltool(t, "migrate", "upgrade", "--apply", "--json", "--data-dirs", bad.DataDirs, bad.Root)
	if code == exitOK {
		t.Errorf("a damaged root was upgraded:\n%s", out)
	}
}

// `waltool schema` lists a schema per command that prints JSON, and
// prints each file as the tests read it.
func TestSchemaCommand(t *testing.T) {
	out, _, code := waltool(t, "schema")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"verify", "dump", "replay", "gc", "migrate upgrade", "migrate downgrade", "migrate resume",
		"migrate rollback", "migrate status", "fixtures gen", "bench ceiling", "bench verify", "bench replay", "bench write", "defs", "vocabulary"} {
		if !strings.Contains("\n"+out, "\n"+want+"\n") {
			t.Errorf("waltool schema does not list %q:\n%s", want, out)
		}
	}
	out, _, code = waltool(t, "schema", "migrate", "upgrade")
	var s map[string]any
	if err := json.Unmarshal([]byte(out), &s); err != nil || code != 0 || s["$id"] != schematest.Base+"migrate-upgrade.schema.json" {
		t.Errorf("exit %d, %v: %.200s", code, err, out)
	}
	if _, _, code := waltool(t, "schema", "nope"); code != exitUsage {
		t.Errorf("unknown schema: exit %d", code)
	}
}

// Help is text, even with --json.
func TestHelpIsNeverADocument(t *testing.T) {
	for _, args := range [][]string{{"verify", "--help", "--json"}, {"help", "gc", "--json"}, {"--version"}} {
		out, _, code := waltool(t, args...)
		if code != exitOK || strings.HasPrefix(strings.TrimSpace(out), "{") || strings.Contains(out, `"schema"`) {
			t.Errorf("waltool %v: exit %d:\n%s", args, code, out)
		}
	}
}

// replay --emit of a replica the server refuses printed its plog's
// mutations as committed, with no finding and no reason. A refused replica
// recovers nothing: the stream holds its findings and ends with why.
func TestEmitOfARefusedReplicaPrintsNoStream(t *testing.T) {
	m := genRoot(t, "bitflip")
	var g string
	for _, r := range m.Replicas {
		if strings.HasPrefix(m.Corruption.File, r.Dir+"/") {
			g = r.Gpid.String()
		}
	}
	out, _, code := waltool(t, "replay", "--json", "--emit", g, "--data-dirs", m.DataDirs, m.Root)
	if code != exitFindings || strings.Contains(out, `"record":"mutation"`) || !strings.Contains(out, `"record":"finding"`) {
		t.Fatalf("--emit %s of a refused replica: exit %d:\n%s", g, code, clip(out))
	}
	var end schema.End
	lines := strings.Split(strings.TrimSpace(out), "\n")
	json.Unmarshal([]byte(lines[len(lines)-1]), &end)
	if end.Reason == "" || end.FileCount == 0 || end.Mutations == 0 || end.Printed != 0 {
		t.Errorf("end line %+v", end)
	}
	// Under 2.6 a clean root loses its slog-only writes: the stream of a
	// replica is printed, and the end says why the root is not safe.
	clean := genRoot(t, "")
	out, _, code = waltool(t, "replay", "--json", "--server-version", "2.6", "--emit", "1.0", "--data-dirs", clean.DataDirs, clean.Root)
	lines = strings.Split(strings.TrimSpace(out), "\n")
	end = schema.End{}
	json.Unmarshal([]byte(lines[len(lines)-1]), &end)
	if code != exitFindings || end.Reason == "" || end.Printed == 0 {
		t.Errorf("2.6: exit %d, end %+v", code, end)
	}
}
