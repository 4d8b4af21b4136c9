package format

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
)

// DefaultMaxFileSize is log_private_file_size_mb's default (32 MiB).
const DefaultMaxFileSize = 32 << 20

// WriteFile is the part of a file a log writer uses; tests substitute
// files that fail on demand.
type WriteFile interface {
	io.Writer
	Sync() error
	Close() error
}

// WriterOptions configure a LogWriter.
type WriterOptions struct {
	// MaxFileSize starts a new file before a batch once the current file
	// has reached it (mutation_log::mark_new_offset); files overshoot by up
	// to one batch. 0 means DefaultMaxFileSize.
	MaxFileSize int64
	// Sync fsyncs each batch (plog_force_flush=true); Pegasus's default
	// is false.
	Sync bool
	// Create opens a new file for writing; it must fail if the file
	// exists, as log_file::create_write does. Default: os.OpenFile with
	// O_CREATE|O_EXCL, followed by an fsync of the directory.
	Create func(path string) (WriteFile, error)
}

// LogWriter appends mutations to one log directory as a Pegasus
// mutation_log does: no file is created until the first batch after open,
// which starts log.<last+1>.<end>; files rotate at MaxFileSize; each new
// file's header carries the in-memory max decree and valid start offset of
// every registered gpid. It is not safe for concurrent use.
type LogWriter struct {
	dir       string
	opts      WriterOptions
	lastIndex int32
	end       int64 // global end offset of written data
	infos     map[Gpid]*ReplicaLogInfo

	cur          WriteFile
	enc          *Encoder
	buf          []byte
	switchDemand bool
	err          error // sticky: after a failed write the file state is unknown
}

// NewLogWriter prepares to append to dir, whose last file has index
// lastIndex (0 for an empty dir) and whose valid data ends at global offset
// end. infos are the gpids registered with the log and their header values.
func NewLogWriter(dir string, lastIndex int32, end int64, infos []ReplicaLogInfo, opts WriterOptions) *LogWriter {
	if opts.MaxFileSize <= 0 {
		opts.MaxFileSize = DefaultMaxFileSize
	}
	if opts.Create == nil {
		opts.Create = createExclusive
	}
	w := &LogWriter{dir: dir, opts: opts, lastIndex: lastIndex, end: end, infos: map[Gpid]*ReplicaLogInfo{}}
	for _, in := range infos {
		w.Register(in)
	}
	return w
}

// Register adds g to the header map (or replaces its values), as opening a
// replica registers it with the shared log.
func (w *LogWriter) Register(in ReplicaLogInfo) {
	c := in
	w.infos[in.Gpid] = &c
}

// ResetReplica sets g's valid start offset to the current end and its max
// decree to maxDecree (mutation_log::on_partition_reset, used by learning),
// and returns the new valid start offset.
func (w *LogWriter) ResetReplica(g Gpid, maxDecree int64) int64 {
	w.infos[g] = &ReplicaLogInfo{Gpid: g, MaxDecree: maxDecree, ValidStartOffset: w.end}
	return w.end
}

// SwitchFile makes the next batch start a new file (demand_switch_file).
func (w *LogWriter) SwitchFile() { w.switchDemand = true }

// EndOffset is the global offset just past the written data.
func (w *LogWriter) EndOffset() int64 { return w.end }

// LastIndex is the index of the newest file.
func (w *LogWriter) LastIndex() int32 { return w.lastIndex }

// MaxDecree is the in-memory max decree of g.
func (w *LogWriter) MaxDecree(g Gpid) int64 {
	if in := w.infos[g]; in != nil {
		return in.MaxDecree
	}
	return 0
}

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
		in := w.infos[m.Gpid]
		if in == nil {
			in = &ReplicaLogInfo{Gpid: m.Gpid}
			w.infos[m.Gpid] = in
		}
		in.MaxDecree = max(in.MaxDecree, m.Decree)
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
	for _, in := range w.infos {
		h.Entries = append(h.Entries, *in)
	}
	sort.Slice(h.Entries, func(i, j int) bool { return h.Entries[i].Gpid.Less(h.Entries[j].Gpid) })
	path := filepath.Join(w.dir, FileName(w.lastIndex+1, w.end))
	f, err := w.opts.Create(path)
	if err != nil {
		return err
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

func createExclusive(path string) (WriteFile, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, err
	}
	if err := SyncDir(filepath.Dir(path)); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// SyncDir fsyncs a directory so that a created, renamed or removed name in
// it survives a crash.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
