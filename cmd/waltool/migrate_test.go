package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/waltool/waltool/schema"
)

// contents is every file under root but the journal's dir and the lock:
// path and bytes (what "byte for byte" compares).
func contents(t *testing.T, root string) map[string]string {
	t.Helper()
	m := map[string]string{}
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		if d.IsDir() && d.Name() == ".waltool-journal" {
			return filepath.SkipDir
		}
		switch {
		case d.Type()&os.ModeType != 0 && !d.IsDir():
			m[p] = d.Type().String() // a FIFO or a device: its type, never opened
		case !d.IsDir() && d.Name() != ".waltool.lock":
			b, _ := os.ReadFile(p)
			m[p] = string(b)
		}
		return nil
	})
	return m
}

// The operator's path (docs/runbook-upgrade.md): a dry run writes nothing;
// --apply folds, archives and proves; 2.6 then loses nothing and the slog
// dir holds no log file; status says finished; rollback restores the root
// byte for byte.
func TestMigrateUpgradeAndRollback(t *testing.T) {
	m := genRoot(t, "")
	before := snapshot(t, filepath.Dir(m.Root))
	initial := contents(t, m.Root)
	dd := []string{"--data-dirs", m.DataDirs, m.Root}

	out, errs, code := waltool(t, append([]string{"migrate", "upgrade"}, dd...)...)
	if code != 0 || !strings.Contains(out, "dry run") || !strings.Contains(out, "fold ") {
		t.Fatalf("dry run: exit %d:\n%s%s", code, out, errs)
	}
	if d := cmp.Diff(before, snapshot(t, filepath.Dir(m.Root))); d != "" {
		t.Fatalf("the dry run changed the tree:\n%s", d)
	}
	if _, _, code := waltool(t, append([]string{"replay", "--server-version", "2.6"}, dd...)...); code != exitFindings {
		t.Fatalf("the generated root should lose writes under 2.6 before the upgrade (exit %d)", code)
	}

	out, errs, code = waltool(t, append([]string{"migrate", "upgrade", "--apply", "--json"}, dd...)...)
	var rep schema.Upgrade
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != 0 || !rep.OK || rep.Proof == nil || !rep.Proof.Equal ||
		rep.Proof.ComparedReplicas == 0 || rep.Journal == nil || rep.Journal.State != "finished" || len(rep.Slog.Files) == 0 {
		t.Fatalf("apply: exit %d, %v:\n%s%s", code, err, out, errs)
	}
	if ents, _ := filepath.Glob(filepath.Join(m.Root, "replica", "slog", "log.*")); len(ents) != 0 {
		t.Fatalf("log files left in the slog dir: %v", ents)
	}
	if out, _, code := waltool(t, append([]string{"replay", "--server-version", "2.6", "--no-slog"}, dd...)...); code != 0 || !strings.Contains(out, "OK:") {
		t.Fatalf("2.6 after the upgrade: exit %d:\n%s", code, out)
	}
	if out, _, code := waltool(t, append([]string{"verify", "--no-slog"}, dd...)...); code != 0 {
		t.Fatalf("verify after the upgrade: exit %d:\n%s", code, out)
	}
	if out, _, _ := waltool(t, append([]string{"migrate", "status"}, dd...)...); !strings.Contains(out, "FINISHED") {
		t.Fatalf("status:\n%s", out)
	}

	if out, errs, code := waltool(t, append([]string{"migrate", "rollback"}, dd...)...); code != 0 {
		t.Fatalf("rollback: exit %d:\n%s%s", code, out, errs)
	}
	if d := cmp.Diff(initial, contents(t, m.Root)); d != "" {
		t.Fatalf("rolled back, not byte for byte (-before +after):\n%s", d)
	}
	if out, _, _ := waltool(t, append([]string{"migrate", "status"}, dd...)...); !strings.Contains(out, "ROLLED BACK") {
		t.Fatalf("status:\n%s", out)
	}
	if out, errs, code := waltool(t, append([]string{"migrate", "resume"}, dd...)...); code != 0 || !strings.Contains(out, "nothing to resume") || !strings.Contains(out, "rolled back") {
		t.Fatalf("resume after rollback: exit %d: %s%s", code, out, errs)
	}
}

// migrate refuses a damaged root (unless --force), and with no slog found
// it never says "nothing to fold".
func TestMigrateRefusals(t *testing.T) {
	m := genRoot(t, "bitflip")
	initial := contents(t, m.Root)
	out, _, code := waltool(t, "migrate", "upgrade", "--apply", "--data-dirs", m.DataDirs, m.Root)
	if code != exitFindings || !strings.Contains(out, "CORRUPT") {
		t.Fatalf("damaged root: exit %d:\n%s", code, out)
	}
	if d := cmp.Diff(initial, contents(t, m.Root)); d != "" {
		t.Fatalf("a refused upgrade changed the root:\n%s", d)
	}
	// A root given without its second data dir: the slog writes of the
	// replicas there would be archived unfolded, so lost under 2.6. The dry
	// run says so (exit 1) and --apply refuses without touching anything.
	m = genRoot(t, "")
	initial = contents(t, m.Root)
	if out, _, code := waltool(t, "migrate", "upgrade", m.Root); code != exitFindings || !strings.Contains(out, "folded nowhere") {
		t.Fatalf("dry run with a data dir missing: exit %d:\n%s", code, out)
	}
	if out, _, code := waltool(t, "migrate", "upgrade", "--apply", m.Root); code != exitFindings || !strings.Contains(out, "MISSING") {
		t.Fatalf("apply with a data dir missing: exit %d:\n%s", code, out)
	}
	if d := cmp.Diff(initial, contents(t, m.Root)); d != "" {
		t.Fatalf("a refused upgrade changed the root:\n%s", d)
	}
	if _, errs, code := waltool(t, "migrate", "upgrade", "--slog-dir", filepath.Join(t.TempDir(), "nowhere"), "--data-dirs", m.DataDirs, m.Root); code == 0 || !strings.Contains(errs, "slog") {
		t.Fatalf("no slog: exit %d: %s", code, errs)
	}
}

// Once a server has written to an upgraded root, rollback would lose those
// writes (the folded files it removes leave a hole before the server's
// newer plog files): it refuses, names the files, changes nothing, and
// points at migrate downgrade. A server that wrote to an existing file is
// caught the same way, by its size.
func TestMigrateRollbackRefusesAfterServerWrites(t *testing.T) {
	for _, how := range []string{"new file", "appended"} {
		m := genRoot(t, "")
		dd := []string{"--data-dirs", m.DataDirs, m.Root}
		if out, errs, code := waltool(t, append([]string{"migrate", "upgrade", "--apply"}, dd...)...); code != 0 {
			t.Fatalf("apply: exit %d:\n%s%s", code, out, errs)
		}
		plogs, _ := filepath.Glob(filepath.Join(m.Root, "replica", "reps", "*", "plog", "log.*"))
		if len(plogs) == 0 {
			t.Fatal("no plog file")
		}
		var written string
		switch how {
		case "new file": // 2.6 starts log.<last+1>.<end> at its first write
			written = filepath.Join(filepath.Dir(plogs[0]), "log.999.99999999")
			if err := os.WriteFile(written, []byte("a server's block"), 0o644); err != nil {
				t.Fatal(err)
			}
		case "appended":
			written = plogs[0]
			f, err := os.OpenFile(written, os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.Write([]byte("a server's block"))
			f.Close()
		}
		if out, _, _ := waltool(t, append([]string{"migrate", "status"}, dd...)...); !strings.Contains(out, "rollback is no longer possible") {
			t.Fatalf("%s: status:\n%s", how, out)
		}
		after := contents(t, m.Root)
		out, errs, code := waltool(t, append([]string{"migrate", "rollback"}, dd...)...)
		if code != exitUsage || !strings.Contains(errs, "written to the root since") || !strings.Contains(errs, written) || !strings.Contains(errs, "migrate downgrade") {
			t.Fatalf("%s: rollback: exit %d:\n%s%s", how, code, out, errs)
		}
		if d := cmp.Diff(after, contents(t, m.Root)); d != "" {
			t.Fatalf("%s: a refused rollback changed the root:\n%s", how, d)
		}
	}
}

// folded are the plog files an upgrade created: in after, not in before.
func folded(before, after map[string]string) []string {
	var out []string
	for p := range after {
		if _, ok := before[p]; !ok && strings.Contains(p, string(filepath.Separator)+"plog"+string(filepath.Separator)) {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

// A rollback refuses, changing nothing, a root where one of the steps it
// would undo no longer checks out, even one it would only reach after
// undoing others (the slog files are moved back before the folded files
// go): a folded file changed in place (same size, another checksum) or
// appended to (a server's write). It prints no success line, the run
// stays finished (not "rolling back"), and --restore-slog-archive checks
// the same before it claims anything.
func TestMigrateRollbackRefusedChangesNothing(t *testing.T) {
	for _, how := range []string{"changed in place", "appended"} {
		m := genRoot(t, "")
		dd := []string{"--data-dirs", m.DataDirs, m.Root}
		original := contents(t, m.Root)
		if out, errs, code := waltool(t, append([]string{"migrate", "upgrade", "--apply"}, dd...)...); code != 0 {
			t.Fatalf("apply: exit %d:\n%s%s", code, out, errs)
		}
		files := folded(original, contents(t, m.Root))
		if len(files) == 0 {
			t.Fatal("no folded file")
		}
		target := files[0]
		b, err := os.ReadFile(target)
		if err != nil {
			t.Fatal(err)
		}
		want := "refused before its first change"
		switch how {
		case "changed in place":
			b[len(b)/2] ^= 0x40
		case "appended":
			b = append(b, 'x')
			want = "written to the root since"
		}
		if err := os.WriteFile(target, b, 0o644); err != nil {
			t.Fatal(err)
		}
		changed := contents(t, m.Root)
		out, errs, code := waltool(t, append([]string{"migrate", "rollback"}, dd...)...)
		if code != exitUsage || !strings.Contains(errs, want) || !strings.Contains(errs, target) || strings.Contains(out, "rolled back") {
			t.Fatalf("%s: rollback: exit %d:\n%s%s", how, code, out, errs)
		}
		// --json: one document of the contract, not rolled back.
		out, _, code = waltool(t, append([]string{"migrate", "rollback", "--json"}, dd...)...)
		if code != exitUsage || strings.Contains(out, `"rolled-back"`) {
			t.Fatalf("%s: rollback --json: exit %d:\n%s", how, code, out)
		}
		if d := cmp.Diff(changed, contents(t, m.Root)); d != "" {
			t.Fatalf("%s: a refused rollback changed the root:\n%s", how, d)
		}
		out, _, _ = waltool(t, append([]string{"migrate", "status"}, dd...)...)
		if !strings.Contains(out, "FINISHED") || strings.Contains(out, "ROLLING BACK") {
			t.Fatalf("%s: status after a refused rollback:\n%s", how, out)
		}
		if how == "appended" && !strings.Contains(out, "rollback is no longer possible") {
			t.Fatalf("%s: status after a server's write to a folded file:\n%s", how, out)
		}
		for _, apply := range []bool{false, true} {
			args := []string{"migrate", "downgrade", "--to", "2.4", "--restore-slog-archive"}
			if apply {
				args = append(args, "--apply")
			}
			out, errs, code := waltool(t, append(args, dd...)...)
			if code == 0 || strings.Contains(out, "no server has written since") || strings.Contains(out, "RESTORED") || !strings.Contains(errs, target) {
				t.Fatalf("%s: %v: exit %d:\n%s%s", how, args, code, out, errs)
			}
			if d := cmp.Diff(changed, contents(t, m.Root)); d != "" {
				t.Fatalf("%s: %v changed the root:\n%s", how, args, d)
			}
		}
	}
}
