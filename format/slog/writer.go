package slog

import (
	"sync"

	"github.com/waltool/waltool/format"
	"github.com/waltool/waltool/gpid"
)

// Writer appends to a shared log as Pegasus ≤ 2.3's mutation_log_shared
// does: mutations of every replica interleaved in one log directory, one
// outstanding write, and a pending batch that fills while it is in flight
// (group commit). Each new file's header lists every registered replica
// (Replicas). Append is safe for concurrent use; the other methods wait
// for the write in flight, if any.
//
// The group commit is leader/follower: the Append that finds no write in
// flight becomes the writer (write_pending_mutations) and writes the
// pending batch, its own request included, as one format.LogWriter batch;
// Appends arriving meanwhile queue up (mutation_log_shared::append) and the
// same writer writes them next, as the write callback re-issues
// write_pending_mutations in Pegasus, until nothing is pending. A caller
// that forms its own batches from one goroutine (the fixtures generator)
// gets each Append written as exactly one batch.
type Writer struct {
	mu      sync.Mutex
	idle    *sync.Cond // signalled when the write token is given back
	writing bool       // the write token is taken
	pending []*request
	spare   []*request

	// Owned by the token holder.
	reps    *Replicas
	lw      *format.LogWriter
	scratch []*format.Mutation
	writes  int64
}

type request struct {
	ms   []*format.Mutation
	done chan error
}

var requestPool = sync.Pool{New: func() any { return &request{done: make(chan error, 1)} }}

// NewWriter prepares to append to the shared log in dir, whose last file
// has index lastIndex (0 for an empty dir) and whose valid data ends at
// global offset end, with infos registered. As after a Pegasus restart, no
// file is created until the first batch, which starts
// log.<lastIndex+1>.<end> (mutation_log::create_new_log_file).
func NewWriter(dir string, lastIndex int32, end int64, infos []format.ReplicaLogInfo, opts format.WriterOptions) *Writer {
	reps := NewReplicas(infos)
	w := &Writer{reps: reps, lw: format.NewLogWriterWith(dir, lastIndex, end, reps, opts)}
	w.idle = sync.NewCond(&w.mu)
	return w
}

// Append writes ms in one batch, together with the other requests pending
// when it is issued, and returns once the batch is written (and synced if
// the options say so). Each mutation's LogOffset is assigned; ms must not
// be touched until Append returns. The max decree of each replica in the
// header map is raised when the batch is issued, so the next file's header
// covers every mutation of earlier files. After a failed write every
// later Append fails: the log's state on disk is unknown.
func (w *Writer) Append(ms ...*format.Mutation) error {
	if len(ms) == 0 {
		return nil
	}
	r := requestPool.Get().(*request)
	r.ms = ms
	defer func() {
		r.ms = nil
		requestPool.Put(r)
	}()
	w.mu.Lock()
	w.pending = append(w.pending, r)
	if !w.writing {
		w.writing = true
		w.writePending()
		w.writing = false
		w.idle.Broadcast()
	}
	w.mu.Unlock()
	return <-r.done
}

// writePending is mutation_log_shared::write_pending_mutations, re-issued
// until nothing is pending. It runs with w.mu held and the token taken,
// and unlocks w.mu around each write so that requests can queue meanwhile.
func (w *Writer) writePending() {
	for len(w.pending) > 0 {
		batch := w.pending
		w.pending = w.spare[:0]
		w.mu.Unlock()

		w.scratch = w.scratch[:0]
		for _, r := range batch {
			w.scratch = append(w.scratch, r.ms...)
		}
		err := w.lw.Append(w.scratch...)
		clear(w.scratch)
		w.writes++
		for _, r := range batch {
			r.done <- err
		}

		w.mu.Lock()
		clear(batch)
		w.spare = batch[:0]
	}
}

// exclusive runs f with no write in flight.
func (w *Writer) exclusive(f func()) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for w.writing {
		w.idle.Wait()
	}
	f()
}

// Register adds a replica to the header map (or replaces its values), as
// opening a replica registers it with the shared log.
func (w *Writer) Register(in format.ReplicaLogInfo) {
	w.exclusive(func() { w.reps.Register(in) })
}

// ResetReplica sets g's valid start offset to the current end and its max
// decree to maxDecree (mutation_log::on_partition_reset, used by learning),
// and returns the new valid start offset.
func (w *Writer) ResetReplica(g gpid.Gpid, maxDecree int64) int64 {
	var end int64
	w.exclusive(func() {
		end = w.lw.EndOffset()
		w.reps.Register(format.ReplicaLogInfo{Gpid: g, MaxDecree: maxDecree, ValidStartOffset: end})
	})
	return end
}

// MaxDecree is g's in-memory max decree: what the next file's header says.
func (w *Writer) MaxDecree(g gpid.Gpid) int64 {
	var d int64
	w.exclusive(func() { d = w.reps.MaxDecree(g) })
	return d
}

// SwitchFile makes the next batch start a new file (demand_switch_file).
func (w *Writer) SwitchFile() { w.exclusive(w.lw.SwitchFile) }

// StartFile creates the next file now, log.<last+1>.<end> with the header
// of the registered replicas and no mutation (create_new_log_file alone):
// a file that holds only a header, or the file the next batch goes to.
func (w *Writer) StartFile() error {
	var err error
	w.exclusive(func() { err = w.lw.StartFile() })
	return err
}

// EndOffset is the global offset just past the written data.
func (w *Writer) EndOffset() int64 {
	var end int64
	w.exclusive(func() { end = w.lw.EndOffset() })
	return end
}

// LastIndex is the index of the newest file.
func (w *Writer) LastIndex() int32 {
	var i int32
	w.exclusive(func() { i = w.lw.LastIndex() })
	return i
}

// Writes is the number of batches written (write(2) calls of mutations).
func (w *Writer) Writes() int64 {
	var n int64
	w.exclusive(func() { n = w.writes })
	return n
}

// Sync flushes the current file.
func (w *Writer) Sync() error {
	var err error
	w.exclusive(func() { err = w.lw.Sync() })
	return err
}

// Close closes the current file; it does not sync it. It REQUIRES that
// every Append has returned.
func (w *Writer) Close() error {
	var err error
	w.exclusive(func() { err = w.lw.Close() })
	return err
}
