package migrate

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"

	"github.com/waltool/waltool/format"
	"github.com/waltool/waltool/gpid"
	"github.com/waltool/waltool/logrules"
	"github.com/waltool/waltool/vfs"
)

// FoldGroup bounds the replicas folded at once in one pass over the slog:
// each holds a write buffer and a queue of mutations, so memory stays
// bounded whatever the number of replicas (more replicas: more passes,
// each over the part of the slog the group needs).
const FoldGroup = 64

// queueLen is how many mutations wait per replica.
const queueLen = 32

var errDone = errors.New("fold: every replica of the group is done")

// errSlogChanged: a replica's writer did not get the mutations the plan
// folds, in number or content.
var errSlogChanged = errors.New("the slog no longer holds what the plan folds")

// Fold writes, for every replica with something to fold, its new plog
// files, each with one steps.Create, re-reading the slog mutations the
// plan names (one pass over the slog per group of FoldGroup replicas;
// replicas are encoded in parallel). The bytes are what format.LogWriter
// writes, one mutation per batch, rotating at the plan's MaxFileSize, so a
// re-run produces the same files. It fails, before the rename of the file
// being written, if the slog no longer holds what the plan saw. It records
// the phase "fold" when done.
func (p *Plan) Fold(fsys vfs.FS, steps Steps) error {
	var todo []*ReplicaPlan
	for _, rp := range p.Replicas {
		if rp.Fold > 0 {
			todo = append(todo, rp)
		}
	}
	for len(todo) > 0 {
		n := min(FoldGroup, len(todo))
		if err := p.foldGroup(fsys, steps, todo[:n]); err != nil {
			return err
		}
		todo = todo[n:]
	}
	return steps.Phase("fold")
}

// replicaFold is one replica being folded.
type replicaFold struct {
	rp     *ReplicaPlan
	ch     chan *format.Mutation
	next   int // index in rp.Ranges
	closed bool
	err    error
	done   chan struct{}
}

func (p *Plan) foldGroup(fsys vfs.FS, steps Steps, group []*ReplicaPlan) error {
	for _, rp := range group {
		if rp.CreatePlogDir {
			if err := steps.Mkdir(rp.PlogDir); err != nil {
				return err
			}
		}
	}
	dir, err := format.OpenDir(fsys, p.SlogDir)
	if err != nil {
		return fmt.Errorf("migrate: fold: slog dir: %w", err)
	}
	log, err := logrules.Open(fsys, dir)
	if err != nil {
		return fmt.Errorf("migrate: fold: slog: %w", err)
	}
	from := int64(-1)
	byGpid := map[gpid.Gpid]*replicaFold{}
	for _, rp := range group {
		if f := rp.Ranges[0].From; from < 0 || f < from {
			from = f
		}
		byGpid[rp.Gpid] = &replicaFold{rp: rp, ch: make(chan *format.Mutation, queueLen), done: make(chan struct{})}
	}
	begin := 0
	for i, f := range log.Files {
		if f.StartOffset <= from {
			begin = i
		}
	}
	for _, rf := range byGpid {
		go func() {
			defer close(rf.done)
			rf.err = rf.write(fsys, steps, p.MaxFileSize)
			for range rf.ch { // drain after a failure
			}
		}()
	}
	left := len(byGpid)
	var read int64
	if len(log.Files) > 0 {
		read = log.Files[begin].StartOffset
	}
	_, rerr := log.Replay(begin, func(m *format.Mutation, pos format.Pos) error {
		if p.Progress != nil {
			end := m.LogOffset + int64(pos.Size)
			p.Progress(end - read)
			read = end
		}
		rf := byGpid[m.Gpid]
		if rf == nil || rf.closed {
			return nil
		}
		for rf.next < len(rf.rp.Ranges) && m.LogOffset > rf.rp.Ranges[rf.next].To {
			rf.next++
		}
		if rf.next >= len(rf.rp.Ranges) || m.LogOffset < rf.rp.Ranges[rf.next].From {
			return nil
		}
		rf.ch <- m.Clone()
		if m.LogOffset == rf.rp.Ranges[len(rf.rp.Ranges)-1].To {
			rf.closed = true
			close(rf.ch)
			left--
			if left == 0 {
				return errDone
			}
		}
		return nil
	})
	for _, rf := range byGpid {
		if !rf.closed {
			close(rf.ch) // short: the writer finds the count wrong
		}
	}
	// A read that failed (EIO, a crash) closed the writers' queues early:
	// their short counts are its consequence, not a slog that changed, and
	// the read's error is the cause to report.
	var readErr error
	if rerr != nil && !errors.Is(rerr, errDone) {
		readErr = fmt.Errorf("migrate: fold: reading the slog: %w", rerr)
	}
	var first error
	for _, rp := range group {
		rf := byGpid[rp.Gpid]
		<-rf.done
		if rf.err != nil && first == nil && (readErr == nil || !errors.Is(rf.err, errSlogChanged)) {
			first = rf.err
		}
	}
	if first == nil {
		first = readErr
	}
	return first
}

// write encodes the mutations arriving on rf.ch with a format.LogWriter
// whose files are created through steps.
func (rf *replicaFold) write(fsys vfs.FS, steps Steps, maxSize int64) error {
	rp := rf.rp
	sfs := &stepsFS{FS: fsys, steps: steps, rp: rp}
	entries := []format.ReplicaLogInfo{{Gpid: rp.Gpid, MaxDecree: rp.MaxDecree, ValidStartOffset: rp.ValidStartOffset}}
	w := format.NewLogWriter(rp.PlogDir, rp.LastIndex, rp.EndOffset, entries, format.WriterOptions{MaxFileSize: maxSize, FS: sfs, DeferDirSync: true})
	h := sha256.New()
	var n int64
	var buf []byte
	for m := range rf.ch {
		n++
		buf = contentHash(h, m, 'f', buf)
		if err := w.Append(m); err != nil {
			sfs.abort(err)
			return fmt.Errorf("migrate: fold %s: %w", rp.Gpid, err)
		}
	}
	if got := hex.EncodeToString(h.Sum(nil)); n != rp.Fold || got != rp.Hash {
		err := fmt.Errorf("migrate: fold %s: %w (%d mutations, hash %.12s; the plan has %d, %.12s)", rp.Gpid, errSlogChanged, n, got, rp.Fold, rp.Hash)
		sfs.abort(err)
		return err
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("migrate: fold %s: %w", rp.Gpid, err)
	}
	if sfs.created != len(rp.NewFiles) {
		return fmt.Errorf("migrate: fold %s: wrote %d files, the plan has %d", rp.Gpid, sfs.created, len(rp.NewFiles))
	}
	return nil
}

// stepsFS is the FS a LogWriter creates the new plog files through: each
// Create starts a steps.Create fed through a pipe, which the file's Close
// ends (and waits for). Files are checked against the plan's names and
// sizes before they are renamed into place.
type stepsFS struct {
	vfs.FS
	steps   Steps
	rp      *ReplicaPlan
	created int
	cur     *pipeFile
}

func (s *stepsFS) Create(path string) (vfs.File, error) {
	if s.created >= len(s.rp.NewFiles) || s.rp.NewFiles[s.created].Path != path {
		return nil, fmt.Errorf("migrate: fold %s: the writer starts %s, not the plan's next file", s.rp.Gpid, path)
	}
	nf := s.rp.NewFiles[s.created]
	s.created++
	pr, pw := io.Pipe()
	f := &pipeFile{pw: pw, path: path, res: make(chan error, 1)}
	go func() {
		err := s.steps.Create(path, func(w io.Writer) error {
			n, err := io.Copy(w, pr)
			if err == nil && n != nf.Size {
				err = fmt.Errorf("%d bytes, the plan has %d", n, nf.Size)
			}
			return err
		})
		// A step already done does not call write: what the writer
		// sends is dropped.
		io.Copy(io.Discard, pr)
		f.res <- err
	}()
	s.cur = f
	return f, nil
}

// abort makes the file being written fail instead of being renamed.
func (s *stepsFS) abort(err error) {
	if s.cur != nil && !s.cur.closed {
		s.cur.pw.CloseWithError(err)
		s.cur.closed = true
		<-s.cur.res
	}
}

// pipeFile is the write end of one new file.
type pipeFile struct {
	pw     *io.PipeWriter
	path   string
	res    chan error
	closed bool
}

func (f *pipeFile) Write(b []byte) (int, error) { return f.pw.Write(b) }
func (f *pipeFile) Close() error {
	if f.closed {
		return nil
	}
	f.closed = true
	f.pw.Close()
	return <-f.res
}
func (f *pipeFile) Name() string                      { return f.path }
func (f *pipeFile) Sync() error                       { return nil }
func (f *pipeFile) Read([]byte) (int, error)          { return 0, errors.ErrUnsupported }
func (f *pipeFile) ReadAt([]byte, int64) (int, error) { return 0, errors.ErrUnsupported }
func (f *pipeFile) Truncate(int64) error              { return errors.ErrUnsupported }
func (f *pipeFile) Stat() (fs.FileInfo, error)        { return nil, errors.ErrUnsupported }
