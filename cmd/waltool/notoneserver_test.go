package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/waltool/waltool/fixtures"
	"github.com/waltool/waltool/ops"
)

// genSeed generates a small root with the given seed.
func genSeed(t *testing.T, seed int64) *fixtures.Manifest {
	t.Helper()
	m, err := fixtures.Generate(fixtures.Options{Out: filepath.Join(t.TempDir(), "root"), Seed: seed, Apps: 2, Replicas: 2,
		Mutations: 600, Disks: 2, SlogFileSize: 32768, ValueSize: 16})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

const notOneServer = "do not look like one server's"

// The slog of one server with the data dirs of another (issue 17: gc
// --apply deleted files so). Every write refuses before touching anything,
// naming the dirs and the replicas that do not fit; every read-only
// command says it as a warning (dataroot.Root.NotOneServer, one rule for
// all of them).
func TestSlogAndDataDirsOfTwoServers(t *testing.T) {
	a, b := genSeed(t, 1), genSeed(t, 2)
	crossed := []string{"--slog-dir", a.Root, "--data-dirs", b.DataDirs, a.Root}
	beforeA, beforeB := contents(t, a.Root), contents(t, b.Root)
	unchanged := func(what string) {
		t.Helper()
		if d := cmp.Diff(beforeA, contents(t, a.Root)); d != "" {
			t.Fatalf("%s changed the first root:\n%s", what, d)
		}
		if d := cmp.Diff(beforeB, contents(t, b.Root)); d != "" {
			t.Fatalf("%s changed the second root:\n%s", what, d)
		}
	}

	for _, cmd := range [][]string{
		{"gc", "--apply"},
		{"gc", "--apply", "--log", "all", "--rule", "2.5"},
		{"migrate", "upgrade", "--apply"},
		{"migrate", "downgrade", "--to", "2.4", "--apply"},
	} {
		out, errs, code := waltool(t, append(cmd, crossed...)...)
		if code != ops.ExitFindings || !strings.Contains(errs, notOneServer) || !strings.Contains(errs, a.SlogDir) {
			t.Fatalf("%q: exit %d, want 1 and a refusal naming the slog dir:\n%s%s", cmd, code, out, errs)
		}
		unchanged(strings.Join(cmd, " "))
	}

	for _, cmd := range [][]string{
		{"verify"},
		{"replay"},
		{"replay", "--server-version", "2.6"},
		{"gc"},
		{"migrate", "upgrade"},
		{"migrate", "downgrade", "--to", "2.4"},
	} {
		out, errs, _ := waltool(t, append(cmd, crossed...)...)
		if !strings.Contains(out+errs, "WARNING: ") || !strings.Contains(out+errs, "are not one server's") {
			t.Fatalf("%q: no warning that the slog and the replica dirs are not one server's:\n%s%s", cmd, out, errs)
		}
		unchanged(strings.Join(cmd, " "))
	}

	// --force goes on past this refusal (the operator knows better).
	_, errs, _ := waltool(t, append([]string{"gc", "--apply", "--force"}, crossed...)...)
	if strings.Contains(errs, notOneServer) {
		t.Fatalf("gc --apply --force still refused: %s", errs)
	}
}

// A server whose partition moved away (its replica dir gone, its slog
// mutations left behind) is one server: gc --apply goes ahead.
func TestPartitionMovedAwayIsOneServer(t *testing.T) {
	m := genSeed(t, 1)
	if err := os.RemoveAll(m.Replicas[0].Dir); err != nil {
		t.Fatal(err)
	}
	out, errs, code := waltool(t, "gc", "--apply", "--data-dirs", m.DataDirs, m.Root)
	if code != 0 || strings.Contains(out+errs, "not one server's") || strings.Contains(errs, notOneServer) {
		t.Fatalf("exit %d:\n%s%s", code, out, errs)
	}
}
