package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/waltool/waltool/schema"
)

// Every spelling of a PATH an operator may type finds the same logs: a
// trailing slash, ".", "..", relative paths, a symlinked root.
func TestPathSpellings(t *testing.T) {
	m := genRoot(t, "")
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(m.Root, link); err != nil {
		t.Fatal(err)
	}
	dirsOf := func(t *testing.T, p string) int {
		t.Helper()
		out, errs, code := waltool(t, "verify", "--json", "--progress=false", p)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", p, code, errs)
		}
		var r schema.Verify
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatal(err)
		}
		return len(r.Dirs)
	}
	whole := dirsOf(t, m.Root)
	if whole < 2 {
		t.Fatalf("root: %d dirs", whole)
	}
	for _, p := range []string{m.Root + "/", filepath.Join(m.Root, "replica") + "/", filepath.Join(m.Root, "replica", "reps") + "/", link, link + "/replica/"} {
		if n := dirsOf(t, p); n != whole {
			t.Errorf("%s: %d dirs, want %d", p, n, whole)
		}
	}
	reps := filepath.Join(link, "replica", "reps")
	ents, err := os.ReadDir(reps)
	if err != nil || len(ents) == 0 {
		t.Fatal(err)
	}
	t.Chdir(filepath.Join(reps, ents[0].Name()))
	for _, c := range []struct {
		path string
		dirs int
	}{{".", 1}, {"./plog", 1}, {"plog/", 1}, {"..", whole}, {"../..", whole}, {"../../..", whole}} {
		if n := dirsOf(t, c.path); n != c.dirs {
			t.Errorf("%s: %d dirs, want %d", c.path, n, c.dirs)
		}
	}
	// replay and dump take the same spellings.
	if _, errs, code := waltool(t, "replay", ".."); code != 0 {
		t.Errorf("replay ..: exit %d: %s", code, errs)
	}
	if out, errs, code := waltool(t, "dump", "."); code != 0 || out == "" {
		t.Errorf("dump .: exit %d: %s", code, errs)
	}
}
