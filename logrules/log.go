package logrules

import (
	"path/filepath"

	"github.com/waltool/waltool/finding"
	"github.com/waltool/waltool/format"
	"github.com/waltool/waltool/vfs"
)

// SkippedAtOpen is the first-block rule of log_file::open_read: a file
// whose block 0 is empty or incomplete (ERR_HANDLE_EOF, ERR_INCOMPLETE_DATA)
// is dropped before replay (Pegasus renames it <name>.removed). s is a scan
// of the file, whole or header only.
func SkippedAtOpen(s *format.FileScan) bool {
	if s.Header != nil {
		return false
	}
	e, ok := format.AsError(s.Err)
	return ok && e.Class == finding.TornTail && e.Block == 0
}

// OpenedFile is a log file whose header block read cleanly.
type OpenedFile struct {
	format.LogFile
	Header *format.FileHeader
}

// Log is a log directory opened as mutation_log::open opens it, before any
// replay: every file's first block is read; files SkippedAtOpen are noted
// (Pegasus renames them .removed), and any other first-block error fails
// the open.
type Log struct {
	FS      vfs.FS
	Dir     *format.Dir
	Files   []OpenedFile       // by ascending index
	Skipped []*format.FileScan // skipped files and why
}

// Open reads the header block of every file of dir through fsys. The
// error is an I/O failure, a duplicate index (Pegasus aborts) or the
// first-block damage that makes Pegasus refuse the log.
func Open(fsys vfs.FS, dir *format.Dir) (*Log, error) {
	l := &Log{FS: fsys, Dir: dir}
	if dir.DuplicateIndex != nil {
		return nil, dir.DuplicateIndex
	}
	for _, n := range dir.NotRegular {
		if n.PegasusOpens() {
			return nil, notRegularOpened(dir.Path, n)
		}
	}
	for _, lf := range dir.Files {
		s, err := format.ReadHeader(fsys, lf)
		if err != nil {
			return nil, err
		}
		if s.Header == nil {
			if SkippedAtOpen(s) {
				l.Skipped = append(l.Skipped, s)
				continue
			}
			return nil, s.Err
		}
		l.Files = append(l.Files, OpenedFile{LogFile: lf, Header: s.Header})
	}
	return l, nil
}

// notRegularOpened is the open of a log dir holding n, named like a log
// file but not a regular file: mutation_log::open lists it
// (utils::filesystem::get_subfiles keeps every FTW_F entry, a FIFO, a
// device, a socket) and opens it as a log, which fails, or for a FIFO
// blocks the server's start. waltool does not open it.
func notRegularOpened(dir string, n format.NotRegular) error {
	return finding.New(finding.Corrupt, filepath.Join(dir, n.Name),
		"not a regular file (%s) although named like a log file: the server's mutation_log::open lists it and opens it as a log, which fails or, for a FIFO, blocks its start; move it away",
		vfs.TypeName(n.Type))
}

// Headers lists the headers of the opened files, in order.
func (l *Log) Headers() []*format.FileHeader {
	hs := make([]*format.FileHeader, len(l.Files))
	for i, f := range l.Files {
		hs[i] = f.Header
	}
	return hs
}

// ReplayResult is what mutation_log::replay returns.
type ReplayResult struct {
	// EndOffset is where the valid data of the replayed files ends.
	EndOffset int64
	// Tolerated lists the torn tails replay accepted.
	Tolerated []*format.FileScan
	// Mutations delivered to the callback.
	Mutations int
}

// Replay streams the mutations of files[from:] to fn in order with the
// rules of mutation_log::replay (see Chain). Mutations before a failure
// have been delivered, as in Pegasus. A non-nil error means Pegasus fails
// to open the log.
func (l *Log) Replay(from int, fn format.MutationFunc) (ReplayResult, error) {
	files := make([]format.LogFile, len(l.Files)-from)
	for i, f := range l.Files[from:] {
		files[i] = f.LogFile
	}
	w, err := walk(files, func(i int) (*format.FileScan, error) { return format.ScanFile(l.FS, files[i], fn) })
	return ReplayResult{EndOffset: w.end, Tolerated: w.tolerated, Mutations: w.mutations}, err
}
