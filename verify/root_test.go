package verify

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/waltool/waltool/dataroot"
	"github.com/waltool/waltool/finding"
	"github.com/waltool/waltool/gpid"
	"github.com/waltool/waltool/vfs"
)

// mkRoot writes a data root with replicas 1.0 and 1.1 (metadata, empty
// plog dirs) and an empty slog dir.
func mkRoot(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	reps := filepath.Join(root, "replica", "reps")
	for p := int32(0); p < 2; p++ {
		ai := dataroot.NewAppInfo("t", 1, 2)
		if _, err := dataroot.CreateReplicaDir(vfs.OS, reps, dataroot.ReplicaSpec{Gpid: gpid.Gpid{App: 1, Partition: p}, AppInfo: &ai, InitInfo: &dataroot.InitInfo{InitBallot: 1}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(root, "replica", "slog"), 0o755); err != nil {
		t.Fatal(err)
	}
	return root
}

func verifyRoot(t *testing.T, root string, opts dataroot.Options) *Report {
	t.Helper()
	tg, err := dataroot.Resolve(nil, root, opts)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Target(tg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func findingAbout(rep *Report, path string) *finding.Finding {
	for i, f := range rep.Findings {
		if f.Path == path {
			return &rep.Findings[i]
		}
	}
	return nil
}

// Issue 9: a replica whose plog is a regular file or a symlink loop made
// verify exit 0 without a word (mutation_log::open, v2.5.0
// src/replica/mutation_log.cpp, cannot open such a dir: the replica does
// not open); a slog dir that is a symlink loop was not mentioned either.
func TestVerifyOddPlogAndSlog(t *testing.T) {
	root := mkRoot(t)
	if rep := verifyRoot(t, root, dataroot.Options{}); !rep.OK || len(rep.ServerDirs) != 1 || rep.ServerDirs[0].SlogDir.Path != filepath.Join(root, "replica", "slog") {
		t.Fatalf("healthy root: %+v", rep)
	}
	p0 := filepath.Join(root, "replica", "reps", "1.0.pegasus", "plog")
	p1 := filepath.Join(root, "replica", "reps", "1.1.pegasus", "plog")
	for _, p := range []string{p0, p1} {
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(p0, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(p1, p1); err != nil {
		t.Fatal(err)
	}
	slog := filepath.Join(root, "replica", "slog")
	if err := os.Remove(slog); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(slog, slog); err != nil {
		t.Fatal(err)
	}
	rep := verifyRoot(t, root, dataroot.Options{})
	if rep.OK {
		t.Fatalf("verify says OK: %v", rep.Findings)
	}
	for path, want := range map[string]string{p0: "not a directory", p1: "symlink loop", slog: "symlink loop"} {
		f := findingAbout(rep, path)
		if f == nil || !f.Class.Fatal() || !strings.Contains(f.Message, want) {
			t.Errorf("%s: %v, want a fatal finding saying %q", path, f, want)
		}
	}
}
