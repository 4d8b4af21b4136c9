package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/waltool/waltool/schema"
)

// upgradedOneDisk is a one-disk root named name, upgraded (the tester's
// reproduction: no root flag at all).
func upgradedOneDisk(t *testing.T, name string) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), name)
	if _, errs, code := waltool(t, "fixtures", "gen", "--out", root); code != 0 {
		t.Fatalf("gen: exit %d: %s", code, errs)
	}
	if out, errs, code := waltool(t, "migrate", "upgrade", root, "--apply"); code != 0 {
		t.Fatalf("upgrade: exit %d:\n%s%s", code, out, errs)
	}
	return root
}

// refusedHere checks that every migrate command that would act on the
// journal in root refuses it as written for writtenFor, naming both, with
// no success line, and changes nothing in root nor in the others.
func refusedHere(t *testing.T, root, writtenFor, how string, others ...string) {
	t.Helper()
	before := map[string]map[string]string{}
	for _, p := range append(others, root) {
		before[p] = contents(t, p)
	}
	for _, cmd := range [][]string{
		{"migrate", "rollback"},
		{"migrate", "rollback", "--json"},
		{"migrate", "resume"},
		{"migrate", "resume", "--json"},
		{"migrate", "upgrade", "--apply"},
		{"migrate", "downgrade", "--to", "2.4", "--apply"},
		{"migrate", "downgrade", "--to", "2.4", "--restore-slog-archive"},
		{"migrate", "downgrade", "--to", "2.4", "--restore-slog-archive", "--apply"},
	} {
		out, errs, code := waltool(t, append(cmd, root)...)
		if slices.Contains(cmd, "--json") {
			// The error is in the document, which says nothing else.
			errs, out = out, strings.ReplaceAll(out, "rolled back any more", "")
		}
		if code != exitUsage || !strings.Contains(errs, "was written for the root "+writtenFor) || !strings.Contains(errs, how) ||
			!strings.Contains(errs, root) || strings.Contains(out, "rolled back") || strings.Contains(out, "RESTORED") {
			t.Errorf("%v %s: exit %d:\n%s%s", cmd, root, code, out, errs)
		}
	}
	for p, want := range before {
		if d := cmp.Diff(want, contents(t, p)); d != "" {
			t.Fatalf("refused commands on %s changed %s:\n%s", root, p, d)
		}
	}
	out, _, code := waltool(t, "migrate", "status", root)
	if code != 0 || !strings.Contains(out, "WRITTEN FOR ANOTHER ROOT (its journal says finished)") || !strings.Contains(out, writtenFor) ||
		strings.Contains(out, "ROLL") || strings.Contains(out, "can still undo it") {
		t.Errorf("status %s:\n%s", root, out)
	}
	out, _, _ = waltool(t, "migrate", "status", "--json", root)
	var st schema.Status
	if err := json.Unmarshal([]byte(out), &st); err != nil || len(st.Runs) != 1 || st.Runs[0].WrittenForPath != writtenFor ||
		st.Runs[0].RollbackPossible == nil || *st.Runs[0].RollbackPossible || !strings.Contains(st.Runs[0].RollbackRefused, how) {
		t.Errorf("status --json %s: %v\n%s", root, err, out)
	}
}

// The tester's reproduction: `migrate rollback` of a copy of an upgraded
// root rolled back the original (the journal names its files by absolute
// path), and of the root moved stopped at its first step, said "rolled
// back 1 step" and left a rollback that could be neither finished nor
// resumed. A journal belongs to the root it was written in: in a copy or
// in the root moved, every migrate command refuses it, changing nothing,
// naming both roots and what to do; status says so instead of a state.
// The original, and the root moved back, roll back byte for byte.
func TestMigrateRefusesTheJournalOfAnotherRoot(t *testing.T) {
	a := upgradedOneDisk(t, "A")
	upgraded := contents(t, a)
	b := filepath.Join(filepath.Dir(a), "B")
	if out, err := exec.Command("cp", "-a", a, b).CombinedOutput(); err != nil {
		t.Fatalf("cp -a: %v: %s", err, out)
	}
	refusedHere(t, b, a, "is a copy of it", a)
	if d := cmp.Diff(upgraded, contents(t, a)); d != "" {
		t.Fatalf("the original changed:\n%s", d)
	}
	if out, errs, code := waltool(t, "migrate", "rollback", a); code != 0 || !strings.Contains(out, "rolled back") {
		t.Fatalf("rollback of the original: exit %d:\n%s%s", code, out, errs)
	}
	if ents, _ := filepath.Glob(filepath.Join(a, "replica", "slog", "log.*")); len(ents) == 0 {
		t.Fatal("the original's slog is not back")
	}
	if ents, _ := filepath.Glob(filepath.Join(b, "replica", "slog", "log.*")); len(ents) != 0 {
		t.Fatalf("the copy's slog changed: %v", ents)
	}

	c := upgradedOneDisk(t, "C")
	upgraded = contents(t, c)
	c2 := filepath.Join(filepath.Dir(c), "C2")
	if err := os.Rename(c, c2); err != nil {
		t.Fatal(err)
	}
	refusedHere(t, c2, c, "was moved here")
	if err := os.Rename(c2, c); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(upgraded, contents(t, c)); d != "" {
		t.Fatalf("moved back, not as it was:\n%s", d)
	}
	if out, errs, code := waltool(t, "migrate", "rollback", c); code != 0 || !strings.Contains(out, "rolled back") {
		t.Fatalf("rollback once moved back: exit %d:\n%s%s", code, out, errs)
	}
}
