package main

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/waltool/waltool/vfs"
)

// Issue 17 §2.3: the root keeps the history of its runs. After `migrate
// upgrade --apply` and a downgrade (a no-op one, to 2.4), status lists
// both; rollback undoes the downgrade, then, called again, the upgrade,
// each byte for byte (journal.Last: newest first); a crash during the
// second rollback is resumed by rolling back again.
func TestMigrateHistoryRollsBackNewestFirst(t *testing.T) {
	for _, crash := range []vfs.Fault{
		{Op: vfs.OpRename, Crash: true},           // moving the first slog file back
		{Op: vfs.OpRemove, After: 1, Crash: true}, // removing a folded plog file
		{Op: vfs.OpSync, After: 3, Crash: true},   // a journal record
	} {
		m := genRoot(t, "")
		dd := []string{"--data-dirs", m.DataDirs, m.Root}
		original := contents(t, m.Root)
		if out, errs, code := waltool(t, append([]string{"migrate", "upgrade", "--apply"}, dd...)...); code != 0 {
			t.Fatalf("upgrade: exit %d:\n%s%s", code, out, errs)
		}
		upgraded := contents(t, m.Root)
		if out, errs, code := waltool(t, append([]string{"migrate", "downgrade", "--to", "2.4", "--apply"}, dd...)...); code != 0 {
			t.Fatalf("downgrade: exit %d:\n%s%s", code, out, errs)
		}
		out, _, _ := waltool(t, append([]string{"migrate", "status"}, dd...)...)
		if !strings.Contains(out, "2 migrations ran") || strings.Index(out, "migrate upgrade") > strings.Index(out, "migrate downgrade") ||
			strings.Count(out, "FINISHED") != 2 || !strings.Contains(out, "once every run after it (1) is rolled back") {
			t.Fatalf("status lists both runs, oldest first:\n%s", out)
		}

		out, errs, code := waltool(t, append([]string{"migrate", "rollback"}, dd...)...)
		if code != 0 || !strings.Contains(out, "next: the run before it") || !strings.Contains(out, "migrate upgrade") {
			t.Fatalf("first rollback: exit %d:\n%s%s", code, out, errs)
		}
		if d := cmp.Diff(upgraded, contents(t, m.Root)); d != "" {
			t.Fatalf("the downgrade rolled back, not byte for byte:\n%s", d)
		}

		saved := writeFS
		fy := vfs.NewFaulty(saved)
		fy.Inject(crash)
		writeFS = fy
		_, errs, code = waltool(t, append([]string{"migrate", "rollback"}, dd...)...)
		writeFS = saved
		if code == 0 || !strings.Contains(errs, "crashed") {
			t.Fatalf("%+v: the second rollback did not crash: exit %d: %s", crash, code, errs)
		}
		if out, _, _ := waltool(t, append([]string{"migrate", "status"}, dd...)...); !strings.Contains(out, "ROLLING BACK") && !strings.Contains(out, "can still undo it (no server") {
			t.Fatalf("%+v: status after the crash:\n%s", crash, out)
		}
		if out, errs, code := waltool(t, append([]string{"migrate", "rollback"}, dd...)...); code != 0 {
			t.Fatalf("%+v: rollback again: exit %d:\n%s%s", crash, code, out, errs)
		}
		if d := cmp.Diff(original, contents(t, m.Root)); d != "" {
			t.Fatalf("%+v: both rolled back, not the original root byte for byte:\n%s", crash, d)
		}
		out, _, code = waltool(t, append([]string{"migrate", "rollback"}, dd...)...)
		if code != 0 || !strings.Contains(out, "nothing to roll back") {
			t.Fatalf("a third rollback: exit %d:\n%s", code, out)
		}
		if out, _, _ := waltool(t, append([]string{"migrate", "status"}, dd...)...); strings.Count(out, "ROLLED BACK") != 2 {
			t.Fatalf("status after both rollbacks:\n%s", out)
		}
	}
}

// --restore-slog-archive finds the last finished upgrade in the history:
// after an upgrade and a downgrade, it rolls back the downgrade, then the
// upgrade, and the root is the pre-upgrade one, byte for byte.
func TestRestoreSlogArchiveAfterADowngrade(t *testing.T) {
	m := genRoot(t, "")
	dd := []string{"--data-dirs", m.DataDirs, m.Root}
	original := contents(t, m.Root)
	for _, cmd := range [][]string{{"migrate", "upgrade", "--apply"}, {"migrate", "downgrade", "--to", "2.4", "--apply"}} {
		if out, errs, code := waltool(t, append(cmd, dd...)...); code != 0 {
			t.Fatalf("%q: exit %d:\n%s%s", cmd, code, out, errs)
		}
	}
	before := contents(t, m.Root)
	out, errs, code := waltool(t, append([]string{"migrate", "downgrade", "--to", "2.3", "--restore-slog-archive"}, dd...)...)
	if code != 0 || !strings.Contains(out, "first a rollback of the 1 run after the upgrade") || !strings.Contains(out, "a rollback of the upgrade") {
		t.Fatalf("dry run: exit %d:\n%s%s", code, out, errs)
	}
	if d := cmp.Diff(before, contents(t, m.Root)); d != "" {
		t.Fatalf("the dry run changed the root:\n%s", d)
	}
	out, errs, code = waltool(t, append([]string{"migrate", "downgrade", "--to", "2.3", "--restore-slog-archive", "--apply"}, dd...)...)
	if code != 0 || !strings.Contains(out, "RESTORED") {
		t.Fatalf("restore: exit %d:\n%s%s", code, out, errs)
	}
	if d := cmp.Diff(original, contents(t, m.Root)); d != "" {
		t.Fatalf("restored, but not to the pre-upgrade root:\n%s", d)
	}
}
