package replay

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/waltool/waltool/dataroot"
	"github.com/waltool/waltool/decrees"
	"github.com/waltool/waltool/finding"
	"github.com/waltool/waltool/format"
	"github.com/waltool/waltool/gpid"
	"github.com/waltool/waltool/pegasus"
)

// within fails the test if f does not return in d: the hostile inputs
// below used to spin forever.
func within(t *testing.T, d time.Duration, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("did not finish in %v", d)
	}
}

// Issue 9: checkpoint.9223372036854775807 made replay spin (lost() looped
// from durable+1, which wrapped), as did --durable-decrees at 2^63-1 and a
// plog mutation of decree 2^63-1. Decree arithmetic saturates or walks
// ranges; the checkpoint is a finding (the server aborts on it).
func TestExtremeDecreesDoNotHang(t *testing.T) {
	const maxD = math.MaxInt64
	t.Run("checkpoint", func(t *testing.T) {
		tr := newRoot(t)
		tr.replica(g14, 0, dataroot.InitInfo{InitBallot: 1}, seq(1, 1, 5))
		reps, _ := filepath.Glob(filepath.Join(tr.reps(), "1.4.*"))
		if err := os.Mkdir(filepath.Join(reps[0], "data", "checkpoint.9223372036854775807"), 0o755); err != nil {
			t.Fatal(err)
		}
		var res *Result
		within(t, 10*time.Second, func() { res = tr.run(Options{}) })
		if res.OK || !strings.Contains(findingsText(res), "largest int64") {
			t.Fatalf("want a corrupt finding for the checkpoint: %+v", res.Findings)
		}
		root, err := dataroot.Open(dataroot.Options{Root: tr.root})
		if err != nil {
			t.Fatal(err)
		}
		if !finding.AnyFatal(root.Validate()) {
			t.Fatal("Validate (and so verify) says the checkpoint is fine")
		}
	})
	for _, v := range []pegasus.Version{pegasus.V23, pegasus.V24, pegasus.V26} {
		t.Run("durable-decrees "+string(v), func(t *testing.T) {
			tr := newRoot(t)
			tr.replica(g14, 0, dataroot.InitInfo{InitBallot: 1}, seq(1, 1, 5))
			w := tr.slogWriter()
			writeAll(t, w, g14, seq(1, 1, 7))
			var res *Result
			within(t, 10*time.Second, func() {
				res = tr.run(Options{Version: v, DurableDecrees: map[gpid.Gpid]int64{g14: maxD}})
			})
			r := res.Replicas[0]
			if r.CommittedDecree != maxD || len(r.Lost) != 0 || len(r.Holes) != 0 {
				t.Fatalf("%+v", r)
			}
		})
	}
	t.Run("mutation decree after a jump", func(t *testing.T) {
		tr := newRoot(t)
		tr.replica(g14, 0, dataroot.InitInfo{InitBallot: 1}, append(seq(1, 1, 3), write{m: mu{1, maxD, maxD - 1}}))
		w := tr.slogWriter()
		writeAll(t, w, g14, append(seq(1, 1, 3), write{m: mu{5, maxD, 3}}))
		for _, v := range []pegasus.Version{pegasus.V23, pegasus.V24, pegasus.V26} {
			var res *Result
			within(t, 10*time.Second, func() { res = tr.run(Options{Version: v}) })
			r := res.Replicas[0]
			if r.Error != "" || r.CommittedDecree != 2 || len(r.Prepared) != 1 || r.Prepared[0].Last != maxD {
				t.Fatalf("%s: %+v", v, r)
			}
			if decrees.Count(r.Holes) != maxD-3 {
				t.Fatalf("%s: holes %v", v, r.Holes)
			}
		}
	})
	t.Run("mutation decree that does not fit", func(t *testing.T) {
		tr := newRoot(t)
		tr.replica(g14, 0, dataroot.InitInfo{InitBallot: 1}, append(seq(1, 1, 3), write{m: mu{1, maxD, 3}}))
		var res *Result
		within(t, 10*time.Second, func() { res = tr.run(Options{}) })
		if res.OK || !strings.Contains(res.Abort, "mutation_cache::put: decree 9223372036854775807 does not fit") {
			t.Fatalf("want the capacity abort: %q %+v", res.Abort, res.Replicas[0])
		}
	})
}

func findingsText(res *Result) string {
	var b strings.Builder
	for _, f := range res.Findings {
		b.WriteString(f.Error() + "\n")
	}
	return b.String()
}

// Issue 9: two valid plog files sharing index 2 made replay print "plog
// open failed" and treat the replica as moved to .err, with no ABORT:
// mutation_log::open CHECK-fails ("invalid log_index"), which aborts the
// server.
func TestDuplicatePlogIndexAborts(t *testing.T) {
	tr := newRoot(t)
	w := tr.replica(g14, 0, dataroot.InitInfo{InitBallot: 1}, seq(1, 1, 3))
	_ = w
	reps, _ := filepath.Glob(filepath.Join(tr.reps(), "1.4.*", "plog"))
	w2 := format.NewLogWriter(reps[0], 1, 1<<20, []format.ReplicaLogInfo{{Gpid: g14}}, format.WriterOptions{})
	writeAll(t, w2, g14, seq(1, 4, 4))
	w3 := format.NewLogWriter(reps[0], 1, 2<<20, []format.ReplicaLogInfo{{Gpid: g14}}, format.WriterOptions{})
	writeAll(t, w3, g14, seq(1, 4, 4))
	res := tr.run(Options{})
	if res.OK || !strings.Contains(res.Abort, "invalid log_index") {
		t.Fatalf("abort %q, replicas %+v", res.Abort, res.Replicas[0])
	}
	if !strings.Contains(findingsText(res), "aborts the server") {
		t.Fatalf("findings: %s", findingsText(res))
	}
}

// Issue 9: an ABORT from the slog replay named no file or offset, the
// header said "0 mutations" and the aborting replica's row said "ok".
func TestSlogAbortIsLocated(t *testing.T) {
	tr := newRoot(t)
	tr.replica(g14, 0, dataroot.InitInfo{InitBallot: 1}, seq(1, 1, 3))
	w := tr.slogWriter()
	// Decree 6 commits up to 5, across 4, which neither log holds:
	// prepare_list::commit CHECK-fails on the missing decree.
	writeAll(t, w, g14, append(seq(1, 1, 3), write{m: mu{1, 5, 3}}, write{m: mu{1, 6, 5}}))
	res := tr.run(Options{})
	if res.OK || !strings.Contains(res.Abort, "slog") || !strings.Contains(res.Abort, "log.1.0: mutation at offset") {
		t.Fatalf("abort %q", res.Abort)
	}
	if res.Slog.Mutations != 5 {
		t.Errorf("slog mutations %d, want the 5 delivered", res.Slog.Mutations)
	}
	if r := res.Replicas[0]; !strings.Contains(r.Error, "aborts") {
		t.Errorf("the aborting replica's row: %+v", r)
	}
	var located int
	for _, f := range res.Findings {
		if f.Class == finding.Corrupt && strings.HasSuffix(f.Path, "slog/log.1.0") && f.Offset > 0 && f.Gpid != nil {
			located++
		}
	}
	if located != 1 {
		t.Errorf("want one located abort finding: %s", findingsText(res))
	}
}
