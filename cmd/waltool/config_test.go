package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/waltool/waltool/fixtures"
	"github.com/waltool/waltool/ops"
	"github.com/waltool/waltool/schema"
)

// writeConfig writes the generated root's config.ini beside it.
func writeConfig(t *testing.T, m *fixtures.Manifest) string {
	t.Helper()
	p := filepath.Join(filepath.Dir(m.Root), "config.ini")
	if err := os.WriteFile(p, []byte(fixtures.ServerConfigINI(m)), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// --config with --cargs: the root, the slog dir and the data dirs come
// from the server's config.ini (replication_options::initialize, as
// dataroot.ServerDirs mirrors it), and the reports say so, in text and
// JSON. A template with unfilled %{...} is refused (exit 2).
func TestReplayAndVerifyFromConfig(t *testing.T) {
	m := genRoot(t, "")
	cfg := writeConfig(t, m)
	out, errs, code := waltool(t, "replay", "--json", "--config", cfg, "--cargs", "app.dir="+m.Root)
	var r struct {
		OK         bool              `json:"ok"`
		ServerDirs schema.ServerDirs `json:"server_dirs"`
		Orphans    []any             `json:"orphans"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err, out, errs)
	}
	if code != 0 || !r.OK || len(r.Orphans) != 0 || r.ServerDirs.SlogDir.Source != "config" || r.ServerDirs.Root.Source != "config" ||
		len(r.ServerDirs.DataDirs) != 2 || r.ServerDirs.DataDirs[1].Tag != "disk2" || r.ServerDirs.DataDirs[1].Source != "config" {
		t.Fatalf("exit %d: %+v %s", code, r.ServerDirs, errs)
	}
	out, _, code = waltool(t, "verify", "--config", cfg, "--cargs", "app.dir="+m.Root)
	if code != 0 || !strings.HasPrefix(out, "dirs: root "+m.Root+" (config: "+cfg+":") || !strings.Contains(out, "data disk2:"+m.Root+"/disk2/replica/reps (config: ") {
		t.Fatalf("verify exit %d:\n%s", code, out)
	}
	// A PATH with --config is the [core] data_dir; the config's keys apply.
	if out, _, code := waltool(t, "replay", "--server-version", "2.6", "--config", cfg, "--cargs", "app.dir="+m.Root, m.Root); code != ops.ExitFindings || !strings.Contains(out, "LOSES") {
		t.Fatalf("2.6 exit %d:\n%s", code, out)
	}
	if _, errs, code := waltool(t, "replay", "--config", cfg); code != ops.ExitUsage || !strings.Contains(errs, "%{app.dir}") {
		t.Fatalf("unfilled template: exit %d: %s", code, errs)
	}
}

// Issue 9: `replay --server-version 2.6 --slog-dir /nonexistent ROOT`
// printed "nothing is lost" and exited 0, and `--slog-dir sx` (the value
// of [replication] slog_dir, meaning sx/replica/slog) read sx itself.
// Now --slog-dir has the config's meaning, and a slog not found is exit 1
// naming the dir looked for and how to point elsewhere; --no-slog states
// there is none.
func TestReplayWithoutTheSlogIsNotSafe(t *testing.T) {
	m := genRoot(t, "")
	nonexistent := filepath.Join(t.TempDir(), "nonexistent")
	for _, v := range []string{"2.4", "2.6"} {
		out, _, code := waltool(t, "replay", "--server-version", v, "--data-dirs", m.DataDirs, "--slog-dir", nonexistent, m.Root)
		if code != ops.ExitFindings || strings.Contains(out, "OK:") || !strings.Contains(out, nonexistent+"/replica/slog") || !strings.Contains(out, "--no-slog") {
			t.Fatalf("%s: exit %d:\n%s", v, code, out)
		}
	}
	// The slog moved to sx/replica/slog: --slog-dir sx finds it again.
	sx := filepath.Join(t.TempDir(), "sx")
	if err := os.MkdirAll(filepath.Join(sx, "replica"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(m.SlogDir, filepath.Join(sx, "replica", "slog")); err != nil {
		t.Fatal(err)
	}
	if out, _, code := waltool(t, "replay", "--server-version", "2.6", "--data-dirs", m.DataDirs, m.Root); code != ops.ExitFindings || !strings.Contains(out, "NO SLOG READ") {
		t.Fatalf("moved slog: exit %d:\n%s", code, out)
	}
	out, _, code := waltool(t, "replay", "--server-version", "2.6", "--data-dirs", m.DataDirs, "--slog-dir", sx, m.Root)
	if code != ops.ExitFindings || !strings.Contains(out, "LOSES") || strings.Contains(out, "NO SLOG READ") {
		t.Fatalf("--slog-dir sx: exit %d:\n%s", code, out)
	}
	if out, _, code := waltool(t, "replay", "--data-dirs", m.DataDirs, "--slog-dir", sx, m.Root); code != 0 {
		t.Fatalf("2.4 with the slog: exit %d:\n%s", code, out)
	}
	// The operator states there is no slog: the plogs alone are the answer.
	if out, _, code := waltool(t, "replay", "--server-version", "2.6", "--data-dirs", m.DataDirs, "--no-slog", m.Root); code != 0 || !strings.Contains(out, "--no-slog") {
		t.Fatalf("--no-slog: exit %d:\n%s", code, out)
	}
}

// Issue 9: a mistyped --data-dirs entry was accepted silently. Now it is a
// finding on every command, and the orphans say a data dir may be missing.
func TestMistypedDataDirsEntry(t *testing.T) {
	m := genRoot(t, "")
	typo := strings.Replace(m.DataDirs, "/disk2", "/diskTYPO", 1)
	out, _, code := waltool(t, "replay", "--data-dirs", typo, m.Root)
	if code != ops.ExitFindings || !strings.Contains(out, "diskTYPO/replica/reps (flag: --data-dirs) MISSING") ||
		!strings.Contains(out, "data dir does not exist") || !strings.Contains(out, "orphan gpids have no replica dir here") ||
		!strings.Contains(out, "1 of 2 data dirs") {
		t.Fatalf("replay exit %d:\n%s", code, out)
	}
	if out, _, code := waltool(t, "verify", "--data-dirs", typo, m.Root); code != ops.ExitFindings || !strings.Contains(out, "data dir does not exist") {
		t.Fatalf("verify exit %d:\n%s", code, out)
	}
	if _, errs, code := waltool(t, "dump", "--data-dirs", typo, m.Root); code != ops.ExitFindings || !strings.Contains(errs, "data dir does not exist") {
		t.Fatalf("dump exit %d:\n%s", code, errs)
	}
}

// A slog dir that is a symlink loop, and a plog that is a regular file:
// verify and replay said OK.
func TestOddSlogAndPlogAreFindings(t *testing.T) {
	m := genRoot(t, "")
	if err := os.RemoveAll(m.SlogDir); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(m.SlogDir, m.SlogDir); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"verify", "replay"} {
		out, _, code := waltool(t, cmd, "--data-dirs", m.DataDirs, m.Root)
		if code != ops.ExitFindings || !strings.Contains(out, "slog path is a symlink loop") {
			t.Fatalf("%s, slog a loop: exit %d:\n%s", cmd, code, out)
		}
	}
	os.Remove(m.SlogDir)
	plog := filepath.Join(m.Root, "replica", "reps", m.Replicas[0].Gpid.String()+".pegasus", "plog")
	if err := os.RemoveAll(plog); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(plog, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _, code := waltool(t, "verify", "--data-dirs", m.DataDirs, "--no-slog", m.Root)
	if code != ops.ExitFindings || !strings.Contains(out, plog+": plog is not a directory") {
		t.Fatalf("verify, plog a file: exit %d:\n%s", code, out)
	}
}

// The demo answers the operator's question from a config.ini and runs
// no write benchmark; every step's exit status is checked by the demo.
func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("generates two roots")
	}
	out, errs, code := waltool(t, "demo")
	if code != 0 || !strings.Contains(out, "--config") || strings.Contains(out, "bench write") || !strings.Contains(out, "every step behaved as expected") {
		t.Fatalf("exit %d: %s\n%s", code, errs, out)
	}
}
