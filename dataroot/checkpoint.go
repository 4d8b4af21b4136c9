package dataroot

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/waltool/waltool/vfs"
)

const checkpointPrefix = "checkpoint."

// ParseCheckpointName mirrors chkpt_init_from_dir (v2.4.0/v2.5.0
// src/server/pegasus_server_impl.cpp):
//
//	return 1 == sscanf(name, "checkpoint.%" PRId64 "", &decree) &&
//	       std::string(name) == chkpt_get_dir_name(decree);
//
// chkpt_get_dir_name prints "checkpoint.%" PRId64, so a name is accepted
// exactly when it equals "checkpoint." + strconv.FormatInt(d, 10): no
// padding, no '+', no spaces, in int64 range. A '-' does round-trip, so
// "checkpoint.-5" is a checkpoint of decree -5 to Pegasus, and to us.
func ParseCheckpointName(name string) (int64, bool) {
	s, ok := strings.CutPrefix(name, checkpointPrefix)
	if !ok {
		return 0, false
	}
	d, err := strconv.ParseInt(s, 10, 64)
	if err != nil || strconv.FormatInt(d, 10) != s {
		return 0, false
	}
	return d, true
}

// Checkpoints is what pegasus_server_impl::parse_checkpoints sees in a
// replica's data/ dir.
type Checkpoints struct {
	Decrees []int64 // sorted ascending
	// Leftovers are the other sub-directories whose name contains
	// "checkpoint" anywhere (d1.find("checkpoint") != npos), e.g.
	// "checkpoint.tmp.<us>" from an interrupted async_checkpoint. Pegasus
	// deletes them when the app starts; we only report them.
	Leftovers []string
}

// Durable is last_durable_decree as parse_checkpoints sets it: the
// largest checkpoint decree, 0 when there is none.
func (c Checkpoints) Durable() int64 {
	if len(c.Decrees) == 0 {
		return 0
	}
	return c.Decrees[len(c.Decrees)-1]
}

// ListCheckpoints lists the sub-directories of dataDir (<replica>/data).
// Like get_subdirectories it follows symlinks and ignores regular files.
func ListCheckpoints(fsys vfs.FS, dataDir string) (Checkpoints, error) {
	var c Checkpoints
	names, err := subdirs(fsys, dataDir)
	if err != nil {
		return c, err
	}
	for _, name := range names {
		if d, ok := ParseCheckpointName(name); ok {
			c.Decrees = append(c.Decrees, d)
		} else if strings.Contains(name, "checkpoint") {
			c.Leftovers = append(c.Leftovers, name)
		}
	}
	sort.Slice(c.Decrees, func(i, j int) bool { return c.Decrees[i] < c.Decrees[j] })
	return c, nil
}

// subdirs returns the names of the directories in dir, sorted, following
// symlinks as nftw without FTW_PHYS does (utils::filesystem::get_subpaths).
func subdirs(fsys vfs.FS, dir string) ([]string, error) {
	ents, err := fsys.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("dataroot: list dir: %w", err)
	}
	var out []string
	for _, e := range ents {
		isDir := e.IsDir()
		if e.Type()&os.ModeSymlink != 0 {
			fi, err := fsys.Stat(filepath.Join(dir, e.Name()))
			isDir = err == nil && fi.IsDir()
		}
		if isDir {
			out = append(out, e.Name())
		}
	}
	return out, nil
}
