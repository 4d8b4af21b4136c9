package dataroot

import (
	"fmt"

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
func writeFileAtomic(fsys vfs.FS, path string, data []byte) error {
	if err := vfs.WriteFileAtomic(fsys, path, data); err != nil {
		return fmt.Errorf("dataroot: %w", err)
	}
	return nil
}
