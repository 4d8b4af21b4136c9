package replay

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/waltool/waltool/dataroot"
	"github.com/waltool/waltool/decrees"
	"github.com/waltool/waltool/format"
	"github.com/waltool/waltool/gpid"
	"github.com/waltool/waltool/pegasus"
	"github.com/waltool/waltool/vfs"
)

// stream draws values from fuzz input: extreme values often, small steps
// from the previous value otherwise, so that both the int64 edges and
// realistic near-contiguous decrees are reached.
type stream struct{ b []byte }

func (s *stream) byte() byte {
	if len(s.b) == 0 {
		return 0
	}
	c := s.b[0]
	s.b = s.b[1:]
	return c
}

var extremes = [...]int64{math.MinInt64, math.MinInt64 + 1, -1, 0, 1, math.MaxInt32, math.MaxInt64 - 1, math.MaxInt64}

func (s *stream) value(prev int64) int64 {
	c := s.byte()
	switch {
	case c < 24:
		return extremes[c%8]
	case c < 40:
		var b [8]byte
		for i := range b {
			b[i] = s.byte()
		}
		return int64(binary.LittleEndian.Uint64(b[:]))
	default:
		d := int64(c%8) - 3 // -3..+4
		if d > 0 && prev > math.MaxInt64-d || d < 0 && prev < math.MinInt64-d {
			return prev
		}
		return prev + d
	}
}

type fuzzMutation struct {
	ballot, decree, lcd, logOffset int64
	private                        bool
}

func fuzzParams(data []byte) (durable, ballot, initPrivate, initShared int64, maxCount int, ms []fuzzMutation) {
	s := &stream{b: data}
	durable = s.value(0)
	ballot = s.value(1)
	initPrivate = s.value(0)
	initShared = s.value(0)
	maxCount = 1 + int(s.byte())%200
	var b, d, l, o int64 = ballot, durable, durable, 0
	for len(s.b) > 0 && len(ms) < 2000 {
		b, d, l, o = s.value(b), s.value(d), s.value(l), s.value(o)
		ms = append(ms, fuzzMutation{b, d, l, o, s.byte()&1 == 0})
	}
	return
}

// FuzzReplayModel drives the replay model (replica::replay_mutation, the
// prepare list, the lost/holes/above reports) with random streams and
// metadata, extreme decrees, ballots and offsets included: no panic, no
// hang, and memory bounded by the input (decree sets stay ranges, the
// prepare list stays within max_count). Inputs whose first byte is odd are
// also written as a data root (plog and slog) and replayed by Run under
// every version, through the codec and the chain rules.
func FuzzReplayModel(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0, 1, 0, 0, 109, 40, 41, 40, 40, 0, 41, 42, 41, 41, 1})
	f.Add([]byte{7, 7, 0, 0, 5, 7, 7, 6, 3, 0, 7, 7, 6, 3, 1}) // decree 2^63-1
	f.Add([]byte{1, 7, 3, 3, 10, 44, 44, 43, 44, 0, 45, 45, 44, 45, 1, 23, 44, 44, 44, 0})
	f.Add([]byte{3, 0, 0, 0, 2, 0, 7, 7, 7, 1, 0, 7, 7, 7, 0, 7, 0, 0, 0, 1}) // MinInt64 ballots and decrees
	f.Fuzz(func(t *testing.T, data []byte) {
		durable, ballot, initPrivate, initShared, maxCount, ms := fuzzParams(data)
		within(t, 10*time.Second, func() {
			r := newReplica(gpid.Gpid{App: 1, Partition: 0}, durable, ballot, initPrivate, initShared, maxCount)
			var accepted decrees.Set
			for _, x := range ms {
				m := &format.Mutation{Ballot: x.ballot, Decree: x.decree, LastCommittedDecree: x.lcd, LogOffset: x.logOffset}
				ok, err := r.replayMutation(m, Loc{}, x.private)
				if err != nil {
					break
				}
				if ok {
					accepted.Add(x.decree)
				}
				if r.plist.count() > maxCount {
					t.Fatalf("prepare list holds %d > %d", r.plist.count(), maxCount)
				}
			}
			if len(accepted.Ranges()) > len(ms) {
				t.Fatalf("%d ranges for %d mutations", len(accepted.Ranges()), len(ms))
			}
			c, p := r.snapshot()
			_, es := r.recovered()
			if len(es) > maxCount {
				t.Fatalf("%d prepared > %d", len(es), maxCount)
			}
			lost(c, &p, durable, &accepted)
			lost(durable, &accepted, c, &p)
			holes(c, p.Ranges())
			holes(math.MinInt64, accepted.Ranges())
			above(accepted.Minus(&p), c)
			above(p.Ranges(), math.MaxInt64)
			decrees.Count(accepted.Ranges())
		})
		if len(data) > 0 && data[0]&1 == 1 && len(ms) <= 64 {
			fuzzRoot(t, durable, ballot, initPrivate, initShared, ms)
		}
	})
}

// fuzzRoot writes the stream as a replica's plog (the private ones) and a
// slog (the others), with the metadata, and replays the root.
func fuzzRoot(t *testing.T, durable, ballot, initPrivate, initShared int64, ms []fuzzMutation) {
	root := t.TempDir()
	g := gpid.Gpid{App: 1, Partition: 0}
	ai := dataroot.NewAppInfo("t", g.App, 8)
	ii := dataroot.InitInfo{InitBallot: ballot, InitDurableDecree: min(durable, 0), InitOffsetInPrivateLog: initPrivate, InitOffsetInSharedLog: initShared}
	var cps []int64
	if durable > 0 {
		cps = []int64{durable}
	}
	dir, err := dataroot.CreateReplicaDir(vfs.OS, filepath.Join(root, "replica", "reps"), dataroot.ReplicaSpec{Gpid: g, AppInfo: &ai, InitInfo: &ii, Checkpoints: cps})
	if err != nil {
		t.Skip(err) // metadata the writer refuses
	}
	slogDir := filepath.Join(root, "replica", "slog")
	if err := os.MkdirAll(slogDir, 0o755); err != nil {
		t.Fatal(err)
	}
	pw := format.NewLogWriter(filepath.Join(dir, "plog"), 0, 0, []format.ReplicaLogInfo{{Gpid: g}}, format.WriterOptions{MaxFileSize: 512})
	sw := format.NewLogWriter(slogDir, 0, 0, nil, format.WriterOptions{MaxFileSize: 512})
	for _, x := range ms {
		m := &format.Mutation{Gpid: g, Ballot: x.ballot, Decree: x.decree, LastCommittedDecree: x.lcd, Updates: []format.Update{{Code: "RPC_REPLICATION_WRITE_EMPTY"}}}
		w := sw
		if x.private {
			w = pw
		}
		if err := w.Append(m); err != nil {
			t.Fatal(err)
		}
	}
	pw.Close()
	sw.Close()
	within(t, 10*time.Second, func() {
		r, err := dataroot.Open(dataroot.Options{Root: root})
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range []pegasus.Version{pegasus.V23, pegasus.V24, pegasus.V26} {
			if _, err := Run(r, Options{Version: v, DurableDecrees: map[gpid.Gpid]int64{g: durable}}); err != nil {
				t.Fatal(err)
			}
		}
	})
}
