package replay

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/waltool/waltool/dataroot"
	"github.com/waltool/waltool/finding"
	"github.com/waltool/waltool/gpid"
	"github.com/waltool/waltool/pegasus"
)

// openRun opens the root with opts (Root set) and replays it.
func openRun(t *testing.T, opts dataroot.Options, ro Options) *Result {
	t.Helper()
	r, err := dataroot.Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(r, ro)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// fatalAbout returns the first fatal finding whose path is path.
func fatalAbout(res *Result, path string) *finding.Finding {
	for i, f := range res.Findings {
		if f.Class.Fatal() && f.Path == path {
			return &res.Findings[i]
		}
	}
	return nil
}

// Issue 9, "no safe without evidence": replay --server-version 2.6
// --slog-dir /nonexistent ROOT said "nothing is lost" and exited 0; so did
// a root whose slog was moved elsewhere, and a slog dir that is a symlink
// loop. Now each is a fatal finding naming the dir looked for and how to
// point elsewhere, unless the operator states there is no slog.
func TestNoSafeWithoutTheSlog(t *testing.T) {
	tr := newRoot(t)
	tr.replica(g14, 0, dataroot.InitInfo{InitBallot: 1}, seq(1, 1, 6))
	writeAll(t, tr.slogWriter(), g14, seq(1, 1, 10))
	for _, v := range []pegasus.Version{pegasus.V24, pegasus.V26} {
		// With the slog: 2.4 is safe, 2.6 loses 7..10.
		if res := openRun(t, dataroot.Options{Root: tr.root}, Options{Version: v}); res.OK != (v == pegasus.V24) {
			t.Fatalf("%s with its slog: ok=%v", v, res.OK)
		}
		nonexistent := filepath.Join(tr.root, "nonexistent")
		res := openRun(t, dataroot.Options{Root: tr.root, Server: dataroot.Flags(nonexistent, "")}, Options{Version: v})
		f := fatalAbout(res, nonexistent)
		if res.OK || f == nil || !strings.Contains(f.Message, "no slog was read") || !strings.Contains(f.Message, "--slog-dir") || !strings.Contains(f.Message, "--no-slog") {
			t.Fatalf("%s --slog-dir %s: ok=%v findings %v", v, nonexistent, res.OK, res.Findings)
		}
	}

	// The slog moved elsewhere: ROOT/replica/slog is gone.
	moved := filepath.Join(tr.root, "moved-slog")
	if err := os.Rename(tr.slog(), moved); err != nil {
		t.Fatal(err)
	}
	res := openRun(t, dataroot.Options{Root: tr.root}, Options{Version: pegasus.V26})
	if res.OK || fatalAbout(res, tr.slog()) == nil || res.NoSlogRead == "" {
		t.Fatalf("moved slog: ok=%v %v", res.OK, res.Findings)
	}
	// Pointed at it, the verdict is back (2.6 loses 7..10).
	res = openRun(t, dataroot.Options{Root: tr.root, Server: dataroot.Flags(moved, "")}, Options{Version: pegasus.V26})
	if res.OK || res.NoSlogRead != "" || len(res.Replicas[0].Lost) == 0 {
		t.Fatalf("slog pointed at: %+v", res)
	}
	// --no-slog: the operator states there is none; a plog-only root is safe.
	res = openRun(t, dataroot.Options{Root: tr.root, NoSlog: true}, Options{Version: pegasus.V26})
	if !res.OK || res.ServerDirs == nil || !res.ServerDirs.NoSlog {
		t.Fatalf("--no-slog: ok=%v %v", res.OK, res.Findings)
	}
	// --no-slog on a dir that holds slog files is refused.
	res = openRun(t, dataroot.Options{Root: tr.root, Server: dataroot.Flags(moved, ""), NoSlog: true}, Options{Version: pegasus.V26})
	if res.OK || fatalAbout(res, moved) == nil {
		t.Fatalf("--no-slog over slog files: ok=%v %v", res.OK, res.Findings)
	}

	// A symlink loop in place of the slog dir.
	if err := os.Symlink(tr.slog(), tr.slog()); err != nil {
		t.Fatal(err)
	}
	for _, v := range []pegasus.Version{pegasus.V24, pegasus.V26} {
		res = openRun(t, dataroot.Options{Root: tr.root}, Options{Version: v})
		if f := fatalAbout(res, tr.slog()); res.OK || f == nil || res.ServerDirs.SlogDir.State != "symlink loop" {
			t.Fatalf("%s, slog a symlink loop: ok=%v %v", v, res.OK, res.Findings)
		}
	}
	// And a regular file.
	os.Remove(tr.slog())
	if err := os.WriteFile(tr.slog(), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	res = openRun(t, dataroot.Options{Root: tr.root}, Options{Version: pegasus.V24})
	if res.OK || fatalAbout(res, tr.slog()) == nil || res.ServerDirs.SlogDir.State != "not a directory" {
		t.Fatalf("slog a file: ok=%v %v", res.OK, res.Findings)
	}
}

// Issue 9: a mistyped data dir (disk3:/path/diskTYPO) was accepted
// silently, its replicas shown only as "orphan ... dropped". Now the
// missing data dir is a fatal finding, and the orphans say a data dir may
// be missing.
func TestMistypedDataDir(t *testing.T) {
	tr := newRoot(t)
	disk2 := newRoot(t)
	g20 := gpid.Gpid{App: 2, Partition: 0}
	tr.replica(g14, 0, dataroot.InitInfo{InitBallot: 1}, seq(1, 1, 5))
	disk2.replica(g20, 0, dataroot.InitInfo{InitBallot: 1}, seq(1, 1, 5))
	sw := tr.slogWriter()
	writeAll(t, sw, g14, seq(1, 1, 5))
	writeAll(t, sw, g20, seq(1, 1, 5))
	good := "d1:" + tr.root + ",d2:" + disk2.root
	if res := openRun(t, dataroot.Options{Root: tr.root, Server: dataroot.Flags("", good)}, Options{}); !res.OK || len(res.Orphans) != 0 {
		t.Fatalf("right data dirs: %+v", res)
	}
	typo := disk2.root + "TYPO"
	res := openRun(t, dataroot.Options{Root: tr.root, Server: dataroot.Flags("", "d1:"+tr.root+",d2:"+typo)}, Options{})
	f := fatalAbout(res, filepath.Join(typo, "replica", "reps"))
	if res.OK || f == nil || !strings.Contains(f.Message, "does not exist") {
		t.Fatalf("typo: ok=%v %v", res.OK, res.Findings)
	}
	if len(res.Orphans) != 1 || res.Orphans[0].Gpid.String() != "2.0" || res.Orphans[0].Mutations != 5 {
		t.Fatalf("orphans %+v", res.Orphans)
	}
	found := false
	for _, f := range res.Findings {
		if f.Gpid != nil && *f.Gpid == g20 && strings.Contains(f.Message, "data_dirs") {
			found = true
		}
	}
	if !found {
		t.Errorf("no orphan finding with the data-dir hint: %v", res.Findings)
	}
}

// Issue 9: under 2.6, APPENDED / appended_from_slog were non-zero although
// 2.6 never reads the slog (HEAD has no slog replay in
// replica_stub::initialize).
func TestV26AppendsNothing(t *testing.T) {
	tr := newRoot(t)
	tr.replica(g14, 0, dataroot.InitInfo{InitBallot: 1}, seq(1, 1, 6))
	writeAll(t, tr.slogWriter(), g14, seq(1, 1, 10))
	if r := tr.run(Options{Version: pegasus.V25}).Replicas[0]; r.AppendedFromSlog != 5 {
		t.Fatalf("2.5 appends %d", r.AppendedFromSlog)
	}
	if r := tr.run(Options{Version: pegasus.V26}).Replicas[0]; r.AppendedFromSlog != 0 {
		t.Fatalf("2.6 appends %d", r.AppendedFromSlog)
	}
}
