package logrules

import (
	"errors"

	"github.com/waltool/waltool/finding"
	"github.com/waltool/waltool/format"
)

// ErrChain is the cause of the Corrupt findings the rules that tie the
// files of one log together return: index continuity and start offsets.
var ErrChain = errors.New("log chain broken")

// ChainVerdict is what Pegasus's mutation_log::open and mutation_log::replay
// conclude about a log directory whose files have been scanned.
type ChainVerdict struct {
	// Replayed are the scans Pegasus replays, in order: files whose block 0
	// was empty or incomplete are skipped (log_file::open_read renames them
	// .removed), and replay stops at the first fatal file.
	Replayed []*format.FileScan
	// Skipped are the files open_read drops before replay.
	Skipped []*format.FileScan
	// EndOffset is where the log's valid data ends; a writer starts the
	// next file there.
	EndOffset int64
	// Err is nil when Pegasus opens the log, else why it refuses it.
	Err error
	// Tolerated lists torn tails Pegasus accepts.
	Tolerated []*format.FileScan
}

// Chain applies, to scans of every file of one directory in index order,
// the rules of mutation_log::open (skip files whose first block is
// incomplete, fail on any other first-block error) and then those of
// mutation_log::replay (see walk). It is the parallel form of Log.Replay:
// files are scanned independently first, the verdict is drawn after.
func Chain(scans []*format.FileScan) ChainVerdict {
	var v ChainVerdict
	var open []*format.FileScan
	for _, s := range scans {
		if s.Header == nil {
			if SkippedAtOpen(s) {
				v.Skipped = append(v.Skipped, s)
				continue
			}
			v.Err = s.Err
			return v
		}
		open = append(open, s)
	}
	files := make([]format.LogFile, len(open))
	for i, s := range open {
		files[i] = s.File
	}
	w, err := walk(files, func(i int) (*format.FileScan, error) { return open[i], nil })
	v.Replayed, v.Tolerated, v.EndOffset, v.Err = w.replayed, w.tolerated, w.end, err
	return v
}

type walked struct {
	replayed, tolerated []*format.FileScan
	end                 int64
	mutations           int
}

// walk is mutation_log::replay over files already opened: indices must be
// consecutive (log_utils::check_log_files_continuity, ERR_OBJECT_NOT_FOUND);
// each file must start where the valid data of the one before ended
// (ERR_INVALID_DATA); an incomplete block ends a file and is fine if the
// next file starts there or it is the last ("delay handling"); any other
// damage stops the replay and fails the open. scan reads file i.
func walk(files []format.LogFile, scan func(i int) (*format.FileScan, error)) (walked, error) {
	var w walked
	for i := 1; i < len(files); i++ {
		if files[i].Index != files[i-1].Index+1 {
			return w, finding.New(finding.Corrupt, files[i].Path, "log file with index %d is missing (Pegasus: ERR_OBJECT_NOT_FOUND)",
				files[i-1].Index+1).Because(ErrChain)
		}
	}
	if len(files) == 0 {
		return w, nil
	}
	w.end = files[0].StartOffset
	for i, f := range files {
		if f.StartOffset != w.end {
			return w, finding.New(finding.Corrupt, f.Path, "starts at global offset %d, the previous file's valid data ends at %d (Pegasus: ERR_INVALID_DATA)",
				f.StartOffset, w.end).Because(ErrChain)
		}
		s, err := scan(i)
		if err != nil {
			return w, err
		}
		w.replayed = append(w.replayed, s)
		w.mutations += s.Mutations
		w.end = s.EndOffset()
		if s.Err == nil {
			continue
		}
		if e, ok := format.AsError(s.Err); ok && e.Class == finding.TornTail {
			w.tolerated = append(w.tolerated, s)
			continue
		}
		return w, s.Err
	}
	return w, nil
}
