package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/waltool/waltool/fixtures"
	"github.com/waltool/waltool/journal"
	"github.com/waltool/waltool/rootlock"
	"github.com/waltool/waltool/schema"
)

// spellings are the documented ways to name the data root m.Root
// (docs/commands.md, "PATH arguments"), each as the arguments that name it
// with the root's data dirs.
func spellings(t *testing.T, root, dataDirs, cfg string) map[string][]string {
	t.Helper()
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(root, link); err != nil {
		t.Fatal(err)
	}
	dd := func(path string) []string { return []string{"--data-dirs", dataDirs, path} }
	return map[string][]string{
		"ROOT":              dd(root),
		"ROOT/replica":      dd(filepath.Join(root, "replica")),
		"ROOT/replica/reps": dd(filepath.Join(root, "replica", "reps")),
		"a symlink to ROOT": dd(link),
		"--config":          {"--config", cfg, "--cargs", "app.dir=" + root},
	}
}

// runIDs are the IDs of the runs migrate status lists for args.
func runIDs(t *testing.T, args []string) []string {
	t.Helper()
	out, errs, code := waltool(t, append([]string{"migrate", "status", "--json"}, args...)...)
	var st schema.Status
	if err := json.Unmarshal([]byte(out), &st); err != nil || code != 0 {
		t.Fatalf("status %v: exit %d, %v:\n%s%s", args, code, err, out, errs)
	}
	ids := []string{}
	for _, r := range st.Runs {
		ids = append(ids, r.RunID)
	}
	return ids
}

// One lock and one journal per data root ([core] data_dir), however the
// root is named: the root, its replica/ dir, its reps dir, a symlink to
// it, or --config. Through every spelling, a held lock refuses gc --apply
// and migrate --apply; an interrupted run refuses a new one; status lists
// the same runs; and no second journal appears.
func TestEveryRootSpellingFindsOneLockAndJournal(t *testing.T) {
	root, dataDirs := interruptedUpgrade(t)
	man, err := fixtures.ReadManifest(root)
	if err != nil {
		t.Fatal(err)
	}
	cfg := writeConfig(t, man)
	names := spellings(t, root, dataDirs, cfg)
	initial := contents(t, root)

	lock, err := rootlock.Acquire(root, "test")
	if err != nil {
		t.Fatal(err)
	}
	for name, args := range names {
		for _, cmd := range [][]string{{"gc", "--log", "all", "--apply"}, {"migrate", "upgrade", "--apply"}, {"migrate", "resume"}, {"migrate", "rollback"}} {
			_, errs, code := waltool(t, append(cmd, args...)...)
			if code != exitUsage || !strings.Contains(errs, "held by") {
				t.Errorf("%s: %v while the lock is held: exit %d: %s", name, cmd, code, errs)
			}
		}
	}
	lock.Release()
	if d := cmp.Diff(initial, contents(t, root)); d != "" {
		t.Fatalf("changed under a held lock:\n%s", d)
	}

	want := runIDs(t, names["ROOT"])
	if len(want) != 1 {
		t.Fatalf("runs: %v", want)
	}
	for name, args := range names {
		if got := runIDs(t, args); !cmp.Equal(got, want) {
			t.Errorf("%s: status lists %v, ROOT %v", name, got, want)
		}
		_, errs, code := waltool(t, append([]string{"migrate", "upgrade", "--apply"}, args...)...)
		if code != exitUsage || !strings.Contains(errs, "interrupted") {
			t.Errorf("%s: a new run beside the interrupted one: exit %d: %s", name, code, errs)
		}
	}
	if d := cmp.Diff(initial, contents(t, root)); d != "" {
		t.Fatalf("changed by refused runs:\n%s", d)
	}
	// The reps dir's spelling resumes the run ROOT's journal holds.
	if out, errs, code := waltool(t, append([]string{"migrate", "resume"}, names["ROOT/replica/reps"]...)...); code != 0 {
		t.Fatalf("resume through the reps dir: exit %d:\n%s%s", code, out, errs)
	}
	for name, args := range names {
		if got := runIDs(t, args); !cmp.Equal(got, want) {
			t.Errorf("%s: status after the resume lists %v, ROOT %v", name, got, want)
		}
	}
	journals := 0
	filepath.WalkDir(filepath.Dir(root), func(p string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() && d.Name() == journal.DirName {
			journals++
			if p != filepath.Join(root, journal.DirName) {
				t.Errorf("a second journal: %s", p)
			}
		}
		if err == nil && d.Name() == rootlock.Name && p != filepath.Join(root, rootlock.Name) {
			t.Errorf("a second lock file: %s", p)
		}
		return nil
	})
	if journals != 1 {
		t.Errorf("%d journals", journals)
	}
}

// The tester's reproduction, on a one-disk root named with no flag at all:
// gc --apply through ROOT/replica/reps removed files while the lock was
// held, and status through the reps dir did not see the upgrade run
// through ROOT/replica.
func TestRepsDirSpellingWithoutFlags(t *testing.T) {
	root := filepath.Join(t.TempDir(), "lk2")
	if _, errs, code := waltool(t, "fixtures", "gen", "--out", root); code != 0 {
		t.Fatalf("gen: exit %d: %s", code, errs)
	}
	reps := filepath.Join(root, "replica", "reps")
	initial := contents(t, root)
	lock, err := rootlock.Acquire(root, "flock")
	if err != nil {
		t.Fatal(err)
	}
	_, errs, code := waltool(t, "gc", reps, "--log", "all", "--apply")
	lock.Release()
	if code != exitUsage || !strings.Contains(errs, "held by") {
		t.Fatalf("gc --apply through the reps dir while the lock is held: exit %d: %s", code, errs)
	}
	if d := cmp.Diff(initial, contents(t, root)); d != "" {
		t.Fatalf("gc --apply removed files under a held lock:\n%s", d)
	}
	if out, errs, code := waltool(t, "migrate", "upgrade", filepath.Join(root, "replica"), "--apply"); code != 0 {
		t.Fatalf("upgrade: exit %d:\n%s%s", code, out, errs)
	}
	out, _, _ := waltool(t, "migrate", "status", reps)
	if !strings.Contains(out, "FINISHED") || !strings.Contains(out, "run: ") {
		t.Fatalf("status through the reps dir:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(reps, journal.DirName)); err == nil {
		t.Fatal("a journal in the reps dir")
	}
}
