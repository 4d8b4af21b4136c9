package migrate

import (
	"fmt"

	"github.com/waltool/waltool/internal/iec"
	"github.com/waltool/waltool/vfs"
)

// CheckSpace refuses, before the first write, a disk that lacks the bytes
// the fold writes there and the rebalance copies there (a move across
// filesystems holds both copies until the origin is removed), with a
// margin of 1% + 16 MiB for directories and the journal.
func (plan *Plan) CheckSpace(fsys vfs.FS) error {
	need := map[uint64]int64{}
	where := map[uint64]string{}
	for _, rp := range plan.Replicas {
		if rp.FoldBytes == 0 {
			continue
		}
		dir := rp.PlogDir
		if rp.CreatePlogDir {
			dir = rp.Dir
		}
		fi, err := fsys.Stat(dir)
		if err != nil {
			return err
		}
		dev, _ := vfs.DeviceID(fi)
		for _, f := range rp.NewFiles {
			need[dev] += f.Size
		}
		where[dev] = dir
	}
	if rb := plan.Rebalance; rb != nil {
		for _, m := range rb.Moves {
			if !m.Copy {
				continue
			}
			dd := rb.DataDirs[m.ToDataDir]
			need[dd.Device] += m.Bytes
			where[dd.Device] = dd.Path
		}
	}
	for dev, n := range need {
		free, err := vfs.FreeBytes(where[dev])
		if err != nil {
			return err
		}
		if want := n + n/100 + 16<<20; free < want {
			return fmt.Errorf("migrate: not enough free space on the disk of %s: the upgrade writes %s there, %s are free (%s needed with the margin)",
				where[dev], iec.Bytes(n), iec.Bytes(free), iec.Bytes(want))
		}
	}
	return nil
}
