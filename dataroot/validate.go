package dataroot

import (
	"errors"
	"io/fs"
	"math"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/waltool/waltool/finding"
	"github.com/waltool/waltool/vfs"
)

// Validate returns ValidateReplica for every replica, in gpid order. The
// discovery findings are not repeated; they are in r.Findings.
func (r *Root) Validate() []finding.Finding {
	var out []finding.Finding
	for _, rep := range r.Replicas {
		out = append(out, ValidateReplica(rep)...)
	}
	return out
}

// ValidateReplica runs every per-replica check.
func ValidateReplica(rep *Replica) []finding.Finding {
	var out []finding.Finding
	for _, check := range []func(*Replica) []finding.Finding{
		CheckAppInfo, CheckAppType, CheckAppID, CheckPartitionIndex,
		CheckInitInfo, CheckDataDir, CheckDurableDecree,
	} {
		out = append(out, check(rep)...)
	}
	return out
}

// one is a finding about rep, tied to its gpid.
func one(rep *Replica, path string, c finding.Class, msg string, args ...any) []finding.Finding {
	return []finding.Finding{finding.New(c, path, msg, args...).For(rep.Gpid)}
}

// CheckAppInfo reports a missing or undecodable .app-info.
func CheckAppInfo(rep *Replica) []finding.Finding {
	path := filepath.Join(rep.Dir, AppInfoFile)
	switch err := rep.AppInfoErr; {
	case err == nil:
		return nil
	case errors.Is(err, fs.ErrNotExist):
		// load_replica / validate_replica_dir return before creating the
		// replica; the dir stays where it is.
		return one(rep, path, finding.Corrupt, "missing; Pegasus does not load the replica")
	case errors.Is(err, ErrBadMagic):
		return one(rep, path, finding.Corrupt, "%v; Pegasus fails with ERR_INVALID_DATA and does not load the replica", err)
	case errors.Is(err, ErrBadAppInfo):
		return one(rep, path, finding.Corrupt, "%v; Pegasus's thrift decoder throws and nothing catches it: the server aborts (derived)", err)
	case readFailed(err):
		return one(rep, path, finding.Error, "cannot read it: %v", err)
	default:
		return one(rep, path, finding.Corrupt, "unreadable: %v", err)
	}
}

// readFailed reports whether err is waltool failing to read a file
// (permissions, I/O), which says nothing about what Pegasus would do, as
// opposed to a file that is missing, not a regular file, too large or
// undecodable, which is what Pegasus would find too.
func readFailed(err error) bool {
	var pe *fs.PathError
	return errors.As(err, &pe) && !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, vfs.ErrNotRegular) && !errors.Is(err, vfs.ErrTooLarge)
}

// CheckAppType: the dir name's app_type must equal .app-info's, or the
// replica is not loaded ("unmatched app type", all versions).
func CheckAppType(rep *Replica) []finding.Finding {
	if rep.AppInfo == nil || rep.AppInfo.AppType == rep.AppType {
		return nil
	}
	return one(rep, rep.Dir, finding.Corrupt, "dir name says app type %q, %s says %q; Pegasus does not load the replica",
		rep.AppType, AppInfoFile, rep.AppInfo.AppType)
}

// CheckAppID: Pegasus takes the gpid from the dir name and never compares
// it with .app-info's app_id, so a mismatch loads; it suggests a copied
// or renamed dir.
func CheckAppID(rep *Replica) []finding.Finding {
	if rep.AppInfo == nil || rep.AppInfo.AppID == rep.Gpid.App {
		return nil
	}
	return one(rep, rep.Dir, finding.Warning, "dir name says app id %d, %s says %d (Pegasus does not check this)",
		rep.Gpid.App, AppInfoFile, rep.AppInfo.AppID)
}

// CheckPartitionIndex: HEAD ignores a replica with pidx >= partition_count
// (validate_replica_dir; garbage of an aborted partition split), but
// v2.4.0 replica::load and v2.5.0 replica_stub::load_replica test
// partition_count < pidx, so there pidx == partition_count still loads.
func CheckPartitionIndex(rep *Replica) []finding.Finding {
	if rep.AppInfo == nil {
		return nil
	}
	pidx, n := rep.Gpid.Partition, rep.AppInfo.PartitionCount
	switch {
	case pidx > n:
		return one(rep, rep.Dir, finding.Warning, "partition index %d > partition_count %d: split garbage, no version loads it", pidx, n)
	case pidx == n:
		return one(rep, rep.Dir, finding.Warning, "partition index %d == partition_count %d: 2.4/2.5 load it (off-by-one), 2.6 ignores it as split garbage", pidx, n)
	}
	return nil
}

// CheckInitInfo reports a missing or undecodable .init-info.
func CheckInitInfo(rep *Replica) []finding.Finding {
	path := filepath.Join(rep.Dir, InitInfoFile)
	switch err := rep.InitInfoErr; {
	case err == nil:
		return nil
	case errors.Is(err, fs.ErrNotExist):
		// v2.4.0 replica_init_info::load: dassert_f(path_exists); v2.5.0 and
		// HEAD return ERR_PATH_NOT_FOUND, open fails, load_replica renames
		// the dir to <dir>.<us>.err.
		return one(rep, path, finding.Corrupt, "missing; Pegasus 2.4 aborts the process, 2.5+ fail the open and move the replica to .err")
	case readFailed(err):
		return one(rep, path, finding.Error, "cannot read it: %v", err)
	default:
		return one(rep, path, finding.Corrupt, "%v; the open fails and Pegasus moves the replica to .err", err)
	}
}

// CheckDataDir: replication_app_base::open_internal fails with
// ERR_FILE_OPERATION_FAILED when <replica>/data does not exist. Stray
// checkpoint dirs are only reported, Pegasus deletes them on start.
func CheckDataDir(rep *Replica) []finding.Finding {
	var out []finding.Finding
	data := filepath.Join(rep.Dir, "data")
	if rep.DataErr != nil {
		if errors.Is(rep.DataErr, fs.ErrNotExist) {
			out = append(out, one(rep, data, finding.Corrupt, "missing; the app open fails and Pegasus moves the replica to .err")...)
		} else if readFailed(rep.DataErr) {
			out = append(out, one(rep, data, finding.Error, "cannot list it: %v", rep.DataErr)...)
		} else {
			out = append(out, one(rep, data, finding.Corrupt, "unreadable: %v", rep.DataErr)...)
		}
	}
	if len(rep.LeftoverCheckpoints) > 0 {
		out = append(out, one(rep, data, finding.Warning, "stray checkpoint dirs %s; Pegasus deletes them on start (parse_checkpoints)",
			strings.Join(rep.LeftoverCheckpoints, ", "))...)
	}
	return out
}

// CheckDurableDecree mirrors open_internal's
// last_durable_decree() >= init_durable_decree, else ERR_INCOMPLETE_DATA.
// A healthy dir always passes: the newest checkpoint is never collected
// and init_durable_decree is a durable decree the replica already had.
// Pegasus compares after pegasus_server_impl::start, which may first
// create checkpoint.<pegasus_last_flushed_decree> from RocksDB (not read
// here), so the message names that escape.
func CheckDurableDecree(rep *Replica) []finding.Finding {
	if rep.DataErr == nil && rep.DurableDecree == math.MaxInt64 {
		// pegasus_server_impl::start (v2.4.0/v2.5.0) compares the largest
		// checkpoint with RocksDB's last flushed decree and, when they
		// differ, calls async_checkpoint, whose
		// CHECK_LE(last_durable, last_flushed) fails for a durable decree
		// above anything RocksDB can have flushed. No replica ever reaches
		// decree 2^63-1 (its next decree would overflow).
		return one(rep, filepath.Join(rep.Dir, "data", checkpointPrefix+strconv.FormatInt(rep.DurableDecree, 10)), finding.Corrupt,
			"checkpoint decree %d is the largest int64, which no replica reaches: pegasus_server_impl::async_checkpoint "+
				"CHECK_LE(last_durable, last_flushed) aborts the server unless RocksDB flushed that very decree; a forged or damaged dir name",
			rep.DurableDecree)
	}
	if rep.InitInfo == nil || rep.DataErr != nil || rep.DurableDecree >= rep.InitInfo.InitDurableDecree {
		return nil
	}
	return one(rep, rep.Dir, finding.Corrupt,
		"durable decree %d (largest data/checkpoint.<d>) < init_durable_decree %d: the open fails with ERR_INCOMPLETE_DATA "+
			"unless RocksDB's last flushed decree is >= %d; checkpoints appear to be lost",
		rep.DurableDecree, rep.InitInfo.InitDurableDecree, rep.InitInfo.InitDurableDecree)
}
