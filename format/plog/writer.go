package plog

import (
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/waltool/waltool/format"
	"github.com/waltool/waltool/gpid"
	"github.com/waltool/waltool/vfs"
)

// SyncPolicy says when Append returns.
type SyncPolicy int

const (
	// SyncNone returns once the batch is written to the file (write(2));
	// nothing is flushed until Sync or Close. This is Pegasus's default,
	// plog_force_flush=false: a process crash loses nothing, a power loss
	// may lose acknowledged writes.
	SyncNone SyncPolicy = iota
	// SyncBatch returns once the flush round that wrote the batch has
	// flushed it: Pegasus with plog_force_flush=true, with the writes and
	// the flush of a round shared by every plog of the disk.
	SyncBatch
	// SyncPeriodic returns after the write, like SyncNone, and runs a flush
	// round every SyncInterval; a power loss loses at most about one
	// interval of acknowledged writes.
	SyncPeriodic
)

func (p SyncPolicy) String() string {
	switch p {
	case SyncNone:
		return "none"
	case SyncBatch:
		return "batch"
	case SyncPeriodic:
		return "periodic"
	}
	return "SyncPolicy(" + strconv.Itoa(int(p)) + ")"
}

// FlushMethod is how a flush round makes a disk's written plogs durable.
type FlushMethod int

const (
	// FlushFdatasync issues one fdatasync per file written since the last
	// round, up to DiskParallelism at once, plus one fsync per directory
	// in which a file was created. Concurrent fdatasyncs on one ext4
	// filesystem join one journal commit, so the device sees about one
	// cache flush per round. Touches only the plogs.
	FlushFdatasync FlushMethod = iota
	// FlushSyncfs issues one syncfs(2) per round on the disk's
	// filesystem. One system call covers every file and directory, but it
	// also writes back every other dirty file of that filesystem (RocksDB
	// memtable flushes and compactions when they share the disk), so its
	// cost depends on the neighbours. Errors are reported for any file of
	// the filesystem (Linux >= 5.8), so a neighbour's I/O error poisons the
	// round too.
	FlushSyncfs
)

func (m FlushMethod) String() string {
	switch m {
	case FlushFdatasync:
		return "fdatasync"
	case FlushSyncfs:
		return "syncfs"
	}
	return "FlushMethod(" + strconv.Itoa(int(m)) + ")"
}

// Options configure a Writer.
type Options struct {
	// FS is the filesystem; nil means vfs.OS.
	FS vfs.FS
	// Sync is when Append returns; the zero value is SyncNone, Pegasus's
	// default.
	Sync SyncPolicy
	// SyncInterval is the round period of SyncPeriodic; 0 means 100ms.
	SyncInterval time.Duration
	// Flush is how a round flushes.
	Flush FlushMethod
	// MaxFileSize is log_private_file_size_mb in bytes: a batch that finds
	// the current file at or past it starts a new file. 0 means 32 MiB.
	MaxFileSize int64
	// StartWriteback starts the writeback of each batch right after its
	// write (sync_file_range SYNC_FILE_RANGE_WRITE), so that the device
	// works on the data while the write phase goes on and the flush only
	// waits for it. Durability still comes from the flush round. Used
	// under SyncBatch only: without a flush to wait for, it would just add
	// a device write per batch (SyncNone went from ~450k to ~110k writes/s
	// with it).
	StartWriteback bool
	// DiskParallelism bounds, per disk, how many plog writes run at once
	// (the streams a SyncBatch round writes, or callers writing under the
	// other policies) and how many fdatasyncs of one round. 0 means 8.
	DiskParallelism int
	// Preallocate reserves MaxFileSize of blocks for each new plog file
	// when it is created (fallocate with FALLOC_FL_KEEP_SIZE: the size, and
	// so what Pegasus reads, is unchanged). Appends then allocate nothing,
	// so a flush round writes back fewer metadata blocks (block bitmaps,
	// group descriptors, extent tree blocks): on the test VM, 38 device
	// writes per 32-append round instead of 51, and ~10% more throughput
	// (docs/writer.md). The unused reservation of a file is given back
	// when it is closed; a filesystem without fallocate ignores it.
	Preallocate bool
}

// Replica is one replica whose plog the Writer owns.
type Replica struct {
	Gpid gpid.Gpid
	// Dir is the plog dir, <data dir>/<app>.<pidx>.<type>/plog; created if
	// missing.
	Dir string
	// Disk groups replicas that share flush rounds. "" means the
	// filesystem holding Dir (its st_dev), which is right for real disks;
	// set it to split or merge groups on purpose.
	Disk string
	// ValidStartOffset is .init-info's init_offset_in_private_log; it goes
	// into every file header.
	ValidStartOffset int64
	// LastCommittedDecree is the app's last committed decree at open,
	// which picks the first file the replay reads; 0 replays from the
	// first file whose header says 0.
	LastCommittedDecree int64
	// State, if set, is the plog's state as the caller's own replay of the
	// dir found it (what ReadState returns; its Removed empty): the writer
	// continues there without reading the dir a second time.
	State *State
}

// Errors.
var (
	ErrClosed         = errors.New("plog: writer closed")
	ErrUnknownReplica = errors.New("plog: unknown replica")
	ErrWrongGpid      = errors.New("plog: mutation of another replica")
)

// Writer appends to the plogs of many replicas spread over several disks.
// Append is safe for concurrent use; Close REQUIRES that every Append has
// returned.
//
// Each replica has a stream: a format.LogWriter (which does the layout:
// file creation, header, block split, offsets, CRC chain, rotation). Each
// disk has a flusher goroutine that runs rounds, one at a time.
//
// Under SyncBatch, Append queues its request on the disk and waits. A
// round waits until the clients the previous round released have queued
// again (or one flush time), takes the queue, writes each stream's
// requests as one write(2) (group commit per stream), flushes the files
// written (FlushSyncfs or FlushFdatasync) and releases the requests (group
// commit across the streams of a disk). Nothing is written while a round
// flushes: the next round's requests wait in memory.
//
// Under SyncNone and SyncPeriodic the callers write: Appends to one
// replica that arrive while a write is in progress queue up and are
// written together by the caller holding the stream's write token, and
// rounds only flush (on Sync, Close or every SyncInterval).
type Writer struct {
	opts    Options
	fs      vfs.FS
	streams map[gpid.Gpid]*stream
	disks   []*disk

	mu     sync.RWMutex
	closed bool
}

// Open opens the plogs of replicas: each dir is read with ReadState (an
// existing plog is continued exactly as Pegasus does after a restart: the
// first batch starts log.<last+1>.<end>), and replicas are grouped by disk.
func Open(replicas []Replica, opts Options) (*Writer, error) {
	if opts.FS == nil {
		opts.FS = vfs.OS
	}
	if opts.MaxFileSize <= 0 {
		opts.MaxFileSize = format.DefaultMaxFileSize
	}
	if opts.DiskParallelism <= 0 {
		opts.DiskParallelism = 8
	}
	if opts.SyncInterval <= 0 {
		opts.SyncInterval = 100 * time.Millisecond
	}
	w := &Writer{opts: opts, fs: opts.FS, streams: map[gpid.Gpid]*stream{}}
	disks := map[string]*disk{}
	for _, r := range replicas {
		if _, dup := w.streams[r.Gpid]; dup {
			w.closeAll()
			return nil, fmt.Errorf("plog: replica %s listed twice", r.Gpid)
		}
		s, key, err := w.openStream(r)
		if err != nil {
			w.closeAll()
			return nil, err
		}
		d := disks[key]
		if d == nil {
			if d, err = newDisk(w, key, r.Dir); err != nil {
				w.closeAll()
				return nil, err
			}
			disks[key] = d
			w.disks = append(w.disks, d)
		}
		s.d = d
		d.streams++
		w.streams[r.Gpid] = s
	}
	sort.Slice(w.disks, func(i, j int) bool { return w.disks[i].key < w.disks[j].key })
	for _, d := range w.disks {
		d.start()
	}
	return w, nil
}

func (w *Writer) openStream(r Replica) (*stream, string, error) {
	dir := filepath.Clean(r.Dir)
	if err := ensureDir(w.fs, dir); err != nil {
		return nil, "", fmt.Errorf("plog %s: %w", dir, err)
	}
	key := r.Disk
	if key == "" {
		info, err := w.fs.Stat(dir)
		if err != nil {
			return nil, "", fmt.Errorf("plog %s: %w", dir, err)
		}
		if id, ok := vfs.DeviceID(info); ok {
			key = "dev:" + strconv.FormatUint(id, 10)
		} else {
			key = dir
		}
	}
	st := r.State
	if st == nil || len(st.Removed) > 0 {
		var err error
		if st, err = ReadState(w.fs, dir, r.Gpid, r.ValidStartOffset, r.LastCommittedDecree); err != nil {
			return nil, "", err
		}
	}
	s := &stream{g: r.Gpid, dir: dir, w: w, end: st.EndOffset, lastIndex: st.LastIndex, maxDecree: st.MaxDecree}
	// A plog's header lists its owner alone.
	s.hdr = format.Entries{{Gpid: r.Gpid, MaxDecree: st.MaxDecree, ValidStartOffset: r.ValidStartOffset}}
	s.lw = format.NewLogWriterWith(dir, st.LastIndex, st.EndOffset, s.hdr,
		format.WriterOptions{MaxFileSize: w.opts.MaxFileSize, FS: streamFS{w.fs, s}, DeferDirSync: true})
	return s, key, nil
}

// Append writes ms, all of replica g, as one batch and returns when the
// sync policy is met. Each mutation's LogOffset is assigned; ms must not be
// touched until Append returns. Concurrent Appends to g are coalesced into
// one write. An error means the batch may or may not be on disk; after a
// failed write or flush the replica's stream is poisoned and every later
// Append to it fails (Pegasus too gives up on a replica whose log failed:
// it is closed and re-learned). Reopening the Writer continues the plog
// after its last valid block.
func (w *Writer) Append(g gpid.Gpid, ms ...*format.Mutation) error {
	w.mu.RLock()
	closed := w.closed
	w.mu.RUnlock()
	if closed {
		return ErrClosed
	}
	s := w.streams[g]
	if s == nil {
		return fmt.Errorf("%w %s", ErrUnknownReplica, g)
	}
	if len(ms) == 0 {
		return nil
	}
	for _, m := range ms {
		// A plog holds its owner's mutations alone, and its header has
		// exactly one entry.
		if m.Gpid != g {
			return fmt.Errorf("%w: %s in the plog of %s (decree %d)", ErrWrongGpid, m.Gpid, g, m.Decree)
		}
	}
	return s.append(ms)
}

// Sync runs a flush round on every disk that covers everything written
// before it was called, whatever the policy, and returns the first error.
func (w *Writer) Sync() error {
	var errs []error
	chs := make([]chan error, len(w.disks))
	for i, d := range w.disks {
		chs[i] = d.barrier()
	}
	for _, ch := range chs {
		if err := <-ch; err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Close flushes everything written (one last round per disk, whatever the
// policy), stops the flushers and closes every file. It REQUIRES that
// every Append has returned.
func (w *Writer) Close() error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return ErrClosed
	}
	w.closed = true
	w.mu.Unlock()
	err := w.Sync()
	return errors.Join(err, w.closeAll())
}

func (w *Writer) closeAll() error {
	var errs []error
	for _, d := range w.disks {
		errs = append(errs, d.stop())
	}
	for _, s := range w.streams {
		errs = append(errs, s.close())
	}
	return errors.Join(errs...)
}

// ReplicaState is a replica's stream as of its last completed write.
type ReplicaState struct {
	Disk      string
	LastIndex int32 // index of the newest file
	EndOffset int64 // global offset past the last written batch
	MaxDecree int64 // in-memory max decree, as the next header will carry it
	Err       error // non-nil once the stream is poisoned
}

// Replica reports g's stream.
func (w *Writer) Replica(g gpid.Gpid) (ReplicaState, bool) {
	s := w.streams[g]
	if s == nil {
		return ReplicaState{}, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return ReplicaState{Disk: s.d.key, LastIndex: s.lastIndex, EndOffset: s.end, MaxDecree: s.maxDecree, Err: s.err}, true
}

// DiskStats counts a disk's work since Open.
type DiskStats struct {
	Disk      string `json:"disk"`
	Streams   int    `json:"streams"`
	Writes    int64  `json:"writes"`    // write(2) calls of batches (group commit per stream)
	Mutations int64  `json:"mutations"` // mutations written
	Bytes     int64  `json:"bytes"`     // bytes written, headers included
	Rounds    int64  `json:"rounds"`    // flush rounds that flushed something
	Syncs     int64  `json:"syncs"`     // fdatasync, fsync (dirs) and syncfs calls
	// SyncBatch rounds: the Appends they released, and where their time
	// went: waiting for requests (settle), writing them, flushing.
	Requests   int64         `json:"requests"`
	SettleTime time.Duration `json:"settle_ns"`
	WriteTime  time.Duration `json:"write_ns"`
	FlushTime  time.Duration `json:"flush_ns"` // every round that flushed something
}

// Stats reports every disk.
func (w *Writer) Stats() []DiskStats {
	out := make([]DiskStats, len(w.disks))
	for i, d := range w.disks {
		d.mu.Lock()
		out[i] = d.stats
		d.mu.Unlock()
		out[i].Disk, out[i].Streams = d.key, d.streams
	}
	return out
}

// request is one Append waiting for its batch.
type request struct {
	s    *stream
	ms   []*format.Mutation
	done chan error
}

var requestPool = sync.Pool{New: func() any { return &request{done: make(chan error, 1)} }}

// stream is one replica's plog.
type stream struct {
	g   gpid.Gpid
	dir string
	w   *Writer
	d   *disk

	mu      sync.Mutex
	pending []*request
	spare   []*request
	writing bool  // the write token is taken
	err     error // sticky: set by a failed write or flush
	// Copies of the LogWriter's position, for Replica.
	end       int64
	lastIndex int32
	maxDecree int64

	// Owned by the token holder (SyncNone, SyncPeriodic) or the disk's
	// flusher (SyncBatch).
	lw      *format.LogWriter
	hdr     format.Entries // the header's one entry, kept by lw
	cur     *file
	files   []*file // every file opened, for the final close
	scratch []*format.Mutation

	// SyncBatch, owned by the disk's flusher: this round's requests, and
	// the file they were written to (nil if the write failed).
	round     []*request
	roundFile *file
}

// streamFS is the FS a stream's LogWriter creates its files through:
// O_EXCL through the writer's FS, each file wrapped for the flusher. The
// LogWriter does not fsync the dir (DeferDirSync): the name is made durable
// by the next flush round (a dir fsync, or the syncfs), so that a rotation
// does not add a synchronous fsync to the write path; no batch of the file
// is acknowledged before that round.
type streamFS struct {
	vfs.FS
	s *stream
}

func (fs streamFS) Create(path string) (vfs.File, error) {
	s := fs.s
	f, err := fs.FS.Create(path)
	if err != nil {
		return nil, err
	}
	s.cur = newFile(s, f, path)
	if s.w.opts.Preallocate {
		s.cur.preallocate(s.w.opts.MaxFileSize)
	}
	s.files = append(s.files, s.cur)
	return s.cur, nil
}

func (s *stream) append(ms []*format.Mutation) error {
	r := requestPool.Get().(*request)
	r.s, r.ms = s, ms
	defer func() {
		r.s, r.ms = nil, nil
		requestPool.Put(r)
	}()
	if s.d.batch {
		// The disk's next round writes it, with the other requests queued
		// for this stream, and flushes it.
		if err := s.poisoned(); err != nil {
			return err
		}
		if err := s.d.enqueue(r); err != nil {
			return err
		}
		return <-r.done
	}
	s.mu.Lock()
	if s.err != nil {
		err := s.err
		s.mu.Unlock()
		return err
	}
	s.pending = append(s.pending, r)
	if !s.writing {
		s.writing = true
		s.writeLoop()
	}
	s.mu.Unlock()
	return <-r.done
}

// write appends the mutations of batch as one write(2) and returns the
// file written and the bytes added. Called by the token holder or the
// flusher.
func (s *stream) write(batch []*request) (*file, int, int64, error) {
	s.scratch = s.scratch[:0]
	for _, r := range batch {
		s.scratch = append(s.scratch, r.ms...)
	}
	prevEnd := s.lw.EndOffset()
	err := s.lw.Append(s.scratch...)
	n := len(s.scratch)
	clear(s.scratch)
	if err != nil {
		return nil, n, 0, fmt.Errorf("plog %s: replica %s: %w", s.dir, s.g, err)
	}
	return s.cur, n, s.lw.EndOffset() - prevEnd, nil
}

// writeRound writes the stream's requests of a SyncBatch round. On
// failure the requests fail at once and the stream is poisoned; on success
// roundFile is the file to flush before releasing them.
func (s *stream) writeRound() {
	err := s.poisoned()
	var f *file
	var mutations int
	var bytes int64
	if err == nil {
		f, mutations, bytes, err = s.write(s.round)
	}
	s.mu.Lock()
	if err != nil {
		s.poisonLocked(err)
		err = s.err
		s.mu.Unlock()
		for _, r := range s.round {
			r.done <- err
		}
		clear(s.round)
		s.round = s.round[:0]
		return
	}
	s.end, s.lastIndex, s.maxDecree = s.lw.EndOffset(), s.lw.LastIndex(), s.hdr[0].MaxDecree
	s.mu.Unlock()
	s.roundFile = f
	s.d.mu.Lock()
	s.d.count(mutations, bytes)
	s.d.mu.Unlock()
}

// writeLoop runs with s.mu held and the token taken (SyncNone,
// SyncPeriodic); it writes batches until none is pending, then gives the
// token back. It unlocks s.mu around the write itself, so that more
// requests can queue meanwhile.
func (s *stream) writeLoop() {
	for len(s.pending) > 0 && s.err == nil {
		batch := s.pending
		s.pending = s.spare[:0]
		s.mu.Unlock()

		s.d.enterWrite()
		f, mutations, bytes, err := s.write(batch)

		s.mu.Lock()
		if err != nil {
			s.d.failedWrite()
			s.poisonLocked(err)
			for _, r := range batch {
				r.done <- s.err
			}
		} else {
			s.end, s.lastIndex, s.maxDecree = s.lw.EndOffset(), s.lw.LastIndex(), s.hdr[0].MaxDecree
			s.d.written(f, batch, mutations, bytes)
		}
		clear(batch)
		s.spare = batch[:0]
	}
	if s.err != nil {
		for _, r := range s.pending {
			r.done <- s.err
		}
		clear(s.pending)
		s.pending = s.pending[:0]
	}
	s.writing = false
}

// poisonLocked makes the stream fail every later Append: after a failed
// write or flush the file's state on disk is unknown.
func (s *stream) poisonLocked(err error) {
	if s.err == nil {
		s.err = err
	}
}

func (s *stream) poison(err error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.poisonLocked(err)
	return s.err
}

func (s *stream) poisoned() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

func (s *stream) close() error {
	var errs []error
	for _, f := range s.files {
		if err := f.close(); err != nil {
			errs = append(errs, vfs.PathErr("close", f.path, err))
		}
	}
	return errors.Join(errs...)
}
