package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/waltool/waltool/dataroot"
	"github.com/waltool/waltool/fixtures"
	"github.com/waltool/waltool/journal"
	"github.com/waltool/waltool/migrate"
	"github.com/waltool/waltool/pegasus"
	"github.com/waltool/waltool/serversim"
	"github.com/waltool/waltool/vfs"
)

// upgradedRoot is a generated root after `migrate upgrade --apply`.
func upgradedRoot(t *testing.T) (*fixtures.Manifest, []string) {
	m := genRoot(t, "")
	dd := []string{"--data-dirs", m.DataDirs, m.Root}
	if out, errs, code := waltool(t, append([]string{"migrate", "upgrade", "--apply"}, dd...)...); code != 0 {
		t.Fatalf("upgrade: exit %d:\n%s%s", code, out, errs)
	}
	return m, dd
}

// writes26 lets a 2.6 server write to the root and crash.
func writes26(t *testing.T, m *fixtures.Manifest) {
	root, err := dataroot.Open(dataroot.Options{Root: m.Root, Server: dataroot.Flags("", m.DataDirs)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := serversim.Write(vfs.OS, root, serversim.Options{Version: pegasus.V26, Seed: 5}); err != nil {
		t.Fatal(err)
	}
}

// The way back (docs/runbook-upgrade.md): after 2.6 wrote, a dry run of
// the downgrade to 2.3 writes nothing and proves on a preview; --apply
// writes the header-only slog file, proves on the result (next writes
// kept), and rollback restores the root byte for byte.
func TestMigrateDowngrade(t *testing.T) {
	m, dd := upgradedRoot(t)
	writes26(t, m)
	before := contents(t, m.Root)
	snap := snapshot(t, m.Root)

	out, errs, code := waltool(t, append([]string{"migrate", "downgrade", "--to", "2.3"}, dd...)...)
	if code != 0 || !strings.Contains(out, "dry run") || !strings.Contains(out, "preview: EQUAL") || !strings.Contains(out, "every one found again") {
		t.Fatalf("dry run: exit %d:\n%s%s", code, out, errs)
	}
	if d := cmp.Diff(snap, snapshot(t, m.Root)); d != "" {
		t.Fatalf("the dry run changed the root:\n%s", d)
	}

	js, errs, code := waltool(t, append([]string{"migrate", "downgrade", "--to", "2.3", "--apply", "--json"}, dd...)...)
	var rep struct {
		OK       bool   `json:"ok"`
		Target   string `json:"target"`
		Replicas []struct {
			Gpid    string   `json:"gpid"`
			Changes []string `json:"changes"`
			Proof   string   `json:"proof"`
		} `json:"replicas"`
		Proof *struct {
			OK   bool `json:"ok"`
			Next *struct {
				Acked int   `json:"acked"`
				Lost  []any `json:"lost"`
			} `json:"next_writes"`
		} `json:"proof"`
	}
	if err := json.Unmarshal([]byte(js), &rep); err != nil || code != 0 || !rep.OK || rep.Target != "2.3" || rep.Proof == nil ||
		!rep.Proof.OK || rep.Proof.Next == nil || rep.Proof.Next.Acked == 0 || len(rep.Proof.Next.Lost) != 0 || len(rep.Replicas) == 0 {
		t.Fatalf("apply: exit %d, %v:\n%s%s", code, err, js, errs)
	}
	if out, _, _ := waltool(t, append([]string{"migrate", "status"}, dd...)...); !strings.Contains(out, "FINISHED") || !strings.Contains(out, "slog") {
		t.Fatalf("status:\n%s", out)
	}
	if out, _, code := waltool(t, append([]string{"replay", "--server-version", "2.3"}, dd...)...); code != 0 {
		t.Fatalf("2.3 after the downgrade: exit %d:\n%s", code, out)
	}
	if out, errs, code := waltool(t, append([]string{"migrate", "rollback"}, dd...)...); code != 0 {
		t.Fatalf("rollback: exit %d:\n%s%s", code, out, errs)
	}
	if d := cmp.Diff(before, contents(t, m.Root)); d != "" {
		t.Fatalf("rolled back, not byte for byte:\n%s", d)
	}
}

// --restore-slog-archive is a rollback of the last upgrade when no server
// wrote since: the dry run says so and writes nothing; --apply restores
// the pre-upgrade root byte for byte; once 2.6 has written, it is refused
// and nothing changes.
func TestMigrateDowngradeRestoreSlogArchive(t *testing.T) {
	m := genRoot(t, "")
	original := contents(t, m.Root)
	dd := []string{"--data-dirs", m.DataDirs, m.Root}
	if out, errs, code := waltool(t, append([]string{"migrate", "upgrade", "--apply"}, dd...)...); code != 0 {
		t.Fatalf("upgrade: exit %d:\n%s%s", code, out, errs)
	}
	snap := snapshot(t, m.Root)
	out, errs, code := waltool(t, append([]string{"migrate", "downgrade", "--to", "2.3", "--restore-slog-archive"}, dd...)...)
	if code != 0 || !strings.Contains(out, "dry run") || !strings.Contains(out, "a rollback of the upgrade") {
		t.Fatalf("restore dry run: exit %d:\n%s%s", code, out, errs)
	}
	if d := cmp.Diff(snap, snapshot(t, m.Root)); d != "" {
		t.Fatalf("the restore's dry run changed the root:\n%s", d)
	}
	out, errs, code = waltool(t, append([]string{"migrate", "downgrade", "--to", "2.3", "--restore-slog-archive", "--apply"}, dd...)...)
	if code != 0 || !strings.Contains(out, "RESTORED") || !strings.Contains(out, "rollback of the last upgrade") {
		t.Fatalf("restore: exit %d:\n%s%s", code, out, errs)
	}
	if d := cmp.Diff(original, contents(t, m.Root)); d != "" {
		t.Fatalf("restored, but not to the pre-upgrade root:\n%s", d)
	}

	m, dd = upgradedRoot(t)
	writes26(t, m)
	after := contents(t, m.Root)
	if _, errs, code := waltool(t, append([]string{"migrate", "downgrade", "--to", "2.4", "--restore-slog-archive", "--apply"}, dd...)...); code != exitUsage || !strings.Contains(errs, "drop the flag") {
		t.Fatalf("restore after 2.6 wrote: exit %d: %s", code, errs)
	}
	if d := cmp.Diff(after, contents(t, m.Root)); d != "" {
		t.Fatalf("a refused restore changed the root:\n%s", d)
	}
}

// A downgrade interrupted after its archive: `migrate resume` writes the
// rest (2.3's header-only slog file), proves and finishes; status says so.
func TestMigrateDowngradeResume(t *testing.T) {
	m, dd := upgradedRoot(t)
	root, err := dataroot.Open(dataroot.Options{Root: m.Root, Server: dataroot.Flags("", m.DataDirs)})
	if err != nil {
		t.Fatal(err)
	}
	// A slog a 2.4 server never collected: what the downgrade archives.
	archive := root.SlogDir + ".waltool-archive"
	ents, _ := os.ReadDir(archive)
	for _, e := range ents[:2] {
		if err := os.Rename(filepath.Join(archive, e.Name()), filepath.Join(root.SlogDir, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	if root, err = dataroot.Open(dataroot.Options{Root: m.Root, Server: dataroot.Flags("", m.DataDirs)}); err != nil {
		t.Fatal(err)
	}
	plan, err := migrate.PlanDowngrade(root, migrate.DowngradeOptions{Target: pegasus.V23})
	if err != nil || len(plan.SlogFiles) != 2 || plan.SlogStart == nil {
		t.Fatalf("plan: %v %+v", err, plan)
	}
	meta, _ := json.Marshal(plan)
	j, err := journal.Begin(vfs.OS, m.Root, journal.Run{Command: "waltool", Args: []string{"migrate", "downgrade", "--to", "2.3", "--apply"}, Meta: meta})
	if err != nil {
		t.Fatal(err)
	}
	up := &migrate.Plan{SlogDir: plan.SlogDir, SlogFiles: plan.SlogFiles}
	if err := up.Archive(j, root.SlogDir+".waltool-downgrade-archive"); err != nil {
		t.Fatal(err)
	}
	j.Close() // the process dies here

	out, errs, code := waltool(t, append([]string{"migrate", "resume"}, dd...)...)
	if code != 0 || !strings.Contains(out, "DOWNGRADE TO 2.3 APPLIED") || !strings.Contains(out, "proof: EQUAL") {
		t.Fatalf("resume: exit %d:\n%s%s", code, out, errs)
	}
	if _, err := os.Stat(plan.SlogStart.Path); err != nil {
		t.Fatalf("no header-only slog file after the resume: %v", err)
	}
	if out, _, _ := waltool(t, append([]string{"migrate", "status"}, dd...)...); !strings.Contains(out, "FINISHED") || !strings.Contains(out, "archive (") || !strings.Contains(out, "slog (") {
		t.Fatalf("status:\n%s", out)
	}
}

// A slog dir that is not there may be a slog dir pointed at wrongly (2.3's
// start file would go to the wrong place): the downgrade says so and
// refuses (exit 1), until --no-slog states that the root has none; then
// the dir is created.
func TestMigrateDowngradeMissingSlogDir(t *testing.T) {
	m, dd := upgradedRoot(t)
	root, err := dataroot.Open(dataroot.Options{Root: m.Root, Server: dataroot.Flags("", m.DataDirs)})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(root.SlogDir); err != nil {
		t.Fatal(err)
	}
	if out, _, code := waltool(t, append([]string{"migrate", "downgrade", "--to", "2.4"}, dd...)...); code != exitFindings || !strings.Contains(out, "MISSING") || !strings.Contains(out, "--no-slog") {
		t.Fatalf("missing slog dir: exit %d:\n%s", code, out)
	}
	if out, errs, code := waltool(t, append([]string{"migrate", "downgrade", "--to", "2.3", "--no-slog", "--apply"}, dd...)...); code != 0 {
		t.Fatalf("--no-slog --apply: exit %d:\n%s%s", code, out, errs)
	}
	if ents, err := os.ReadDir(root.SlogDir); err != nil || len(ents) != 1 {
		t.Fatalf("the slog dir after the downgrade: %v %v", ents, err)
	}
}
