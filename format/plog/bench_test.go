package plog

import (
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"testing"

	"github.com/waltool/waltool/vfs"
)

// nullFS is the real filesystem for names and directories, but its files
// discard what is written and its syncs cost nothing: what is left is the
// writer's own CPU cost per Append (queueing, rounds, encoding, handoffs).
type nullFS struct{ vfs.FS }

type nullFile struct{ vfs.File }

func (nullFile) Write(p []byte) (int, error) { return len(p), nil }
func (nullFile) Sync() error                 { return nil }

type nullDir struct{ vfs.Dir }

func (nullDir) Sync() error   { return nil }
func (nullDir) SyncFS() error { return nil }

func (f nullFS) Create(name string) (vfs.File, error) {
	file, err := f.FS.Create(name)
	if err != nil {
		return nil, err
	}
	return nullFile{file}, nil
}

func (f nullFS) OpenDir(dir string) (vfs.Dir, error) {
	d, err := f.FS.OpenDir(dir)
	if err != nil {
		return nil, err
	}
	return nullDir{d}, nil
}

func (nullFS) SyncDir(string) error { return nil }

// BenchmarkAppend is the CPU ceiling of the writer: 32 clients (16 per
// core on 2 cores) appending 1,000-byte PUTs to 64 replicas on one disk,
// with writes and flushes that cost nothing.
//
//	go test -run '^$' -bench Append -benchmem ./format/plog/
func BenchmarkAppend(b *testing.B) {
	for _, p := range []struct {
		name  string
		sync  SyncPolicy
		flush FlushMethod
	}{{"batch-syncfs", SyncBatch, FlushSyncfs}, {"batch-fdatasync", SyncBatch, FlushFdatasync}, {"none", SyncNone, FlushFdatasync}} {
		b.Run(p.name, func(b *testing.B) {
			rs := replicas([]string{b.TempDir()}, 64)
			w, err := Open(rs, Options{FS: nullFS{vfs.OS}, Sync: p.sync, Flush: p.flush})
			if err != nil {
				b.Fatal(err)
			}
			value := make([]byte, 1000)
			var decrees [64]atomic.Int64
			var seed atomic.Uint64
			b.SetParallelism(16)
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				rng := rand.New(rand.NewPCG(seed.Add(1), 7))
				m := put(rs[0].Gpid, 1, 0)
				m.Updates[0].Data = value
				for pb.Next() {
					r := rng.IntN(len(rs))
					g := rs[r].Gpid
					m.Gpid, m.Decree = g, decrees[r].Add(1)
					if err := w.Append(g, m); err != nil {
						panic(fmt.Sprint(err))
					}
				}
			})
			b.StopTimer()
			st := w.Stats()[0]
			if st.Rounds > 0 {
				b.ReportMetric(float64(st.Mutations)/float64(st.Rounds), "appends/round")
			}
			if err := w.Close(); err != nil {
				b.Fatal(err)
			}
		})
	}
}
