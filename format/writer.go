package format

import (
	"fmt"
	"path/filepath"
	"slices"

	"github.com/waltool/waltool/gpid"
	"github.com/waltool/waltool/vfs"
)

// DefaultMaxFileSize is log_private_file_size_mb's default (32 MiB).
const DefaultMaxFileSize = 32 << 20

// WriterOptions configure a LogWriter.
type WriterOptions struct {
	// MaxFileSize starts a new file before a batch once the current file
	// has reached it (mutation_log::mark_new_offset); files overshoot by up
	// to one batch. 0 means DefaultMaxFileSize.
	MaxFileSize int64
	// Sync fsyncs each batch (plog_force_flush=true); Pegasus's default
	// is false.
	Sync bool
	// FS creates each new file: FS.Create refuses an existing name
	// (O_CREAT|O_EXCL), as log_file::create_write does; then FS.SyncDir
	// makes the name durable. nil means vfs.OS.
	FS vfs.FS
	// DeferDirSync skips the directory fsync after a create: the caller
	// makes the name durable itself (format/plog in its next flush round)
	// or not at all (fixtures).
	DeferDirSync bool
}

// Header is what each new file's header lists: one entry per replica
// registered with the log (a plog's owner alone; every replica of the
// server in the shared log), with its in-memory max decree and valid start
// offset (mutation_log::create_new_log_file). The LogWriter keeps the max
// decrees current; the caller owns the set of entries.
type Header interface {
	// Entry is g's entry, which the writer raises to the decree of each
	// mutation of g it issues; nil means g is not listed (its decrees
	// are not tracked).
	Entry(g gpid.Gpid) *ReplicaLogInfo
	// Entries lists the entries in any order; the writer copies them and
	// sorts them by gpid.
	Entries() []ReplicaLogInfo
}

// Entries is a fixed set of header entries, such as a plog's single entry
// for its owner. The writer raises the max decrees in place, so whoever
// holds the slice sees the in-memory max decrees.
type Entries []ReplicaLogInfo

// Entry is g's entry, or nil.
func (e Entries) Entry(g gpid.Gpid) *ReplicaLogInfo {
	for i := range e {
		if e[i].Gpid == g {
			return &e[i]
		}
	}
	return nil
}

// Entries returns e.
func (e Entries) Entries() []ReplicaLogInfo { return e }

// LogWriter appends mutations to one log directory as a Pegasus
// mutation_log does: no file is created until the first batch after open,
// which starts log.<last+1>.<end>; files rotate at MaxFileSize; each new
// file's header lists the entries of its Header. It is not safe for
// concurrent use; format/slog and format/plog build the shared log and the
// parallel plog writer on it.
type LogWriter struct {
	dir       string
	opts      WriterOptions
	lastIndex int32
	end       int64 // global end offset of written data
	hdr       Header

	cur          vfs.File
	enc          *Encoder
	buf          []byte
	switchDemand bool
	err          error // sticky: after a failed write the file state is unknown
}

// NewLogWriter prepares to append to dir, whose last file has index
// lastIndex (0 for an empty dir) and whose valid data ends at global offset
// end, with a fixed set of header entries (a copy of entries): a plog's
// header lists its owner alone. Mutations of gpids not listed are written
// but not tracked in headers; format/slog keeps the shared log's set.
func NewLogWriter(dir string, lastIndex int32, end int64, entries []ReplicaLogInfo, opts WriterOptions) *LogWriter {
	return NewLogWriterWith(dir, lastIndex, end, Entries(slices.Clone(entries)), opts)
}

// NewLogWriterWith is NewLogWriter with the header entries kept by h.
func NewLogWriterWith(dir string, lastIndex int32, end int64, h Header, opts WriterOptions) *LogWriter {
	if opts.MaxFileSize <= 0 {
		opts.MaxFileSize = DefaultMaxFileSize
	}
	if opts.FS == nil {
		opts.FS = vfs.OS
	}
	if h == nil {
		h = Entries(nil)
	}
	return &LogWriter{dir: dir, opts: opts, lastIndex: lastIndex, end: end, hdr: h}
}

// SwitchFile makes the next batch start a new file (demand_switch_file).
func (w *LogWriter) SwitchFile() { w.switchDemand = true }

// EndOffset is the global offset just past the written data.
func (w *LogWriter) EndOffset() int64 { return w.end }

// LastIndex is the index of the newest file.
func (w *LogWriter) LastIndex() int32 { return w.lastIndex }

// Append writes one batch. Each mutation's LogOffset is assigned.
func (w *LogWriter) Append(ms ...*Mutation) error {
	if w.err != nil {
		return w.err
	}
	if len(ms) == 0 {
		return nil
	}
	if w.cur == nil || w.switchDemand || w.enc.State().Size >= w.opts.MaxFileSize {
		if err := w.newFile(); err != nil {
			return w.fail(err)
		}
	}
	var st EncoderState
	w.buf, st = w.enc.Batch(w.buf[:0], ms)
	// Pegasus raises the in-memory max decree when the batch is issued,
	// so the next file's header covers every mutation of earlier files.
	for _, m := range ms {
		if in := w.hdr.Entry(m.Gpid); in != nil {
			in.MaxDecree = max(in.MaxDecree, m.Decree)
		}
	}
	if _, err := w.cur.Write(w.buf); err != nil {
		return w.fail(err)
	}
	if w.opts.Sync {
		if err := w.cur.Sync(); err != nil {
			return w.fail(err)
		}
	}
	w.enc.Commit(st)
	w.end = w.enc.EndOffset()
	return nil
}

// StartFile creates the next file now, with its header block alone, as
// mutation_log::create_new_log_file does; the next batch is appended to it
// (unless a switch is demanded again, or the size limit is reached).
func (w *LogWriter) StartFile() error {
	if w.err != nil {
		return w.err
	}
	if err := w.newFile(); err != nil {
		return w.fail(err)
	}
	return nil
}

// Sync flushes the current file.
func (w *LogWriter) Sync() error {
	if w.err != nil {
		return w.err
	}
	if w.cur == nil {
		return nil
	}
	if err := w.cur.Sync(); err != nil {
		return w.fail(err)
	}
	return nil
}

// Close closes the current file; it does not sync it.
func (w *LogWriter) Close() error {
	if w.cur == nil {
		return nil
	}
	err := w.cur.Close()
	w.cur = nil
	return err
}

func (w *LogWriter) fail(err error) error {
	w.err = fmt.Errorf("log %s: %w", w.dir, err)
	return w.err
}

// newFile creates log.<last+1>.<end> and writes its header block by itself,
// as mutation_log::create_new_log_file does.
func (w *LogWriter) newFile() error {
	if w.cur != nil {
		if err := w.cur.Close(); err != nil {
			return err
		}
		w.cur = nil
	}
	h := &FileHeader{Version: FileHeaderVersion, StartOffset: w.end}
	h.Entries = slices.Clone(w.hdr.Entries())
	slices.SortFunc(h.Entries, func(a, b ReplicaLogInfo) int {
		switch {
		case a.Gpid.Less(b.Gpid):
			return -1
		case b.Gpid.Less(a.Gpid):
			return 1
		}
		return 0
	})
	path := filepath.Join(w.dir, FileName(w.lastIndex+1, w.end))
	f, err := w.opts.FS.Create(path)
	if err != nil {
		return err
	}
	if !w.opts.DeferDirSync {
		if err := w.opts.FS.SyncDir(w.dir); err != nil {
			f.Close()
			return err
		}
	}
	enc, block0 := NewEncoder(w.buf[:0], h)
	if _, err := f.Write(block0); err != nil {
		f.Close()
		return err
	}
	w.cur, w.enc, w.buf = f, enc, block0
	w.lastIndex++
	w.end = enc.EndOffset()
	w.switchDemand = false
	return nil
}
