package plog

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/waltool/waltool/vfs"
)

// disk is one flush group: the streams whose plogs live on one filesystem.
type disk struct {
	w     *Writer
	key   string
	dir   vfs.Dir // kept open: syncfs reports errors since it was opened
	slots chan struct{}

	streams int
	kick    chan struct{}
	quit    chan struct{}
	done    chan struct{}

	// gated: under SyncBatch, writes and flushes of a disk alternate (see
	// flushLoop); cond signals the gate opening and active reaching 0.
	gated bool
	cond  *sync.Cond

	mu          sync.Mutex
	flushing    bool               // gated: a round is flushing, writers wait
	active      int                // gated: writes in progress
	phaseStart  time.Time          // when the first batch of the write phase was written
	waitingReqs int                // requests in waiting
	expect      int                // requests the previous round released
	lastFlush   time.Duration      // how long the previous round's flush took
	dirty       map[*file]struct{} // written since the current round began
	waiting     []covered          // SyncBatch: batches waiting for the next round
	barriers    []chan error       // Sync calls waiting for the next round
	stats       DiskStats
	started     bool
	stopped     bool
}

// covered is a written batch waiting for the flush of its file.
type covered struct {
	s    *stream
	f    *file
	reqs []*request
}

func newDisk(w *Writer, key, dir string) (*disk, error) {
	d := &disk{
		w: w, key: key,
		slots: make(chan struct{}, w.opts.DiskParallelism),
		kick:  make(chan struct{}, 1),
		quit:  make(chan struct{}),
		done:  make(chan struct{}),
		dirty: map[*file]struct{}{},
		gated: w.opts.Sync == SyncBatch,
	}
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

// enterWrite takes one of the disk's write slots and, when gated, waits
// for the current flush to end: a write that overlaps a flush on ext4 waits
// inside the journal anyway, and makes the flush slower.
func (d *disk) enterWrite() {
	d.slots <- struct{}{}
	if !d.gated {
		return
	}
	d.mu.Lock()
	for d.flushing {
		d.cond.Wait()
	}
	d.active++
	d.mu.Unlock()
}

// maxSettle bounds a write phase whose clients do not come back.
const maxSettle = 5 * time.Millisecond

// exitWriteLocked ends a write; it returns whether to wake the flusher.
func (d *disk) exitWriteLocked() bool {
	<-d.slots
	if !d.gated {
		return false
	}
	d.active--
	if d.active == 0 {
		// The flusher may be settling or closing the gate.
		d.cond.Broadcast()
	}
	return len(d.waiting) > 0
}

// settle is the write phase of a gated disk: it returns when the round
// should start. That is when no write is in progress and as many requests
// are waiting as the previous round released (their clients have come
// back: under load each client has a write outstanding, and a round that
// starts earlier leaves them for the next one, halving the batch), or once
// the phase has lasted as long as the previous flush took, so that a client
// that does not come back delays the others by at most one flush time.
func (d *disk) settle() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.waiting) == 0 || len(d.barriers) > 0 {
		return
	}
	// One stalled flush must not make the next write phase wait as long.
	deadline := d.phaseStart.Add(min(d.lastFlush, maxSettle))
	var t *time.Timer
	for d.active > 0 || d.waitingReqs < d.expect {
		now := time.Now()
		if !now.Before(deadline) {
			break
		}
		if t == nil {
			t = time.AfterFunc(deadline.Sub(now), func() {
				d.mu.Lock()
				d.cond.Broadcast()
				d.mu.Unlock()
			})
		}
		d.cond.Wait()
	}
	if t != nil {
		t.Stop()
	}
}

// failedWrite ends a write that failed.
func (d *disk) failedWrite() {
	d.mu.Lock()
	kick := d.exitWriteLocked()
	d.mu.Unlock()
	if kick {
		d.signal()
	}
}

// written records a batch that reached the file and ends its write.
// Called with s.mu held.
func (d *disk) written(s *stream, f *file, batch []*request, mutations int, bytes int64) {
	d.mu.Lock()
	d.dirty[f] = struct{}{}
	d.stats.Writes++
	d.stats.Mutations += int64(mutations)
	d.stats.Bytes += bytes
	if d.w.opts.Sync == SyncBatch {
		reqs := make([]*request, len(batch))
		copy(reqs, batch)
		if len(d.waiting) == 0 {
			d.phaseStart = time.Now()
		}
		d.waiting = append(d.waiting, covered{s: s, f: f, reqs: reqs})
		d.waitingReqs += len(reqs)
	}
	kick := d.exitWriteLocked()
	d.mu.Unlock()
	if d.w.opts.Sync == SyncBatch {
		if kick {
			d.signal()
		}
		return
	}
	for _, r := range batch {
		r.done <- nil
	}
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

// flushLoop runs the disk's rounds, one at a time: whatever is written
// while a round flushes waits for the next one, which starts as soon as
// the previous one ends. That is the group commit across streams: the
// slower the flush, the more batches one flush covers.
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
		if d.gated {
			d.settle()
		}
		d.round()
	}
}

// round flushes every file written since the previous round began and
// releases the batches written before this one began.
func (d *disk) round() {
	d.mu.Lock()
	if len(d.dirty) == 0 && len(d.waiting) == 0 && len(d.barriers) == 0 {
		d.mu.Unlock()
		return
	}
	if d.gated {
		// Close the gate and let the writes in progress finish: they are
		// covered by this round.
		d.flushing = true
		for d.active > 0 {
			d.cond.Wait()
		}
	}
	dirty, waiting, barriers := d.dirty, d.waiting, d.barriers
	d.dirty, d.waiting, d.barriers = map[*file]struct{}{}, nil, nil
	d.expect, d.waitingReqs = d.waitingReqs, 0
	d.mu.Unlock()
	began := time.Now()

	// The extent of each file that this round covers: everything written
	// before now. Later writes go to the next round.
	files := make([]*file, 0, len(dirty))
	upTo := make(map[*file]int64, len(dirty))
	for f := range dirty {
		files = append(files, f)
		upTo[f] = f.size()
	}
	errs, syncs := d.flush(files)

	d.mu.Lock()
	if len(files) > 0 {
		d.stats.Rounds++
	}
	d.stats.Syncs += syncs
	d.lastFlush = time.Since(began)
	if d.gated {
		d.flushing = false
		d.cond.Broadcast()
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
	for _, c := range waiting {
		// A stream poisoned by this or an earlier round fails its later
		// batches too, even if their own flush returned nil.
		err := c.s.poisoned()
		for _, r := range c.reqs {
			r.done <- err
		}
	}
	for _, ch := range barriers {
		ch <- first
	}
}

// flush makes files durable, with their names; it returns each file's
// error and how many sync calls it made.
func (d *disk) flush(files []*file) (map[*file]error, int64) {
	errs := map[*file]error{}
	if len(files) == 0 {
		return errs, 0
	}
	if d.w.opts.Flush == FlushSyncfs {
		if err := d.dir.SyncFS(); err != nil {
			err = fmt.Errorf("plog disk %s: flush of %d files: %w", d.key, len(files), err)
			for _, f := range files {
				errs[f] = err
			}
		}
		return errs, 1
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
	run := func(i int) {
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
	}
	par := min(len(jobs), cap(d.slots))
	if par <= 1 {
		for i := range jobs {
			run(i)
		}
	} else {
		var next sync.Mutex
		k := 0
		var wg sync.WaitGroup
		for range par {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					next.Lock()
					i := k
					k++
					next.Unlock()
					if i >= len(jobs) {
						return
					}
					run(i)
				}
			}()
		}
		wg.Wait()
	}
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
