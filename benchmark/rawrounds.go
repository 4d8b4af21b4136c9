package benchmark

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/waltool/waltool/format"
	"github.com/waltool/waltool/format/rrdb"
	"github.com/waltool/waltool/internal/par"
	"github.com/waltool/waltool/verify"
	"github.com/waltool/waltool/vfs"
)

// RawRounds is the ceiling of per-replica plogs flushed in shared rounds
// on these disks: plog-parallel's I/O alone (see run).
type RawRounds struct{}

func (RawRounds) Name() string { return "raw-rounds" }

func (m RawRounds) Run(cfg WriteConfig) (WriteResult, error) {
	return inRunDirs(cfg, m.Name(), func(rd runDirs) (WriteResult, []verify.DirSpec, error) {
		res, err := m.run(cfg, rd)
		return res, nil, err
	})
}

// run is the raw-rounds mode: the I/O that plog-parallel's rounds
// make, with no writer, no log format and no clients to wait for. Each
// round picks a replica for each of cfg.Clients appends (as the clients
// do), writes one record per pick to that replica's file (the picks of one
// file in one write, as the writer's group commit does), starts the
// writeback, then flushes every disk the way plog-parallel does, back to
// back. Its qps is the ceiling of the plog writer's I/O pattern on these
// disks: every round always covers every client, and nothing but the
// system calls costs time.
//
// The files are created as plog.Open and a writer's rounds create them
// (every dir first, then each file by the round that first writes to it),
// because that decides where ext4 puts their inodes, and so how many
// inode-table blocks a round writes back.
func (RawRounds) run(cfg WriteConfig, rd runDirs) (WriteResult, error) {
	res := WriteResult{Mode: "raw-rounds", Clients: cfg.Clients, Sync: cfg.Sync, Flush: cfg.Flush, Streams: cfg.Replicas}
	// One record: a PUT of the workload in its own block (header included).
	data := rrdb.EncodePut(rrdb.Put{HashKey: []byte("client000000"), SortKey: []byte("sortkey0"), Value: bytes.Repeat([]byte{'v'}, cfg.ValueSize)}, 0)
	m := &format.Mutation{Gpid: gpidOf(0), Ballot: 1, Decree: 1, Updates: []format.Update{{Code: "RPC_RRDB_RRDB_PUT", SerializationType: 1, Data: data}}}
	record := m.Size() + format.BlockHeaderSize

	files := make([]vfs.File, cfg.Replicas)
	// named: the file's name is durable (its dir was synced after the
	// create); syncfs rounds cover names, fdatasync rounds sync the dir.
	named := make([]bool, cfg.Replicas)
	defer func() {
		for _, f := range files {
			if f != nil {
				f.Close()
			}
		}
	}()
	for r := range files {
		if err := os.MkdirAll(rd.plog(r), 0o755); err != nil {
			return res, err
		}
	}
	// create is a file's creation by the first round that picks it.
	create := func(r int) error {
		f, err := vfs.OS.Create(filepath.Join(rd.plog(r), "log.1.0"))
		if err != nil {
			return err
		}
		files[r] = f
		if p, ok := f.(vfs.Preallocator); ok && cfg.Preallocate {
			p.Preallocate(0, format.DefaultMaxFileSize)
		}
		return nil
	}

	disks := make([]vfs.Dir, len(rd))
	for i, dir := range rd {
		d, err := vfs.OS.OpenDir(dir)
		if err != nil {
			return res, err
		}
		defer d.Close()
		disks[i] = d
	}
	// A round's picks per replica, and the bytes written to each file
	// (where its writeback starts).
	picks := make([]int, cfg.Replicas)
	sizes := make([]int64, cfg.Replicas)
	// flush is a round's flush, as plog-parallel's --flush makes it.
	flush := func(written []int) error {
		if cfg.Flush == "fdatasync" {
			return forEach(written, cfg.Parallelism, func(r int) error {
				if !named[r] {
					if err := vfs.OS.SyncDir(rd.plog(r)); err != nil {
						return err
					}
					named[r] = true
				}
				return files[r].Sync()
			})
		}
		// syncfs, then a cache flush (the writer fdatasyncs one of the
		// round's files; the same flush, measured no different), every
		// disk at once.
		return forEach(disks, len(disks), func(d vfs.Dir) error {
			if err := d.SyncFS(); err != nil {
				return err
			}
			return d.Sync()
		})
	}

	buf := bytes.Repeat([]byte{'r'}, record*cfg.Clients)
	rng := rand.New(rand.NewPCG(1, 42))
	var written []int
	var rounds []int64
	devs := devices(cfg.Dirs)
	before := snapshotDevices(devs)
	start := time.Now()
	for time.Since(start) < cfg.Duration {
		t0 := time.Now()
		written = written[:0]
		clear(picks)
		for range cfg.Clients {
			r := rng.IntN(cfg.Replicas)
			if picks[r] == 0 {
				written = append(written, r)
			}
			picks[r]++
		}
		if err := forEach(written, cfg.Parallelism, func(r int) error {
			if files[r] == nil {
				if err := create(r); err != nil {
					return err
				}
			}
			f, n := files[r], picks[r]*record
			if _, err := f.Write(buf[:n]); err != nil {
				return err
			}
			if ws, ok := f.(vfs.WritebackStarter); ok && cfg.Writeback && cfg.Sync == "batch" {
				ws.StartWriteback(sizes[r], int64(n))
			}
			sizes[r] += int64(n)
			return nil
		}); err != nil {
			return res, err
		}
		if cfg.Sync == "batch" {
			if err := flush(written); err != nil {
				return res, err
			}
			if cfg.Flush == "fdatasync" {
				res.Syncs += int64(len(written))
			} else {
				res.Syncs += 2 * int64(len(disks))
			}
		}
		rounds = append(rounds, int64(time.Since(t0)))
		res.Writes += int64(len(written))
	}
	ld := load{recs: []*recorder{{}}, elapsed: time.Since(start), before: before, after: snapshotDevices(devs)}
	// Each client's append would wait for its round: one latency per pick.
	for _, ns := range rounds {
		for range cfg.Clients {
			ld.recs[0].lat = append(ld.recs[0].lat, ns)
		}
	}
	out := summarize(res.Mode, cfg, ld)
	out.Streams, out.Flush, out.Writes = res.Streams, res.Flush, res.Writes
	out.Rounds, out.Syncs, out.Bytes = int64(len(rounds)), res.Syncs, int64(len(rounds)*cfg.Clients*record)
	return out, nil
}

// forEach calls f on every item, from up to workers goroutines, and
// returns the first error.
func forEach[T any](items []T, workers int, f func(T) error) error {
	errs := make([]error, len(items))
	par.Each(len(items), workers, func(i int) { errs[i] = f(items[i]) })
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
