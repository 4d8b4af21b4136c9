package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/waltool/waltool/fixtures"
	"github.com/waltool/waltool/schema"
)

func genRoot(t *testing.T, corrupt string) *fixtures.Manifest {
	t.Helper()
	out := filepath.Join(t.TempDir(), "root")
	args := []string{"fixtures", "gen", "--out", out, "--seed", "3", "--apps", "2", "--replicas", "2",
		"--mutations", "600", "--disks", "2", "--slog-file-size", "32768"}
	if corrupt != "" {
		args = append(args, "--corrupt", corrupt)
	}
	_, errs, code := waltool(t, args...)
	if code != 0 {
		t.Fatalf("gen: exit %d: %s", code, errs)
	}
	m, err := fixtures.ReadManifest(out)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// Every damage the generator can do is found by verify on the whole root,
// at the file and offset the generator recorded, with the class Pegasus
// gives it, and the exit status follows the class.
func TestVerifyFindsEveryGeneratedDamage(t *testing.T) {
	clean := genRoot(t, "")
	out, errs, code := waltool(t, "verify", "--json", "--data-dirs", clean.DataDirs, clean.Root)
	if code != 0 {
		t.Fatalf("clean root: exit %d\n%s\n%s", code, out, errs)
	}
	for _, mode := range fixtures.CorruptModes() {
		if mode == "" {
			continue
		}
		t.Run(mode, func(t *testing.T) {
			m := genRoot(t, mode)
			out, _, code := waltool(t, "verify", "--json", "--data-dirs", m.DataDirs, m.Root)
			var r schema.Verify
			if err := json.Unmarshal([]byte(out), &r); err != nil {
				t.Fatal(err)
			}
			wantCode := exitFindings
			if m.Corruption.ExpectedClass == "torn-tail" {
				wantCode = exitOK
			}
			if code != wantCode || r.OK != (wantCode == exitOK) {
				t.Errorf("exit %d ok %v, want exit %d for a %s", code, r.OK, wantCode, m.Corruption.ExpectedClass)
			}
			found := false
			for _, d := range r.Dirs {
				for _, f := range d.Files {
					if f.Path == m.Corruption.File {
						found = true
						if f.Status != m.Corruption.ExpectedClass || f.Damage == nil || f.Damage.Offset == nil || *f.Damage.Offset != m.Corruption.Offset ||
							f.Damage.Class != f.Status || f.Damage.Message == "" {
							t.Errorf("%s: status %s, damage %+v; generator says %s at %d", f.Path, f.Status, f.Damage, m.Corruption.ExpectedClass, m.Corruption.Offset)
						}
					} else if f.Status != "ok" {
						t.Errorf("undamaged %s reported %s", f.Path, f.Status)
					}
				}
			}
			if !found {
				t.Errorf("damaged file %s not verified", m.Corruption.File)
			}
		})
	}
}

// replay on a generated root: 2.4 recovers everything, 2.6 loses the
// slog-only tails, and --emit streams one replica in commit order.
func TestReplayCommand(t *testing.T) {
	m := genRoot(t, "")
	out, _, code := waltool(t, "replay", "--json", "--data-dirs", m.DataDirs, m.Root)
	var r struct {
		ServerVersion string `json:"server_version"`
		OK            bool   `json:"ok"`
		Replicas      []struct {
			Gpid             string `json:"gpid"`
			AppendedFromSlog int64  `json:"appended_from_slog"`
			CommittedDecree  int64  `json:"committed_decree"`
		} `json:"replicas"`
		Orphans []any `json:"orphans"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err, out)
	}
	if code != 0 || !r.OK || r.ServerVersion != "2.4" || len(r.Replicas) != len(m.Replicas) || r.Orphans == nil {
		t.Fatalf("exit %d: %s", code, out)
	}
	if _, _, code := waltool(t, "replay", "--server-version", "2.6", "--data-dirs", m.DataDirs, m.Root); code != exitFindings {
		t.Errorf("2.6: exit %d, want 1 (slog-only tails lost)", code)
	}
	g := m.Replicas[0].Gpid.String()
	out, _, code = waltool(t, "replay", "--emit", g, "--json", "--data-dirs", m.DataDirs, m.Root)
	if code != 0 {
		t.Fatal(code)
	}
	var prev int64
	lines := 0
	for _, line := range splitLines(out) {
		if strings.Contains(line, `"record":"end"`) {
			continue
		}
		var rec struct {
			Gpid      string `json:"gpid"`
			Decree    int64  `json:"decree"`
			Committed bool   `json:"committed"`
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatal(err)
		}
		if rec.Gpid != g || rec.Decree <= prev {
			t.Fatalf("emitted %+v after decree %d", rec, prev)
		}
		prev = rec.Decree
		lines++
	}
	if lines == 0 || prev < r.Replicas[0].CommittedDecree {
		t.Errorf("emitted %d mutations up to %d; committed decree %d", lines, prev, r.Replicas[0].CommittedDecree)
	}
	if _, _, code := waltool(t, "replay", "--server-version", "3.0", m.Root); code != exitUsage {
		t.Errorf("bad version: exit %d", code)
	}
}

func splitLines(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return out
}

// Issue 9: dumping a data root printed a mutation held by both the slog
// and a plog twice, with nothing saying which log each line came from.
// A dump of several files heads each file's lines with "# PATH"; a single
// file keeps mlog_dump's lines alone (the golden test).
func TestDumpOfSeveralFilesNamesEachFile(t *testing.T) {
	m := genRoot(t, "")
	g := m.Replicas[0].Gpid.String()
	out, _, code := waltool(t, "dump", "--gpid", g, "--to-decree", "1", "--data-dirs", m.DataDirs, m.Root)
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var heads []string
	for i, l := range lines {
		if strings.HasPrefix(l, "# ") {
			heads = append(heads, l)
			if i+1 == len(lines) || !strings.HasPrefix(lines[i+1], "mutation [") {
				t.Errorf("a head with no mutation under it:\n%s", out)
			}
		}
	}
	if len(heads) != 2 || !strings.Contains(heads[0], "/slog/log.") || !strings.Contains(heads[1], "/plog/log.") {
		t.Fatalf("want a slog head and a plog head:\n%s", out)
	}
}
