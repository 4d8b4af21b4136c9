package dataroot

import (
	"fmt"
	"os"
	"path/filepath"
)

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
func writeFileAtomic(path string, data []byte) (err error) {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o666)
	if err != nil {
		return fmt.Errorf("dataroot: create %s: %w", tmp, err)
	}
	defer func() {
		if err != nil {
			os.Remove(tmp) // best effort, as Pegasus's defer'd remove_path
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
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("dataroot: rename %s to %s: %w", tmp, path, err)
	}
	if err = syncDir(filepath.Dir(path)); err != nil {
		return err
	}
	return nil
}

// syncDir makes the directory entries of dir (a rename, a mkdir) durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("dataroot: open dir %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("dataroot: fsync dir %s: %w", dir, err)
	}
	return nil
}
