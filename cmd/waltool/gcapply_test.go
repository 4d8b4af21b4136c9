package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/waltool/waltool/dataroot"
	"github.com/waltool/waltool/decrees"
	"github.com/waltool/waltool/fixtures"
	"github.com/waltool/waltool/pegasus"
	"github.com/waltool/waltool/replay"
	"github.com/waltool/waltool/rootlock"
	"github.com/waltool/waltool/schema"
	"github.com/waltool/waltool/vfs"
)

// recovered is what one replica recovers under one server version: the
// state gc must not change.
type recovered struct {
	Committed int64
	Prepared  []decrees.Range
	Ballot    int64
	Lost      []decrees.Range
	Error     string
}

func recoveredState(t *testing.T, m *fixtures.Manifest) map[string]recovered {
	t.Helper()
	out := map[string]recovered{}
	for _, v := range []pegasus.Version{pegasus.V24, pegasus.V26} {
		r, err := dataroot.Open(dataroot.Options{Root: m.Root, Server: dataroot.Flags("", m.DataDirs), FS: vfs.ReadOnly(vfs.OS)})
		if err != nil {
			t.Fatal(err)
		}
		res, err := replay.Run(r, replay.Options{Version: v})
		if err != nil {
			t.Fatal(err)
		}
		for _, rr := range res.Replicas {
			out[string(v)+" "+rr.Gpid.String()] = recovered{rr.CommittedDecree, rr.Prepared, rr.Ballot, rr.Lost, rr.Error}
		}
	}
	return out
}

func countLogFiles(t *testing.T, root string) int {
	t.Helper()
	n := 0
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasPrefix(d.Name(), "log.") {
			n++
		}
		return nil
	})
	return n
}

// gc --apply, under both slog rules and on every log, deletes files and
// leaves what every replica recovers unchanged: committed decree, prepared
// decrees, ballot, and what 2.6 would lose (the slog files it deletes are
// covered by every replica's durable decree, the plog files by the app's).
func TestGCApplyKeepsWhatEveryReplicaRecovers(t *testing.T) {
	deleted := 0
	for seed := 1; seed <= 4; seed++ {
		for _, rule := range []string{"2.4", "2.5"} {
			t.Run(fmt.Sprintf("seed %d rule %s", seed, rule), func(t *testing.T) {
				out := filepath.Join(t.TempDir(), "root")
				if _, err := fixtures.Generate(fixtures.Options{Out: out, Seed: int64(seed), Apps: 2, Replicas: 2, Mutations: 800,
					Disks: 2, SlogFileSize: 16384, PlogFileSize: 8192, ValueSize: 16}); err != nil {
					t.Fatal(err)
				}
				m, err := fixtures.ReadManifest(out)
				if err != nil {
					t.Fatal(err)
				}
				before, files := recoveredState(t, m), countLogFiles(t, out)
				trash := filepath.Join(t.TempDir(), "trash")
				args := []string{"gc", "--apply", "--log", "all", "--rule", rule, "--data-dirs", m.DataDirs, out}
				if seed%2 == 0 {
					args = append(args, "--trash", trash)
				}
				o, errs, code := waltool(t, args...)
				if code != 0 && code != exitFindings {
					t.Fatalf("exit %d:\n%s\n%s", code, o, errs)
				}
				if !strings.Contains(o, "APPLIED (") || strings.Contains(o, "STOPPED") || strings.Contains(o, "REFUSED") {
					t.Fatalf("apply did not complete:\n%s\n%s", o, errs)
				}
				after := countLogFiles(t, out)
				deleted += files - after
				if d := cmp.Diff(before, recoveredState(t, m)); d != "" {
					t.Fatalf("gc --apply changed what replicas recover (-before +after):\n%s\n%s", d, o)
				}
				if seed%2 == 0 && countLogFiles(t, trash) != files-after {
					t.Fatalf("%d files left the root, %d are in the trash", files-after, countLogFiles(t, trash))
				}
				// A second run finds nothing more to do.
				o, _, _ = waltool(t, "gc", "--apply", "--log", "all", "--rule", rule, "--data-dirs", m.DataDirs, out)
				if !strings.Contains(o, "removed 0 files") {
					t.Fatalf("second apply removed more:\n%s", o)
				}
			})
		}
	}
	if deleted == 0 {
		t.Fatal("no run deleted anything: the test proves nothing")
	}
}

// --apply refuses, and touches nothing, when verify finds what Pegasus
// would refuse (--force goes on), and --trash/--force need --apply.
func TestGCApplyRefusals(t *testing.T) {
	m := genRoot(t, "bitflip")
	files := countLogFiles(t, m.Root)
	o, _, code := waltool(t, "gc", "--apply", "--log", "all", "--data-dirs", m.DataDirs, m.Root)
	if code != exitFindings || !strings.Contains(o, "CORRUPT") || countLogFiles(t, m.Root) != files {
		t.Fatalf("a damaged root: exit %d, %d of %d files left:\n%s", code, countLogFiles(t, m.Root), files, o)
	}
	if _, errs, code := waltool(t, "gc", "--trash", t.TempDir(), "--data-dirs", m.DataDirs, m.Root); code != exitUsage || !strings.Contains(errs, "--apply") {
		t.Fatalf("--trash without --apply: exit %d: %s", code, errs)
	}
	// Another waltool holds the root's lock (a migrate, a second gc):
	// refused, naming the holder, nothing touched.
	m = genRoot(t, "")
	files = countLogFiles(t, m.Root)
	l, err := rootlock.Acquire(m.Root, "waltool migrate upgrade")
	if err != nil {
		t.Fatal(err)
	}
	_, errs, code := waltool(t, "gc", "--apply", "--log", "all", "--data-dirs", m.DataDirs, m.Root)
	l.Release()
	if code != exitUsage || !strings.Contains(errs, "waltool migrate upgrade") || countLogFiles(t, m.Root) != files {
		t.Fatalf("lock held: exit %d: %s", code, errs)
	}
	// The JSON document carries what was applied.
	o, _, code = waltool(t, "gc", "--apply", "--json", "--log", "all", "--data-dirs", m.DataDirs, m.Root)
	var doc schema.GC
	if err := json.Unmarshal([]byte(o), &doc); err != nil || doc.Reclaim == nil || !doc.Reclaim.Complete || code == exitUsage {
		t.Fatalf("exit %d, %v:\n%s", code, err, o)
	}
}
