package format

import (
	"errors"
	"fmt"
)

// ErrChain marks a failure of the rules that tie the files of one log
// together: index continuity and start offsets.
var ErrChain = errors.New("log chain broken")

// ChainVerdict is what Pegasus's mutation_log::open and mutation_log::replay
// conclude about a log directory whose files have been scanned.
type ChainVerdict struct {
	// Replayed are the scans Pegasus replays, in order: files whose block 0
	// was empty or incomplete are skipped (log_file::open_read renames them
	// .removed), and replay stops at the first fatal file.
	Replayed []*FileScan
	// Skipped are the files open_read drops before replay.
	Skipped []*FileScan
	// EndOffset is where the log's valid data ends; a writer starts the
	// next file there.
	EndOffset int64
	// Err is nil when Pegasus opens the log, else why it refuses it.
	Err error
	// Tolerated lists torn tails Pegasus accepts.
	Tolerated []*FileScan
}

// Chain applies, to scans of the files of one directory in index order, the
// rules of mutation_log::open (skip files whose first block is incomplete,
// fail on any other first-block error), log_utils::check_log_files_continuity
// (consecutive indices) and mutation_log::replay (each file starts where the
// previous one's valid data ended; an incomplete block ends a file, and is
// fine only if the next file starts at its valid end or it is the last
// file; bad data anywhere is fatal).
func Chain(scans []*FileScan) ChainVerdict {
	var v ChainVerdict
	var open []*FileScan
	for _, s := range scans {
		if s.Header == nil {
			if e, ok := AsError(s.Err); ok && e.Class == TornTail && e.Block == 0 {
				v.Skipped = append(v.Skipped, s)
				continue
			}
			v.Err = s.Err
			return v
		}
		open = append(open, s)
	}
	for i := 1; i < len(open); i++ {
		if open[i].File.Index != open[i-1].File.Index+1 {
			v.Err = fmt.Errorf("%w: %s: log file with index %d is missing (Pegasus: ERR_OBJECT_NOT_FOUND)",
				ErrChain, open[i].File.Path, open[i-1].File.Index+1)
			return v
		}
	}
	if len(open) == 0 {
		return v
	}
	end := open[0].File.StartOffset
	for _, s := range open {
		if s.File.StartOffset != end {
			v.Err = fmt.Errorf("%w: %s starts at global offset %d, the previous file's valid data ends at %d (Pegasus: ERR_INVALID_DATA)",
				ErrChain, s.File.Path, s.File.StartOffset, end)
			return v
		}
		v.Replayed = append(v.Replayed, s)
		end = s.EndOffset()
		v.EndOffset = end
		if s.Err == nil {
			continue
		}
		if e, ok := AsError(s.Err); ok && e.Class == TornTail {
			// "Delay handling": only fine if the next file starts at end,
			// which the loop checks, or if this is the last file.
			v.Tolerated = append(v.Tolerated, s)
			continue
		}
		v.Err = s.Err
		return v
	}
	return v
}
