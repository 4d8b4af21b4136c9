package format

import "github.com/waltool/waltool/gpid"

// Gpid is the replica identity the codec reads and writes (file header
// entries, mutation headers): gpid.Gpid, named here so that code working
// with log records needs one import.
type Gpid = gpid.Gpid

// ParseGpid parses "<app_id>.<partition_index>".
func ParseGpid(s string) (Gpid, error) { return gpid.Parse(s) }

// GpidFromUint64 splits the on-disk union value.
func GpidFromUint64(v uint64) Gpid { return gpid.FromUint64(v) }
