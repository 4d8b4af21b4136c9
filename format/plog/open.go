package plog

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/waltool/waltool/format"
	"github.com/waltool/waltool/gpid"
	"github.com/waltool/waltool/logrules"
	"github.com/waltool/waltool/vfs"
)

// State is what Pegasus's mutation_log::open rebuilds from a plog dir, and
// so where a writer reopening it must continue.
type State struct {
	// LastIndex is the index of the newest file (0 for an empty dir); the
	// first batch after open creates log.<LastIndex+1>.<EndOffset>.
	LastIndex int32
	// EndOffset is the global offset where the replayed valid data ends: a
	// torn tail of the last file is left where it is and the next file
	// starts before it, as Pegasus does.
	EndOffset int64
	// MaxDecree is the in-memory max decree Pegasus rebuilds: the largest
	// decree among the mutations the replay accepts (files from the replay
	// start on, log_offset at or after the valid start offset). It goes
	// into the next file's header, and may be lower than the true maximum
	// of older files (pegasus-log-format.md section 6).
	MaxDecree int64
	// Files is the number of log files kept (renamed files excluded).
	Files int
	// Removed are the files renamed to <name>.removed because their block
	// 0 was empty or incomplete: log_file::open_read does that, and the
	// next file would otherwise collide with their index.
	Removed []string
	// Tolerated are the files whose torn tail the replay accepts.
	Tolerated []string
}

// ReadState reads a plog dir as Pegasus's replica open does for replica g:
// it scans every file with format.ScanFile, renames files whose block 0 is
// incomplete to <name>.removed (through fsys, then syncs the dir), picks the
// replay start with the private-log filter (the last file whose header max
// decree for g is at most lastCommitted; section 12.1), applies the chain
// rules of mutation_log::replay with logrules.Chain, and rebuilds the max
// decree from the mutations the replay accepts (log_offset >=
// validStartOffset). An error means Pegasus would refuse the log: the
// replica would be moved to .err and re-learned, and a writer must not
// append to it.
func ReadState(fsys vfs.FS, dir string, g gpid.Gpid, validStartOffset, lastCommitted int64) (*State, error) {
	d, err := format.OpenDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("plog %s: %w", dir, err)
	}
	if d.DuplicateIndex != nil {
		return nil, d.DuplicateIndex
	}
	st := &State{}
	var open []*format.FileScan
	maxDecree := map[*format.FileScan]int64{}
	for _, lf := range d.Files {
		var m int64
		s, err := format.ScanFile(fsys, lf, func(mu *format.Mutation, _ format.Pos) error {
			// replica::replay_mutation rejects mutations from before the
			// last reset; rejected ones do not raise the max decree.
			if mu.Gpid == g && mu.LogOffset >= validStartOffset {
				m = max(m, mu.Decree)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("plog %s: %w", lf.Path, err)
		}
		if s.Header == nil {
			if logrules.SkippedAtOpen(s) {
				if err := fsys.Rename(lf.Path, lf.Path+".removed"); err != nil {
					return nil, fmt.Errorf("plog %s: rename file with incomplete block 0: %w", lf.Path, err)
				}
				st.Removed = append(st.Removed, lf.Name())
				continue
			}
			// log_file::open_read fails with ERR_INVALID_DATA: the whole
			// log fails to open.
			return nil, fmt.Errorf("plog %s: %w", dir, s.Err)
		}
		maxDecree[s] = m
		open = append(open, s)
	}
	if len(st.Removed) > 0 {
		if err := fsys.SyncDir(dir); err != nil {
			return nil, fmt.Errorf("plog %s: %w", dir, err)
		}
	}
	st.Files = len(open)
	if len(open) == 0 {
		return st, nil
	}
	st.LastIndex = open[len(open)-1].File.Index
	headers := make([]*format.FileHeader, len(open))
	for i, s := range open {
		headers[i] = s.Header
	}
	begin := logrules.PrivateReplayStart(headers, g, lastCommitted)
	v := logrules.Chain(open[begin:])
	if v.Err != nil {
		return nil, fmt.Errorf("plog %s: Pegasus would refuse this log: %w", dir, v.Err)
	}
	st.EndOffset = v.EndOffset
	for _, s := range v.Replayed {
		st.MaxDecree = max(st.MaxDecree, maxDecree[s])
	}
	for _, s := range v.Tolerated {
		st.Tolerated = append(st.Tolerated, s.File.Name())
	}
	return st, nil
}

// ensureDir creates a missing plog dir, as mutation_log::open does, and
// its missing parents (a replica dir), syncing the parent of each dir it
// creates so that every new name is durable before an append is
// acknowledged.
func ensureDir(fsys vfs.FS, dir string) error {
	if _, err := fsys.Stat(dir); err == nil {
		return nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return vfs.MkdirAllDurable(fsys, dir)
}
