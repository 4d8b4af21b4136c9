package format

import (
	"fmt"
	"os"
)

// OpenedFile is a log file whose header block read cleanly.
type OpenedFile struct {
	LogFile
	Header *FileHeader
}

// Log is a log directory opened as mutation_log::open opens it, before any
// replay: every file's first block is read; files whose first block is
// empty or incomplete are skipped (Pegasus renames them .removed; we only
// note them), and any other first-block error fails the open.
type Log struct {
	Dir     *Dir
	Files   []OpenedFile // by ascending index
	Skipped []*FileScan  // skipped files and why
	// EndOffset is the end of the last file as Pegasus computes it before
	// replay (start + size); Replay returns the true end of valid data.
}

// OpenLog reads the header block of every file of dir.
func OpenLog(dir *Dir) (*Log, error) {
	l := &Log{Dir: dir}
	if dir.DuplicateIndex != nil {
		return nil, dir.DuplicateIndex
	}
	for _, lf := range dir.Files {
		h, s, err := ReadHeader(lf)
		if err != nil {
			return nil, err
		}
		if h == nil {
			if e, ok := AsError(s.Err); ok && e.Class == TornTail && e.Block == 0 {
				l.Skipped = append(l.Skipped, s)
				continue
			}
			return nil, s.Err
		}
		l.Files = append(l.Files, OpenedFile{LogFile: lf, Header: h})
	}
	return l, nil
}

// ReadHeader reads and checks only block 0 of lf. A nil header comes with a
// FileScan whose Err says why; the error is for I/O failures.
func ReadHeader(lf LogFile) (*FileHeader, *FileScan, error) {
	f, err := os.Open(lf.Path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	s := &FileScan{File: lf}
	r := NewReader(f, lf.Path, lf.Size)
	r.headerOnly = true
	b, err := r.Next()
	if err != nil {
		if _, ok := AsError(err); ok {
			s.Err = err
			return nil, s, nil
		}
		return nil, nil, err
	}
	h, _, err := DecodeFileHeader(b.Body)
	if err == nil && h.StartOffset != lf.StartOffset {
		err = fmt.Errorf("%w: start_global_offset %d, file name says %d", ErrBadFileHeader, h.StartOffset, lf.StartOffset)
	}
	if err != nil {
		s.Err = &Error{File: lf.Path, Offset: 0, MutationOffset: -1, Class: Corrupt, Err: err}
		return nil, s, nil
	}
	return &h, s, nil
}

// ReplayResult is what mutation_log::replay returns.
type ReplayResult struct {
	// EndOffset is where the valid data of the replayed files ends.
	EndOffset int64
	// Tolerated lists the torn tails replay accepted.
	Tolerated []*FileScan
	// Mutations delivered to the callback.
	Mutations int
}

// Replay streams the mutations of files[from:] to fn in order with the
// rules of mutation_log::replay: consecutive indices, each file starting
// where the valid data of the one before ended, an incomplete block ending
// a file (fatal only if the next file does not start there), any other
// damage fatal. Mutations before the failure have been delivered, as in
// Pegasus. A non-nil error means Pegasus fails to open the log.
func (l *Log) Replay(from int, fn MutationFunc) (ReplayResult, error) {
	files := make([]LogFile, len(l.Files)-from)
	for i, f := range l.Files[from:] {
		files[i] = f.LogFile
	}
	w, err := walk(files, func(i int) (*FileScan, error) { return ScanFile(files[i], fn) })
	return ReplayResult{EndOffset: w.end, Tolerated: w.tolerated, Mutations: w.mutations}, err
}
