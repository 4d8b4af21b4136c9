package benchmark

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/waltool/waltool/format"
	"github.com/waltool/waltool/format/plog"
	"github.com/waltool/waltool/format/slog"
	"github.com/waltool/waltool/gpid"
	"github.com/waltool/waltool/verify"
	"github.com/waltool/waltool/vfs"
)

// runDirs are an in-process mode's fresh directories, one under each of
// cfg.Dirs.
type runDirs []string

// plog is replica r's plog dir; replicas are spread over the dirs.
func (rd runDirs) plog(r int) string {
	return filepath.Join(rd[r%len(rd)], "reps", fmt.Sprintf("1.%d.pegasus", r), "plog")
}

// inRunDirs runs an in-process mode in fresh directories from a quiet
// disk, verifies the logs it says it wrote if cfg.Verify, and removes the
// directories unless cfg.Keep.
func inRunDirs(cfg WriteConfig, mode string, run func(rd runDirs) (WriteResult, []verify.DirSpec, error)) (WriteResult, error) {
	var rd runDirs
	for _, d := range cfg.Dirs {
		dir, err := os.MkdirTemp(d, "waltool-bench-"+mode+"-")
		if err != nil {
			return WriteResult{}, err
		}
		rd = append(rd, dir)
	}
	defer func() {
		if !cfg.Keep {
			for _, dir := range rd {
				os.RemoveAll(dir)
			}
		}
		// Leave no dirty pages behind for the next mode to flush.
		unix.Sync()
	}()
	// Start from a quiet disk.
	unix.Sync()
	res, specs, err := run(rd)
	if err != nil {
		return res, err
	}
	if cfg.Verify && len(specs) > 0 {
		reps, err := verify.LogDirs(specs, verify.Options{})
		if err != nil {
			return res, err
		}
		for _, r := range reps {
			if !r.OK {
				return res, fmt.Errorf("%s fails verify: %+v", r.Path, r.Findings)
			}
		}
	}
	return res, nil
}

// countingFile counts the syncs of a log file. Its Sync is fsync, as
// Pegasus's log_file::flush (rdsn's file::flush calls fsync, not
// fdatasync).
type countingFile struct {
	vfs.File
	syncs *atomic.Int64
}

func (f countingFile) Sync() error {
	f.syncs.Add(1)
	if fs, ok := f.File.(interface{ Fsync() error }); ok {
		return fs.Fsync()
	}
	return f.File.Sync()
}

// countingFS creates countingFiles.
type countingFS struct {
	vfs.FS
	syncs *atomic.Int64
}

func (c countingFS) Create(path string) (vfs.File, error) {
	f, err := c.FS.Create(path)
	if err != nil {
		return nil, err
	}
	return countingFile{f, c.syncs}, nil
}

// SharedLog is Pegasus 2.3: every replica registered in one shared log,
// whose headers list them all; one writer, one outstanding write, group
// commit (slog.Writer), fsync per batch under --sync batch.
type SharedLog struct{}

func (SharedLog) Name() string { return "shared-log" }

func (m SharedLog) Run(cfg WriteConfig) (WriteResult, error) {
	return inRunDirs(cfg, m.Name(), func(rd runDirs) (WriteResult, []verify.DirSpec, error) {
		dir := filepath.Join(rd[0], "slog")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return WriteResult{}, nil, err
		}
		var infos []format.ReplicaLogInfo
		for r := range cfg.Replicas {
			infos = append(infos, format.ReplicaLogInfo{Gpid: gpidOf(r)})
		}
		var syncs atomic.Int64
		w := slog.NewWriter(dir, 0, 0, infos, format.WriterOptions{Sync: cfg.Sync == "batch", FS: countingFS{vfs.OS, &syncs}})
		ld, err := workload(cfg, func(_ int, _ gpid.Gpid, mu *format.Mutation) error { return w.Append(mu) })
		if err != nil {
			return WriteResult{}, nil, err
		}
		if err := w.Close(); err != nil {
			return WriteResult{}, nil, err
		}
		res := summarize(m.Name(), cfg, ld)
		res.Streams, res.Writes, res.Syncs, res.Bytes = 1, w.Writes(), syncs.Load(), w.EndOffset()
		return res, []verify.DirSpec{{Path: dir, Kind: verify.Slog}}, nil
	})
}

// PlogPerFile is Pegasus 2.4+ with plog_force_flush=true: each replica's
// mutation_log_private writes its pending batch and fsyncs it, on its
// own, one outstanding write per log. Its append path is the shared
// log's (one outstanding write, a pending batch): a slog.Writer with its
// replica alone registered, fed its mutations alone, writes exactly its
// plog.
type PlogPerFile struct{}

func (PlogPerFile) Name() string { return "plog-per-file" }

func (m PlogPerFile) Run(cfg WriteConfig) (WriteResult, error) {
	return inRunDirs(cfg, m.Name(), func(rd runDirs) (WriteResult, []verify.DirSpec, error) {
		var syncs atomic.Int64
		ws := make([]*slog.Writer, cfg.Replicas)
		for r := range cfg.Replicas {
			dir := rd.plog(r)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return WriteResult{}, nil, err
			}
			ws[r] = slog.NewWriter(dir, 0, 0, []format.ReplicaLogInfo{{Gpid: gpidOf(r)}}, format.WriterOptions{Sync: cfg.Sync == "batch", FS: countingFS{vfs.OS, &syncs}})
		}
		ld, err := workload(cfg, func(_ int, g gpid.Gpid, mu *format.Mutation) error {
			return ws[g.Partition].Append(mu)
		})
		if err != nil {
			return WriteResult{}, nil, err
		}
		res := summarize(m.Name(), cfg, ld)
		res.Streams, res.Syncs = cfg.Replicas, syncs.Load()
		var specs []verify.DirSpec
		for r, w := range ws {
			if err := w.Close(); err != nil {
				return res, nil, err
			}
			res.Writes += w.Writes()
			res.Bytes += w.EndOffset()
			g := gpidOf(r)
			specs = append(specs, verify.DirSpec{Path: rd.plog(r), Kind: verify.Plog, Owner: &g})
		}
		return res, specs, nil
	})
}

// PlogParallel is format/plog: per-replica plogs, group commit per stream
// and one flush round per disk.
type PlogParallel struct{}

func (PlogParallel) Name() string { return "plog-parallel" }

func (m PlogParallel) Run(cfg WriteConfig) (WriteResult, error) {
	return inRunDirs(cfg, m.Name(), func(rd runDirs) (WriteResult, []verify.DirSpec, error) {
		opts := plog.Options{Sync: plog.SyncNone, DiskParallelism: cfg.Parallelism, StartWriteback: cfg.Writeback, Preallocate: cfg.Preallocate}
		if cfg.Sync == "batch" {
			opts.Sync = plog.SyncBatch
		}
		if cfg.Flush == "syncfs" {
			opts.Flush = plog.FlushSyncfs
		}
		var reps []plog.Replica
		for r := range cfg.Replicas {
			reps = append(reps, plog.Replica{Gpid: gpidOf(r), Dir: rd.plog(r)})
		}
		w, err := plog.Open(reps, opts)
		if err != nil {
			return WriteResult{}, nil, err
		}
		ld, err := workload(cfg, func(_ int, g gpid.Gpid, mu *format.Mutation) error { return w.Append(g, mu) })
		if err != nil {
			w.Close()
			return WriteResult{}, nil, err
		}
		stats := w.Stats()
		if err := w.Close(); err != nil {
			return WriteResult{}, nil, err
		}
		res := summarize(m.Name(), cfg, ld)
		res.Streams, res.Flush = cfg.Replicas, cfg.Flush
		var settle, write, flush time.Duration
		var batchRounds int64
		for _, st := range stats {
			res.Writes += st.Writes
			res.Syncs += st.Syncs
			res.Bytes += st.Bytes
			res.Rounds += st.Rounds
			settle, write, flush = settle+st.SettleTime, write+st.WriteTime, flush+st.FlushTime
			if st.Requests > 0 {
				batchRounds += st.Rounds
			}
		}
		if batchRounds > 0 {
			n := float64(batchRounds) * 1e3
			res.Round = &RoundTimes{Settle: float64(settle) / n, Write: float64(write) / n, Flush: float64(flush) / n}
		}
		var specs []verify.DirSpec
		for r := range cfg.Replicas {
			g := gpidOf(r)
			specs = append(specs, verify.DirSpec{Path: rd.plog(r), Kind: verify.Plog, Owner: &g})
		}
		return res, specs, nil
	})
}

// RawFsync has no log format at all: each client appends 4 KiB to its own
// file and fdatasyncs it. The rate the device gives independent durable
// writes.
type RawFsync struct{}

func (RawFsync) Name() string { return "raw-fsync" }

func (m RawFsync) Run(cfg WriteConfig) (WriteResult, error) {
	return inRunDirs(cfg, m.Name(), func(rd runDirs) (WriteResult, []verify.DirSpec, error) {
		files := make([]vfs.File, cfg.Clients)
		for i := range files {
			f, err := vfs.OS.Create(filepath.Join(rd[i%len(rd)], fmt.Sprintf("raw.%d", i)))
			if err != nil {
				return WriteResult{}, nil, err
			}
			defer f.Close()
			files[i] = f
		}
		buf := bytes.Repeat([]byte{'r'}, 4096)
		var syncs atomic.Int64
		ld, err := workload(cfg, func(c int, _ gpid.Gpid, _ *format.Mutation) error {
			if _, err := files[c].Write(buf); err != nil {
				return err
			}
			if cfg.Sync != "batch" {
				return nil
			}
			syncs.Add(1)
			return files[c].Sync()
		})
		if err != nil {
			return WriteResult{}, nil, err
		}
		res := summarize(m.Name(), cfg, ld)
		res.Streams, res.Syncs, res.Writes, res.Bytes = cfg.Clients, syncs.Load(), res.Ops, res.Ops*4096
		return res, nil, nil
	})
}
