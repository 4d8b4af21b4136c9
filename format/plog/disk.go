package plog

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/waltool/waltool/internal/par"
	"github.com/waltool/waltool/vfs"
)

// disk is one flush group: the streams whose plogs live on one filesystem.
//
// Under SyncBatch the disk's flusher goroutine does every write of its
// streams itself: Append only queues its request on the disk, and a round
// takes the queue, writes each stream's requests as one batch (up to
// writers streams at once), flushes the files written, and releases the
// requests. Under SyncNone and SyncPeriodic the callers write (see
// stream.writeLoop) and the flusher only flushes, on Sync, Close or every
// SyncInterval.
type disk struct {
	w     *Writer
	key   string
	dir   vfs.Dir // kept open: syncfs reports errors since it was opened
	slots chan struct{}

	streams int
	kick    chan struct{}
	quit    chan struct{}
	done    chan struct{}

	// batch: SyncBatch, the flusher writes (see above).
	batch   bool
	writers int // batch: streams written at once in a round

	mu   sync.Mutex
	cond *sync.Cond // batch: signals a settling flusher that enough requests are queued

	queue      []*request // batch: Appends waiting for the next round
	spareQueue []*request
	queuedAt   time.Time     // batch: when the first request of queue arrived
	settling   bool          // batch: the flusher waits for requests (settle)
	expect     int           // batch: requests to wait for (see settle)
	releasedAt time.Time     // batch: when the previous round released its requests
	lastFlush  time.Duration // batch: how long the previous round's flush took

	dirty    map[*file]struct{} // not batch: files written since the current round began
	barriers []chan error       // Sync calls waiting for the next round
	stats    DiskStats
	started  bool
	stopped  bool

	// Owned by the flusher.
	roundStreams []*stream
}

func newDisk(w *Writer, key, dir string) (*disk, error) {
	d := &disk{
		w: w, key: key,
		slots: make(chan struct{}, w.opts.DiskParallelism),
		kick:  make(chan struct{}, 1),
		quit:  make(chan struct{}),
		done:  make(chan struct{}),
		dirty: map[*file]struct{}{},
		batch: w.opts.Sync == SyncBatch,
	}
	d.writers = w.opts.DiskParallelism
	d.cond = sync.NewCond(&d.mu)
	if w.opts.Flush == FlushSyncfs {
		h, err := w.fs.OpenDir(dir)
		if err != nil {
			return nil, fmt.Errorf("plog disk %s: %w", key, err)
		}
		d.dir = h
	}
	return d, nil
}

func (d *disk) start() {
	d.started = true
	go d.flushLoop()
}

// keepUntilFlushed says whether a retired file must stay open until a
// round has flushed it: fdatasync needs its descriptor. syncfs does not,
// and with SyncNone no round is promised.
func (d *disk) keepUntilFlushed() bool {
	return d.w.opts.Flush == FlushFdatasync && d.w.opts.Sync != SyncNone
}

// enqueue queues a SyncBatch request for the next round.
func (d *disk) enqueue(r *request) error {
	d.mu.Lock()
	if d.stopped {
		d.mu.Unlock()
		return ErrClosed
	}
	first := len(d.queue) == 0
	if first {
		d.queuedAt = time.Now()
	}
	d.queue = append(d.queue, r)
	if d.settling && len(d.queue) >= d.expect {
		d.cond.Signal()
	}
	d.mu.Unlock()
	if first {
		d.signal()
	}
	return nil
}

// maxSettle bounds the wait for requests before a round.
const maxSettle = 5 * time.Millisecond

// settle returns when the next SyncBatch round should start: once every
// client that was waiting when the previous round released its requests
// has queued again (the requests queued then plus the ones released), or
// once the phase has lasted as long as the previous flush took (at most
// maxSettle).
//
// Under load each client has one request outstanding, and the clients a
// round releases come back within microseconds (queueing costs no I/O), so
// waiting for them makes each round cover all of them. Starting at once
// instead, as a single log does, splits the clients into two halves that
// alternate, each round covering half of them for the same per-round cost;
// and waiting only for as many requests as the previous round took keeps
// that split forever. The deadline keeps a client that does not come back
// from delaying the others by more than one flush time.
func (d *disk) settle() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.queue) == 0 || len(d.queue) >= d.expect || len(d.barriers) > 0 {
		return
	}
	start := d.queuedAt
	if d.releasedAt.After(start) {
		start = d.releasedAt
	}
	deadline := start.Add(min(d.lastFlush, maxSettle))
	wait := time.Until(deadline)
	if wait <= 0 {
		return
	}
	t := time.AfterFunc(wait, func() {
		d.mu.Lock()
		d.cond.Signal()
		d.mu.Unlock()
	})
	d.settling = true
	for len(d.queue) < d.expect && time.Now().Before(deadline) {
		d.cond.Wait()
	}
	d.settling = false
	t.Stop()
}

// enterWrite takes one of the disk's write slots (a caller's write, not
// under SyncBatch).
func (d *disk) enterWrite() { d.slots <- struct{}{} }

// failedWrite ends a caller's write that failed.
func (d *disk) failedWrite() { <-d.slots }

// written records a caller's write that reached the file, ends it and
// releases its requests (SyncNone, SyncPeriodic). Called with s.mu held.
func (d *disk) written(f *file, batch []*request, mutations int, bytes int64) {
	d.mu.Lock()
	d.dirty[f] = struct{}{}
	d.count(mutations, bytes)
	d.mu.Unlock()
	<-d.slots
	for _, r := range batch {
		r.done <- nil
	}
}

// count records a write. Called with d.mu held.
func (d *disk) count(mutations int, bytes int64) {
	d.stats.Writes++
	d.stats.Mutations += int64(mutations)
	d.stats.Bytes += bytes
}

func (d *disk) signal() {
	select {
	case d.kick <- struct{}{}:
	default:
	}
}

// barrier asks for a round and returns where its result will be sent.
func (d *disk) barrier() chan error {
	ch := make(chan error, 1)
	d.mu.Lock()
	if d.stopped {
		d.mu.Unlock()
		ch <- ErrClosed
		return ch
	}
	d.barriers = append(d.barriers, ch)
	d.mu.Unlock()
	d.signal()
	return ch
}

func (d *disk) stop() error {
	d.mu.Lock()
	if d.stopped {
		d.mu.Unlock()
		return nil
	}
	d.stopped = true
	d.mu.Unlock()
	if d.started {
		close(d.quit)
		<-d.done
	}
	if d.dir != nil {
		return d.dir.Close()
	}
	return nil
}

// flushLoop runs the disk's rounds, one at a time.
func (d *disk) flushLoop() {
	defer close(d.done)
	var tick <-chan time.Time
	if d.w.opts.Sync == SyncPeriodic {
		t := time.NewTicker(d.w.opts.SyncInterval)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-d.kick:
		case <-tick:
		case <-d.quit:
			d.round()
			return
		}
		if d.batch {
			d.settle()
		}
		d.round()
	}
}

// round writes the queued SyncBatch requests, flushes every file written
// since the previous round began, and releases what the flush covered.
func (d *disk) round() {
	d.mu.Lock()
	phase := d.queuedAt
	if d.releasedAt.After(phase) {
		phase = d.releasedAt
	}
	queue, barriers := d.queue, d.barriers
	d.queue, d.barriers = d.spareQueue[:0], nil
	d.spareQueue = nil
	dirty := d.dirty
	if len(dirty) > 0 {
		d.dirty = map[*file]struct{}{}
	}
	d.mu.Unlock()
	if len(queue) == 0 && len(dirty) == 0 && len(barriers) == 0 {
		d.recycle(queue)
		return
	}

	// Write phase (SyncBatch): one batch per stream, in the order the
	// streams' first requests arrived.
	writeBegan := time.Now()
	streams := d.group(queue)
	if len(streams) > 0 {
		d.writeStreams(streams)
	}

	// Flush phase. The extent of each file that this round covers is
	// everything written before now; under SyncNone and SyncPeriodic,
	// later writes go to the next round.
	began := time.Now()
	files := make([]*file, 0, len(dirty)+len(streams))
	upTo := make(map[*file]int64, len(dirty)+len(streams))
	for f := range dirty {
		files = append(files, f)
		upTo[f] = f.size()
	}
	for _, s := range streams {
		if f := s.roundFile; f != nil {
			if _, ok := upTo[f]; !ok {
				files = append(files, f)
				upTo[f] = f.size()
			}
		}
	}
	errs, syncs := d.flush(files)
	flushed := time.Now()

	d.mu.Lock()
	if len(files) > 0 {
		d.stats.Rounds++
		d.stats.FlushTime += flushed.Sub(began)
	}
	d.stats.Syncs += syncs
	if len(queue) > 0 {
		d.lastFlush = flushed.Sub(began)
		d.stats.Requests += int64(len(queue))
		d.stats.SettleTime += writeBegan.Sub(phase)
		d.stats.WriteTime += began.Sub(writeBegan)
	}
	d.mu.Unlock()

	var first error
	for _, f := range files {
		if err := errs[f]; err != nil {
			// No retry: after a failed flush the page cache state is
			// unknown, and a second fdatasync may succeed without the lost
			// pages. Every stream whose data the round covered is poisoned.
			f.s.poison(err)
			if first == nil {
				first = err
			}
			continue
		}
		f.flushed(upTo[f])
	}
	for _, s := range streams {
		// A stream poisoned by this round (or by anything else since its
		// write) fails its batch, even if its own file flushed fine.
		err := s.poisoned()
		for _, r := range s.round {
			r.done <- err
		}
		clear(s.round)
		s.round, s.roundFile = s.round[:0], nil
	}
	if len(queue) > 0 {
		d.mu.Lock()
		d.expect = len(d.queue) + len(queue)
		d.releasedAt = time.Now()
		d.mu.Unlock()
	}
	for _, ch := range barriers {
		ch <- first
	}
	d.recycle(queue)
}

func (d *disk) recycle(queue []*request) {
	clear(queue)
	d.mu.Lock()
	if d.spareQueue == nil {
		d.spareQueue = queue[:0]
	}
	d.mu.Unlock()
}

// group sorts the queued requests into their streams' round batches and
// returns the streams.
func (d *disk) group(queue []*request) []*stream {
	streams := d.roundStreams[:0]
	for _, r := range queue {
		s := r.s
		if len(s.round) == 0 {
			streams = append(streams, s)
		}
		s.round = append(s.round, r)
	}
	d.roundStreams = streams
	return streams
}

// writeStreams writes each stream's round batch, up to d.writers at once.
// A stream whose write fails (or that was poisoned before) fails its
// requests at once; the others get their file in roundFile.
func (d *disk) writeStreams(streams []*stream) {
	par.Each(len(streams), d.writers, func(i int) { streams[i].writeRound() })
}

// flushCache ends a syncfs round with a device cache flush: an fdatasync
// of one of the round's files (nothing left to write, so just the flush),
// or an fsync of the disk's directory if none is open.
//
// syncfs(2) alone is not a barrier on every filesystem. On ext4 without a
// journal (this project's test VM) sync_filesystem issues its cache flush
// (ext4_sync_fs) and only then writes back the metadata buffers dirtied
// while it waited for the data (sync_blockdev): with dioread_nolock, the
// conversions of newly allocated blocks from unwritten to written complete
// in that window. Block traces showed inode-table and extent blocks of the
// plogs written after the last flush of about one syncfs call in ten, so
// without a later flush an acknowledged append could read back as zeros
// after a power loss. fdatasync ends with a flush on every filesystem.
func (d *disk) flushCache(files []*file) error {
	for _, f := range files {
		f.mu.Lock()
		if f.closed {
			f.mu.Unlock()
			continue
		}
		err := f.File.Sync()
		f.mu.Unlock()
		return err
	}
	return d.dir.Sync()
}

// flush makes files durable, with their names; it returns each file's
// error and how many sync calls it made.
func (d *disk) flush(files []*file) (map[*file]error, int64) {
	errs := map[*file]error{}
	if len(files) == 0 {
		return errs, 0
	}
	if d.w.opts.Flush == FlushSyncfs {
		err := d.dir.SyncFS()
		if err == nil {
			err = d.flushCache(files)
		}
		if err != nil {
			err = fmt.Errorf("plog disk %s: flush of %d files: %w", d.key, len(files), err)
			for _, f := range files {
				errs[f] = err
			}
		}
		return errs, 2
	}
	// fdatasync every file; fsync the dirs of files whose names are not
	// durable yet (created since the last round).
	type job struct {
		f   *file
		dir string
	}
	var jobs []job
	dirs := map[string][]*file{}
	for _, f := range files {
		if f.isClosed() {
			// Retired and closed under SyncNone: nothing was promised
			// for it, and there is no descriptor left to fdatasync.
			continue
		}
		jobs = append(jobs, job{f: f})
		if !f.isNamed() {
			if _, ok := dirs[f.dir]; !ok {
				jobs = append(jobs, job{dir: f.dir})
			}
			dirs[f.dir] = append(dirs[f.dir], f)
		}
	}
	results := make([]error, len(jobs))
	par.Each(len(jobs), cap(d.slots), func(i int) {
		j := jobs[i]
		if j.f != nil {
			if err := j.f.Sync(); err != nil {
				results[i] = fmt.Errorf("plog %s: fdatasync: %w", j.f.path, err)
			}
			return
		}
		if err := d.w.fs.SyncDir(j.dir); err != nil {
			results[i] = fmt.Errorf("plog %s: fsync of the directory of a new file: %w", j.dir, err)
		}
	})
	for i, j := range jobs {
		if results[i] == nil {
			continue
		}
		if j.f != nil {
			errs[j.f] = errors.Join(errs[j.f], results[i])
			continue
		}
		for _, f := range dirs[j.dir] {
			errs[f] = errors.Join(errs[f], results[i])
		}
	}
	return errs, int64(len(jobs))
}
