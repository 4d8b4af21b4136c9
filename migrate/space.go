package migrate

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"

	"github.com/waltool/waltool/internal/iec"
	"github.com/waltool/waltool/vfs"
)

// spaceMargin is what a run keeps free beyond the bytes it writes: 1% of
// them plus 16 MiB, for directories, the journal and what the server
// writes meanwhile.
func spaceMargin(n int64) int64 { return n/100 + 16<<20 }

// CheckSpace refuses, before the first write, a filesystem that lacks the
// bytes the upgrade writes there: the fold's new plog files, the slog files
// when the archive is on another filesystem than the slog (they are then
// copied, not renamed), and the rebalance's copies (a move across
// filesystems holds both copies until the origin is removed); each keeps
// spaceMargin free besides.
func (plan *Plan) CheckSpace(fsys vfs.FS) error {
	s := newSpace(fsys)
	for _, rp := range plan.Replicas {
		if rp.FoldBytes == 0 {
			continue
		}
		dir := rp.PlogDir
		if rp.CreatePlogDir {
			dir = rp.Dir
		}
		for _, f := range rp.NewFiles {
			if err := s.add(dir, f.Size); err != nil {
				return err
			}
		}
	}
	if err := s.archive(plan.SlogDir, plan.SlogArchive, plan.SlogFiles); err != nil {
		return err
	}
	if rb := plan.Rebalance; rb != nil {
		for _, m := range rb.Moves {
			if m.Copy {
				s.addOn(rb.DataDirs[m.ToDataDir].Device, rb.DataDirs[m.ToDataDir].Path, m.Bytes)
			}
		}
	}
	return s.check()
}

// CheckSpace refuses, before the first write, an archive on another
// filesystem than the slog that cannot hold the leftover slog files (the
// archive copies them there), with the upgrade's margin.
func (plan *DowngradePlan) CheckSpace(fsys vfs.FS) error {
	s := newSpace(fsys)
	if err := s.archive(plan.SlogDir, plan.SlogArchive, plan.SlogFiles); err != nil {
		return err
	}
	return s.check()
}

// space adds up what a run writes per filesystem (by device).
type space struct {
	fsys  vfs.FS
	need  map[uint64]int64
	where map[uint64]string // a dir on each device, for statfs and the message
}

func newSpace(fsys vfs.FS) *space {
	return &space{fsys: fsys, need: map[uint64]int64{}, where: map[uint64]string{}}
}

// add counts n bytes written in dir (or, for a dir the run creates, its
// nearest existing ancestor).
func (s *space) add(dir string, n int64) error {
	dir = existingAncestor(s.fsys, dir)
	dev, err := deviceOf(s.fsys, dir)
	if err != nil {
		return err
	}
	s.addOn(dev, dir, n)
	return nil
}

func (s *space) addOn(dev uint64, dir string, n int64) {
	s.need[dev] += n
	s.where[dev] = dir
}

// archive counts files, the slog files, on the archive's filesystem when
// it is not the slog dir's.
func (s *space) archive(slogDir, archive string, files []SlogFile) error {
	if archive == "" || len(files) == 0 {
		return nil
	}
	slogDev, err := deviceOf(s.fsys, slogDir)
	if err != nil {
		return err
	}
	archDev, err := deviceOf(s.fsys, archive)
	if err != nil || archDev == slogDev {
		return err
	}
	var n int64
	for _, f := range files {
		n += f.Size
	}
	return s.add(archive, n)
}

// check refuses the first filesystem whose free space is short of what is
// written there plus spaceMargin.
func (s *space) check() error {
	for dev, n := range s.need {
		free, err := vfs.FreeBytes(s.fsys, s.where[dev])
		if err != nil {
			return err
		}
		if want := n + spaceMargin(n); free < want {
			return fmt.Errorf("migrate: not enough free space on the filesystem of %s: the run writes %s there and keeps %s free besides (1%% + 16 MiB), %s needed, %s free",
				s.where[dev], iec.Bytes(n), iec.Bytes(spaceMargin(n)), iec.Bytes(want), iec.Bytes(free))
		}
	}
	return nil
}

// deviceOf is the device of dir, or of its nearest existing ancestor.
func deviceOf(fsys vfs.FS, dir string) (uint64, error) {
	fi, err := fsys.Stat(existingAncestor(fsys, dir))
	if err != nil {
		return 0, err
	}
	dev, _ := vfs.DeviceID(fi)
	return dev, nil
}

func existingAncestor(fsys vfs.FS, dir string) string {
	dir = filepath.Clean(dir)
	for {
		if _, err := fsys.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
			return dir
		}
		up := filepath.Dir(dir)
		if up == dir {
			return dir
		}
		dir = up
	}
}
