package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/waltool/waltool/dataroot"
	"github.com/waltool/waltool/journal"
	"github.com/waltool/waltool/migrate"
	"github.com/waltool/waltool/ops"
	"github.com/waltool/waltool/vfs"
)

// interruptedUpgrade is a two-disk root whose upgrade was killed after its
// fold: the journal holds the plan, the fold phase done.
func interruptedUpgrade(t *testing.T) (root, dataDirs string) {
	t.Helper()
	m := genRoot(t, "")
	r, err := dataroot.Open(dataroot.Options{Root: m.Root, Server: dataroot.Flags("", m.DataDirs)})
	if err != nil {
		t.Fatal(err)
	}
	plan, err := migrate.PlanUpgrade(r, migrate.Options{})
	if err != nil {
		t.Fatal(err)
	}
	meta, err := json.Marshal(plan)
	if err != nil {
		t.Fatal(err)
	}
	j, err := journal.Begin(vfs.OS, m.Root, journal.Run{Command: "waltool", Args: []string{"migrate", "upgrade", "--apply"}, Meta: meta})
	if err != nil {
		t.Fatal(err)
	}
	if err := plan.Fold(vfs.OS, j); err != nil {
		t.Fatal(err)
	}
	j.Close() // the process dies here
	return m.Root, m.DataDirs
}

// Issue 18: `migrate resume ROOT`, as the runbook writes it, rolled back a
// two-disk upgrade: it opened the default data dir only, found the other
// disk's replicas missing and blamed the data. Resume opens the dirs the
// run recorded in its journal; root flags naming other dirs are refused,
// both named.
func TestMigrateResumeUsesTheJournalsDirs(t *testing.T) {
	root, dataDirs := interruptedUpgrade(t)
	initial := contents(t, root)
	if _, errs, code := waltool(t, "migrate", "resume", "--data-dirs", "default:"+root, root); code != ops.ExitUsage ||
		!strings.Contains(errs, "other dirs than the run") || !strings.Contains(errs, filepath.Join(root, "disk2")) {
		t.Fatalf("resume with other data dirs: exit %d: %s", code, errs)
	}
	if d := cmp.Diff(initial, contents(t, root)); d != "" {
		t.Fatalf("the refused resume changed the root:\n%s", d)
	}
	out, errs, code := waltool(t, "migrate", "resume", root)
	if code != 0 || !strings.Contains(out, "EQUAL") {
		t.Fatalf("resume ROOT: exit %d:\n%s%s", code, out, errs)
	}
	if out, _, code := waltool(t, "replay", "--server-version", "2.6", "--no-slog", "--data-dirs", dataDirs, root); code != 0 {
		t.Fatalf("2.6 after the resumed upgrade: exit %d:\n%s", code, out)
	}
	// The same dirs, named: accepted.
	if _, errs, code := waltool(t, "migrate", "rollback", "--data-dirs", dataDirs, root); code != 0 {
		t.Fatalf("rollback with the run's dirs: exit %d: %s", code, errs)
	}
}

// Issue 18: a second run planned before it took the lock, and could file
// the first run's journal away. A run takes the lock, then refuses an
// unfinished run, naming it, before it reads anything to plan; the
// interrupted run stays the one to resume.
func TestMigrateRefusesBesideAnUnfinishedRun(t *testing.T) {
	root, dataDirs := interruptedUpgrade(t)
	for _, args := range [][]string{
		{"migrate", "upgrade", "--apply"},
		{"migrate", "downgrade", "--to", "2.4", "--apply"},
	} {
		_, errs, code := waltool(t, append(args, "--data-dirs", dataDirs, root)...)
		if code != ops.ExitUsage || !strings.Contains(errs, "interrupted") || !strings.Contains(errs, "migrate resume") {
			t.Errorf("%v beside an interrupted run: exit %d: %s", args, code, errs)
		}
	}
	if out, errs, code := waltool(t, "migrate", "resume", root); code != 0 {
		t.Fatalf("the interrupted run is no longer resumable: exit %d:\n%s%s", code, out, errs)
	}
}

// Issue 18: the open-files guard missed a replica dir that is a symlink to
// elsewhere: every replica dir and plog dir the run touches is resolved.
func TestMigrateRefusesAnOpenFileInASymlinkedReplicaDir(t *testing.T) {
	m := genRoot(t, "")
	reps := filepath.Join(m.Root, "replica", "reps")
	ents, err := os.ReadDir(reps)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(reps, ents[0].Name())
	elsewhere := filepath.Join(t.TempDir(), ents[0].Name())
	if err := os.Rename(dir, elsewhere); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(elsewhere, dir); err != nil {
		t.Fatal(err)
	}
	plogs, _ := filepath.Glob(filepath.Join(elsewhere, "plog", "log.*"))
	if len(plogs) == 0 {
		t.Fatal("no plog file")
	}
	holder := exec.Command("sh", "-c", `exec 3<"$0"; echo ready; exec sleep 30`, plogs[0])
	stdout, _ := holder.StdoutPipe()
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	defer holder.Process.Kill()
	buf := make([]byte, 6)
	stdout.Read(buf) // the file is open
	before := contents(t, m.Root)
	_, errs, code := waltool(t, "migrate", "upgrade", "--apply", "--data-dirs", m.DataDirs, m.Root)
	if code != ops.ExitUsage || !strings.Contains(errs, plogs[0]) {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if d := cmp.Diff(before, contents(t, m.Root)); d != "" {
		t.Fatalf("the refused run changed the root:\n%s", d)
	}
}

// Issue 18: a downgrade killed before its journal began left `migrate
// rollback` pointing at the earlier upgrade, which it undid. Rollback says
// which run it undoes, and when the last command on the root stopped
// before its run began, it asks for --run ID first.
func TestMigrateRollbackAsksAfterAnAttemptThatNeverBegan(t *testing.T) {
	m, dd := upgradedRoot(t)
	upgraded := contents(t, m.Root)
	end, err := journal.BeginAttempt(vfs.OS, m.Root, journal.Attempt{Command: "waltool", Args: []string{"migrate", "downgrade", "--to", "2.3", "--apply"}, Started: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	_ = end // the process dies here, before its run begins
	_, errs, code := waltool(t, append([]string{"migrate", "rollback"}, dd...)...)
	if code != ops.ExitUsage || !strings.Contains(errs, "downgrade") || !strings.Contains(errs, "--run ") {
		t.Fatalf("rollback after a killed attempt: exit %d: %s", code, errs)
	}
	if d := cmp.Diff(upgraded, contents(t, m.Root)); d != "" {
		t.Fatalf("the refused rollback changed the root:\n%s", d)
	}
	runs, err := migrate.History(vfs.ReadOnly(vfs.OS), m.Root)
	if err != nil || len(runs) != 1 {
		t.Fatal(len(runs), err)
	}
	id := runs[0].Journal.Run().ID
	closeRuns(runs)
	if _, errs, code := waltool(t, append([]string{"migrate", "rollback", "--run", "nope"}, dd...)...); code != ops.ExitUsage || !strings.Contains(errs, id) {
		t.Fatalf("--run naming another run: exit %d: %s", code, errs)
	}
	if _, errs, code := waltool(t, append([]string{"migrate", "rollback", "--run", id}, dd...)...); code != 0 || !strings.Contains(errs, "rolling back the upgrade") {
		t.Fatalf("--run %s: exit %d: %s", id, code, errs)
	}
	if a, err := journal.LastAttempt(vfs.OS, m.Root); a != nil || err != nil {
		t.Errorf("the attempt is still there once the operator confirmed: %v %v", a, err)
	}
}

// An upgrade applied to a root upgraded already journaled an empty run,
// which the next rollback then had to undo first; a resume with nothing
// to resume exited 2. Neither changes anything: exit 0, said.
func TestMigrateNothingToDo(t *testing.T) {
	m, dd := upgradedRoot(t)
	out, errs, code := waltool(t, append([]string{"migrate", "upgrade", "--apply"}, dd...)...)
	if code != 0 || !strings.Contains(out, "nothing to do") {
		t.Fatalf("upgrade again: exit %d: %s%s", code, out, errs)
	}
	runs, err := migrate.History(vfs.ReadOnly(vfs.OS), m.Root)
	if err != nil || len(runs) != 1 {
		t.Fatalf("%d runs, %v: the second upgrade began one", len(runs), err)
	}
	closeRuns(runs)
	fresh := smallRoot(t)
	if out, errs, code := waltool(t, "migrate", "resume", fresh); code != 0 || !strings.Contains(out, "nothing to resume") {
		t.Fatalf("resume on a root no migration ran on: exit %d: %s%s", code, out, errs)
	}
	waltool(t, "migrate", "resume", "--json", fresh)
}

func closeRuns(runs []*migrate.Run) {
	for _, r := range runs {
		r.Journal.Close()
	}
}
