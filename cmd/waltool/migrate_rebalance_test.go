package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/waltool/waltool/fixtures"
)

// `migrate upgrade --rebalance` on a root whose replicas all sit on one of
// two data dirs: the dry run shows the moves and writes nothing; --apply
// folds, archives, moves and proves; the data dirs are balanced; rollback
// restores the root byte for byte.
func TestMigrateUpgradeRebalance(t *testing.T) {
	out := filepath.Join(t.TempDir(), "root")
	if _, errs, code := waltool(t, "fixtures", "gen", "--out", out, "--seed", "4", "--apps", "2", "--replicas", "4",
		"--mutations", "800", "--disks", "1", "--slog-file-size", "32768"); code != 0 {
		t.Fatalf("gen: exit %d: %s", code, errs)
	}
	m, err := fixtures.ReadManifest(out)
	if err != nil {
		t.Fatal(err)
	}
	disk2 := filepath.Join(m.Root, "disk2")
	if err := os.MkdirAll(filepath.Join(disk2, "replica", "reps"), 0o755); err != nil {
		t.Fatal(err)
	}
	dd := []string{"--data-dirs", m.DataDirs + ",disk2:" + disk2, m.Root}
	initial := contents(t, m.Root)
	before := snapshot(t, filepath.Dir(m.Root))

	dry, errs, code := waltool(t, append([]string{"migrate", "upgrade", "--rebalance"}, dd...)...)
	if code != 0 || !strings.Contains(dry, "rebalance: move 4 replica dirs") || !strings.Contains(dry, ", rename)") {
		t.Fatalf("dry run: exit %d:\n%s%s", code, dry, errs)
	}
	if d := cmp.Diff(before, snapshot(t, filepath.Dir(m.Root))); d != "" {
		t.Fatalf("the dry run changed the tree:\n%s", d)
	}

	js, errs, code := waltool(t, append([]string{"migrate", "upgrade", "--rebalance", "--apply", "--json"}, dd...)...)
	var rep struct {
		OK    bool `json:"ok"`
		Proof *struct {
			Equal bool `json:"equal"`
		} `json:"proof"`
		Rebalance *struct {
			Moves []struct {
				Gpid  string `json:"gpid"`
				From  string `json:"from"`
				To    string `json:"to"`
				Bytes int64  `json:"bytes"`
			} `json:"moves"`
		} `json:"rebalance"`
	}
	if err := json.Unmarshal([]byte(js), &rep); err != nil || code != 0 || !rep.OK || rep.Proof == nil || !rep.Proof.Equal ||
		rep.Rebalance == nil || len(rep.Rebalance.Moves) != 4 {
		t.Fatalf("apply: exit %d, %v:\n%s%s", code, err, js, errs)
	}
	apps := map[string]int{}
	for _, mv := range rep.Rebalance.Moves {
		if _, err := os.Stat(mv.To); err != nil {
			t.Fatalf("%s not at %s: %v", mv.Gpid, mv.To, err)
		}
		if _, err := os.Stat(mv.From); !os.IsNotExist(err) {
			t.Fatalf("%s still at %s", mv.Gpid, mv.From)
		}
		apps[strings.Split(mv.Gpid, ".")[0]]++
	}
	if apps["1"] != 2 || apps["2"] != 2 {
		t.Fatalf("tables not spread: %v", apps)
	}
	for _, d := range []string{filepath.Join(m.Root, "replica", "reps"), filepath.Join(disk2, "replica", "reps")} {
		ents, _ := filepath.Glob(filepath.Join(d, "*.pegasus*"))
		if len(ents) != 4 {
			t.Fatalf("%s holds %v", d, ents)
		}
	}
	if out, _, code := waltool(t, append([]string{"replay", "--server-version", "2.6", "--no-slog"}, dd...)...); code != 0 {
		t.Fatalf("2.6 after the upgrade: exit %d:\n%s", code, out)
	}
	if out, _, code := waltool(t, append([]string{"verify", "--no-slog"}, dd...)...); code != 0 {
		t.Fatalf("verify after the upgrade: exit %d:\n%s", code, out)
	}
	if out, errs, code := waltool(t, append([]string{"migrate", "rollback"}, dd...)...); code != 0 {
		t.Fatalf("rollback: exit %d:\n%s%s", code, out, errs)
	}
	if d := cmp.Diff(initial, contents(t, m.Root)); d != "" {
		t.Fatalf("rolled back, not byte for byte (-before +after):\n%s", d)
	}
}
