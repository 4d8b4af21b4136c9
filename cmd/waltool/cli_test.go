package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/waltool/waltool/ops"
	"github.com/waltool/waltool/schema"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden; review the diff")

const fixtureDir = "../../format/testdata/pegasus"

func init() { time.Local = time.UTC } // mlog_dump prints local time

// waltool runs the CLI in-process and returns stdout, stderr, exit status.
func waltool(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(append([]string{"waltool"}, args...), &out, &errb)
	if wantsJSON(args) {
		checkContract(t, args, out.String(), code)
	}
	return out.String(), errb.String(), code
}

// realReplica lays the real Pegasus plog out as replica 1.4's plog
// (the way load_from_private_log_test copies it to log.1.0).
func realReplica(t *testing.T, fixture string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtureDir, fixture))
	if err != nil {
		t.Fatal(err)
	}
	plog := filepath.Join(t.TempDir(), "1.4.pegasus", "plog")
	if err := os.MkdirAll(plog, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(plog, "log.1.0"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	return plog
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if d := cmp.Diff(string(want), got); d != "" {
		t.Errorf("%s (-want +got):\n%s", path, d)
	}
}

func TestDumpRealPlogMatchesMlogDump(t *testing.T) {
	plog := realReplica(t, "log.1.0.handle_real_private_log")
	out, errs, code := waltool(t, "dump", "-d", plog)
	if code != 0 || errs != "" {
		t.Fatalf("exit %d: %s", code, errs)
	}
	out = strings.ReplaceAll(out, plog, "PLOG")
	golden(t, "dump-real-detailed.txt", out)
	// mutation_log_tool::dump's line for the first mutation, by hand.
	first := "mutation [1.4.3.1]: gpid=1.4, ballot=3, decree=1, timestamp=2018-03-14 06:53:50.135, last_committed_decree=0, log_offset=76, log_length=120, update_count=1\n"
	if !strings.HasPrefix(out, first) {
		t.Errorf("first line %q", strings.SplitN(out, "\n", 2)[0])
	}
}

func TestDumpJSONAndFilters(t *testing.T) {
	plog := realReplica(t, "log.1.0.handle_real_private_log")
	out, _, code := waltool(t, "dump", "--json", "-d", "--from-decree", "2", "--to-decree", "5", "--gpid", "1.4", plog)
	if code != 0 {
		t.Fatal(code)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 5 {
		t.Fatalf("%d lines:\n%s", len(lines), out)
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"path", "log_offset", "gpid", "ballot", "decree", "last_committed_decree", "timestamp_us", "updates"} {
		if _, ok := rec[k]; !ok {
			t.Errorf("missing %q in %s", k, lines[0])
		}
	}
	if rec["gpid"] != "1.4" || rec["decree"] != 2.0 || rec["log_offset"] != 196.0 {
		t.Errorf("%s", lines[0])
	}
	u := rec["updates"].([]any)[0].(map[string]any)
	if u["code"] != "RPC_RRDB_RRDB_PUT" || u["bytes"] != 31.0 || u["request"] == nil {
		t.Errorf("update %v", u)
	}
	out, _, _ = waltool(t, "dump", "--json", "--gpid", "9.9", plog)
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 1 || !strings.Contains(lines[0], `"record":"end"`) {
		t.Errorf("gpid filter let through %q", out)
	}
}

func TestDumpBadBlockNamesFileAndOffset(t *testing.T) {
	plog := realReplica(t, "log.1.0.handle_real_private_log")
	p := filepath.Join(plog, "log.1.0")
	b, _ := os.ReadFile(p)
	b[600] ^= 1
	os.WriteFile(p, b, 0o644)
	out, errs, code := waltool(t, "dump", p)
	if code != ops.ExitFindings || strings.Count(out, "\n") != 4 || !strings.Contains(errs, p+": offset 551:") {
		t.Fatalf("exit %d, %d lines, stderr %q", code, strings.Count(out, "\n"), errs)
	}
}

func TestVerifyRealPlog(t *testing.T) {
	plog := realReplica(t, "log.1.0.handle_real_private_log2")
	out, _, code := waltool(t, "verify", "--json", plog)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	var r schema.Verify
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if !r.OK || len(r.Dirs) != 1 || r.Dirs[0].Log != "plog" || r.Dirs[0].Files[0].Status != "ok" || r.Dirs[0].Files[0].Blocks != 4 || len(r.Dirs[0].Gpids) != 1 || r.Dirs[0].Gpids[0].Gpid != "1.4" || r.Dirs[0].Gpids[0].Mutations != 3 {
		t.Fatalf("%+v", r)
	}
}

func TestVerifyExitCodes(t *testing.T) {
	plog := realReplica(t, "log.1.0.handle_real_private_log")
	p := filepath.Join(plog, "log.1.0")
	b, _ := os.ReadFile(p)
	os.WriteFile(p, b[:len(b)-4], 0o644)
	if _, _, code := waltool(t, "verify", plog); code != ops.ExitOK {
		t.Errorf("torn tail: exit %d, want 0", code)
	}
	b[710] ^= 0x40 // in the body of the block at 687 (a flip in its local_offset would go unnoticed, as in Pegasus)
	os.WriteFile(p, b, 0o644)
	out, _, code := waltool(t, "verify", plog)
	if code != ops.ExitFindings || !strings.Contains(out, "offset 687") {
		t.Errorf("bitflip: exit %d\n%s", code, out)
	}
	if _, _, code := waltool(t, "verify", filepath.Join(plog, "nope")); code != ops.ExitUsage {
		t.Errorf("missing path: exit %d", code)
	}
	if _, _, code := waltool(t, "verify"); code != ops.ExitUsage {
		t.Errorf("no args: exit %d", code)
	}
}

// Read-only: nothing under the input changes, not even mtimes.
func TestReadOnlyCommandsTouchNothing(t *testing.T) {
	plog := realReplica(t, "log.1.0.handle_real_private_log")
	p := filepath.Join(plog, "log.1.0")
	b, _ := os.ReadFile(p)
	os.WriteFile(p, b[:10], 0o444) // a damaged header Pegasus would rename to .removed
	before := snapshot(t, filepath.Dir(plog))
	waltool(t, "verify", plog)
	waltool(t, "dump", plog)
	waltool(t, "verify", filepath.Dir(plog))
	if d := cmp.Diff(before, snapshot(t, filepath.Dir(plog))); d != "" {
		t.Fatalf("tree changed:\n%s", d)
	}
}

func snapshot(t *testing.T, dir string) map[string]string {
	m := map[string]string{}
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		m[p] = info.Mode().String() + " " + info.ModTime().String()
		if !info.IsDir() {
			b, _ := os.ReadFile(p)
			m[p] += " " + string(b)
		}
		return nil
	})
	return m
}

// An operator may point at <data_dir>, <data_dir>/replica or the reps dir:
// all find the same replicas.
func TestRootSpellings(t *testing.T) {
	m := genRoot(t, "")
	var counts []int
	for _, p := range []string{m.Root, filepath.Join(m.Root, "replica"), filepath.Join(m.Root, "replica", "reps")} {
		out, errs, code := waltool(t, "verify", "--json", p)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", p, code, errs)
		}
		var r schema.Verify
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatal(err)
		}
		counts = append(counts, len(r.Dirs))
	}
	if counts[0] != counts[1] || counts[1] != counts[2] || counts[0] < 2 {
		t.Fatalf("dirs found: %v", counts)
	}
}

func TestDumpMaxBytes(t *testing.T) {
	plog := realReplica(t, "log.1.0.handle_real_private_log")
	// The first block (60..436) holds decrees 1-3; 436 bytes covers them.
	out, _, code := waltool(t, "dump", "--max-bytes", "436", plog)
	if code != 0 || strings.Count(out, "\n") != 3 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}
