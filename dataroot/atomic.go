package dataroot

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"

	"github.com/waltool/waltool/vfs"
)

// maxMetaFileSize bounds what ReadInitInfo and ReadAppInfo read: both files
// are a few hundred bytes (JSON with four numbers, a thrift struct whose
// envs Pegasus filters down to one), so anything near this is damage, and
// reading it whole would let a bad file decide our memory.
const maxMetaFileSize = 1 << 20

// writeFileAtomic publishes data at path the way Pegasus stores .init-info
// and .app-info: write "<path>.tmp", fsync it, rename it over path.
//
// Pegasus: v2.4.0/v2.5.0 write_blob_to_file (replication_app_base.cpp:
// file::write, file::flush = fsync(2) in native_linux_aio_provider::flush,
// rename_path) and HEAD utils::write_data_to_file (load_dump_object.h:
// rocksdb::WriteStringToFile(..., should_sync=true), rename_path). Both
// remove the .tmp file on failure. Neither fsyncs the parent directory; we
// do, because without it a crash can lose the rename even though the
// contents were synced. It changes durability only, never the bytes.
func writeFileAtomic(fsys vfs.FS, path string, data []byte) (err error) {
	tmp := path + ".tmp"
	// Pegasus truncates a leftover .tmp; vfs creates exclusively, so a
	// leftover from a crash is removed first.
	if err := fsys.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("dataroot: remove stale %s: %w", tmp, err)
	}
	f, err := fsys.Create(tmp)
	if err != nil {
		return fmt.Errorf("dataroot: create %s: %w", tmp, err)
	}
	defer func() {
		if err != nil {
			fsys.Remove(tmp) // best effort, as Pegasus's defer'd remove_path
		}
	}()
	if _, err = f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("dataroot: write %s: %w", tmp, err)
	}
	if err = f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("dataroot: fsync %s: %w", tmp, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("dataroot: close %s: %w", tmp, err)
	}
	if err = fsys.Rename(tmp, path); err != nil {
		return fmt.Errorf("dataroot: rename %s to %s: %w", tmp, path, err)
	}
	return fsys.SyncDir(filepath.Dir(path))
}
