package dataroot

import (
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/waltool/waltool/finding"
	"github.com/waltool/waltool/gpid"
	"github.com/waltool/waltool/vfs"
)

func gp(app, pidx int32) gpid.Gpid { return gpid.Gpid{App: app, Partition: pidx} }

// mkReplica builds a healthy replica dir with CreateReplicaDir.
func mkReplica(t *testing.T, dataDir string, g gpid.Gpid, partitions int32, cps ...int64) string {
	t.Helper()
	ai := NewAppInfo("t", g.App, partitions)
	ii := InitInfo{InitBallot: 1}
	if len(cps) > 0 {
		ii.InitDurableDecree = cps[0]
	}
	dir, err := CreateReplicaDir(vfs.OS, dataDir, ReplicaSpec{Gpid: g, AppInfo: &ai, InitInfo: &ii, Checkpoints: cps})
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func mkdirs(t *testing.T, paths ...string) {
	t.Helper()
	for _, p := range paths {
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

type entry struct {
	mode  fs.FileMode
	size  int64
	mtime time.Time
	data  string
}

// snapshot records everything Open could change.
func snapshot(t *testing.T, root string) map[string]entry {
	t.Helper()
	out := map[string]entry{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		e := entry{mode: fi.Mode(), size: fi.Size(), mtime: fi.ModTime()}
		if fi.Mode().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			e.data = string(b)
		}
		out[p] = e
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestOpenDefaultLayout(t *testing.T) {
	root := t.TempDir()
	reps := filepath.Join(root, "replica", "reps")
	slog := filepath.Join(root, "replica", "slog")
	mkdirs(t, slog, filepath.Join(reps, "junk"), filepath.Join(reps, "01.0.pegasus"),
		filepath.Join(reps, "1.1.pegasus.1700000000000000.err"), filepath.Join(reps, "2.0.pegasus.gar"),
		filepath.Join(reps, "1.0.pegasus", "data", "checkpoint.tmp.5"))
	if err := os.WriteFile(filepath.Join(slog, "log.1.0"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(reps, "notes.txt"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	mkReplica(t, reps, gp(2, 3), 8)
	mkReplica(t, reps, gp(1, 1), 8, 5)
	// 1.0.pegasus exists already (a stray checkpoint dir); add its files.
	ai, ii := NewAppInfo("t", 1, 8), InitInfo{InitBallot: 2, InitDurableDecree: 20}
	d10 := filepath.Join(reps, "1.0.pegasus")
	mkdirs(t, filepath.Join(d10, "plog"), filepath.Join(d10, "data", "checkpoint.10"), filepath.Join(d10, "data", "checkpoint.20"))
	if err := WriteAppInfo(vfs.OS, filepath.Join(d10, AppInfoFile), ai); err != nil {
		t.Fatal(err)
	}
	if err := WriteInitInfo(vfs.OS, filepath.Join(d10, InitInfoFile), ii); err != nil {
		t.Fatal(err)
	}

	before := snapshot(t, root)
	r, err := Open(Options{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	findings := append(append([]finding.Finding(nil), r.Findings...), r.Validate()...)
	if after := snapshot(t, root); !reflect.DeepEqual(before, after) {
		t.Error("Open or Validate changed the tree")
	}

	if r.SlogDir != slog || !r.SlogExists {
		t.Errorf("slog %s exists=%v", r.SlogDir, r.SlogExists)
	}
	if want := []DataDir{{Tag: DefaultTag, Path: reps}}; !reflect.DeepEqual(r.DataDirs, want) {
		t.Errorf("data dirs %v", r.DataDirs)
	}
	var got []gpid.Gpid
	for _, rep := range r.Replicas {
		got = append(got, rep.Gpid)
	}
	if want := []gpid.Gpid{gp(1, 0), gp(1, 1), gp(2, 3)}; !reflect.DeepEqual(got, want) {
		t.Fatalf("replicas %v, want %v", got, want)
	}
	rep := r.Replica(gp(1, 0))
	wantRep := &Replica{
		Gpid: gp(1, 0), AppType: "pegasus", Dir: d10, DataDir: r.DataDirs[0], PlogDir: filepath.Join(d10, "plog"),
		InitInfo: &ii, AppInfo: &ai, Checkpoints: []int64{10, 20}, DurableDecree: 20,
		LeftoverCheckpoints: []string{"checkpoint.tmp.5"},
	}
	if !reflect.DeepEqual(rep, wantRep) {
		t.Errorf("replica 1.0:\n got %+v\nwant %+v", rep, wantRep)
	}
	if r.Replica(gp(2, 3)) == nil || r.Replica(gp(2, 2)) != nil || r.Replica(gp(9, 0)) != nil {
		t.Error("Replica lookup")
	}

	var skipped []string
	for _, s := range r.Skipped {
		skipped = append(skipped, filepath.Base(s.Path))
	}
	if want := []string{"01.0.pegasus", "1.1.pegasus.1700000000000000.err", "2.0.pegasus.gar", "junk"}; !reflect.DeepEqual(skipped, want) {
		t.Errorf("skipped %v, want %v", skipped, want)
	}
	wantFindings := []struct {
		base string
		sev  finding.Class
		msg  string
	}{
		{"01.0.pegasus", finding.Corrupt, "2.4 loads it as 1.0.pegasus, 2.5 aborts on it; 2.6 aborts on it"},
		{"junk", finding.Warning, "invalid replica dir"},
		{"data", finding.Warning, "checkpoint.tmp.5"},
	}
	if len(findings) != len(wantFindings) {
		t.Fatalf("findings %v", findings)
	}
	for i, w := range wantFindings {
		f := findings[i]
		if filepath.Base(f.Path) != w.base || f.Class != w.sev || !strings.Contains(f.Message, w.msg) {
			t.Errorf("finding %d: %v, want %s %s ...%s...", i, f, w.base, w.sev, w.msg)
		}
	}
}

func TestOpenTaggedDataDirs(t *testing.T) {
	base := t.TempDir()
	d1 := filepath.Join(base, "ssd1", "replica", "reps")
	d2 := filepath.Join(base, "ssd2", "replica", "reps")
	mkReplica(t, d1, gp(1, 0), 4)
	mkReplica(t, d1, gp(3, 1), 4)
	dup := mkReplica(t, d2, gp(1, 0), 4)
	slog := filepath.Join(base, "elsewhere")

	r, err := Open(Options{Server: Flags(slog, "ssd1:"+filepath.Join(base, "ssd1")+",ssd2:"+filepath.Join(base, "ssd2")+
		",ssd3:"+filepath.Join(base, "ssd3"))})
	if err != nil {
		t.Fatal(err)
	}
	if r.SlogDir != slog || r.SlogExists {
		t.Errorf("slog %s exists=%v", r.SlogDir, r.SlogExists)
	}
	if len(r.Replicas) != 3 || r.Replicas[0].DataDir.Tag != "ssd1" || r.Replicas[1].DataDir.Tag != "ssd2" || r.Replicas[2].Gpid != gp(3, 1) {
		t.Fatalf("replicas %+v", r.Replicas)
	}
	if got := r.Replica(gp(1, 0)); got.DataDir.Tag != "ssd1" {
		t.Errorf("lookup of a duplicated gpid gave %s", got.Dir)
	}
	want := []finding.Finding{
		{Path: slog, Class: finding.Warning}, // no slog there: said, not silently OK
		{Path: filepath.Join(base, "ssd3", "replica", "reps"), Class: finding.Missing},
		{Path: dup, Class: finding.Corrupt},
	}
	if len(r.Findings) != len(want) {
		t.Fatalf("findings %v", r.Findings)
	}
	for i, w := range want {
		if r.Findings[i].Path != w.Path || r.Findings[i].Class != w.Class {
			t.Errorf("finding %d: %v, want %s %s", i, r.Findings[i], w.Class, w.Path)
		}
	}
	if !strings.Contains(r.Findings[2].Message, "conflict replica dir") {
		t.Errorf("duplicate message: %s", r.Findings[2].Message)
	}
}

func TestOpenOptions(t *testing.T) {
	base := t.TempDir()
	file := filepath.Join(base, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		opts Options
		ok   bool
	}{
		{"nothing", Options{}, false},
		{"slog only", Options{Server: Flags(base, "")}, false},
		{"data dirs only", Options{Server: Flags("", base)}, false},
		{"both overrides", Options{Server: Flags(base, base)}, true},
		{"missing root", Options{Root: filepath.Join(base, "nope")}, false},
		{"root is a file", Options{Root: file}, false},
		{"bad data dirs", Options{Root: base, Server: Flags("", "a:/x,/y")}, false},
		{"empty root", Options{Root: base}, true},
	} {
		_, err := Open(tc.opts)
		if (err == nil) != tc.ok {
			t.Errorf("%s: err = %v", tc.name, err)
		}
	}
}

func TestSlogDirFromConfig(t *testing.T) {
	if got := SlogDirFromConfig("/data", ""); got != "/data/replica/slog" {
		t.Error(got)
	}
	if got := SlogDirFromConfig("/data", "/ssd0/pegasus"); got != "/ssd0/pegasus/replica/slog" {
		t.Error(got)
	}
}

func TestOpenReplica(t *testing.T) {
	reps := t.TempDir()
	dir := mkReplica(t, reps, gp(4, 2), 8, 9)
	r, err := OpenReplica(vfs.OS, dir+"/")
	if err != nil {
		t.Fatal(err)
	}
	if r.SlogDir != "" || r.SlogExists || len(r.Findings) != 0 || len(r.Validate()) != 0 {
		t.Errorf("root %+v, findings %v", r, r.Validate())
	}
	if rep := r.Replica(gp(4, 2)); rep == nil || rep.Dir != dir || rep.DataDir.Path != reps || rep.DurableDecree != 9 {
		t.Errorf("replica %+v", rep)
	}

	errDir := dir + ".1700000000000000.err"
	if err := os.Rename(dir, errDir); err != nil {
		t.Fatal(err)
	}
	r, err = OpenReplica(vfs.OS, errDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Findings) != 1 || !strings.Contains(r.Findings[0].Message, "Pegasus skips it") {
		t.Errorf("findings %v", r.Findings)
	}
	for _, bad := range []string{filepath.Join(reps, "nope"), filepath.Join(errDir, AppInfoFile), reps} {
		if _, err := OpenReplica(vfs.OS, bad); err == nil {
			t.Errorf("%s: opened", bad)
		}
	}
}
