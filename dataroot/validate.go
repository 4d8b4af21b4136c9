package dataroot

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
)

// Severity grades a Finding.
type Severity string

const (
	// SeverityCorrupt: Pegasus will refuse the replica, move it to .err,
	// lose data, or abort the process.
	SeverityCorrupt Severity = "corrupt"
	// SeverityWarning: inconsistent or unusual, but not fatal by itself.
	SeverityWarning Severity = "warning"
)

// Finding is one problem, located by path.
type Finding struct {
	Path     string
	Severity Severity
	Message  string
}

func (f Finding) String() string { return fmt.Sprintf("%s: %s: %s", f.Severity, f.Path, f.Message) }

// Validate returns ValidateReplica for every replica, in gpid order. The
// discovery findings are not repeated; they are in r.Findings.
func (r *Root) Validate() []Finding {
	var out []Finding
	for _, rep := range r.Replicas {
		out = append(out, ValidateReplica(rep)...)
	}
	return out
}

// ValidateReplica runs every per-replica check.
func ValidateReplica(rep *Replica) []Finding {
	var out []Finding
	for _, check := range []func(*Replica) []Finding{
		CheckAppInfo, CheckAppType, CheckAppID, CheckPartitionIndex,
		CheckInitInfo, CheckDataDir, CheckDurableDecree,
	} {
		out = append(out, check(rep)...)
	}
	return out
}

func one(path string, sev Severity, msg string, args ...any) []Finding {
	return []Finding{{Path: path, Severity: sev, Message: fmt.Sprintf(msg, args...)}}
}

// CheckAppInfo reports a missing or undecodable .app-info.
func CheckAppInfo(rep *Replica) []Finding {
	path := filepath.Join(rep.Dir, AppInfoFile)
	switch err := rep.AppInfoErr; {
	case err == nil:
		return nil
	case errors.Is(err, fs.ErrNotExist):
		// load_replica / validate_replica_dir return before creating the
		// replica; the dir stays where it is.
		return one(path, SeverityCorrupt, "missing; Pegasus does not load the replica")
	case errors.Is(err, ErrBadMagic):
		return one(path, SeverityCorrupt, "%v; Pegasus fails with ERR_INVALID_DATA and does not load the replica", err)
	case errors.Is(err, ErrBadAppInfo):
		return one(path, SeverityCorrupt, "%v; Pegasus's thrift decoder throws and nothing catches it: the server aborts (derived)", err)
	default:
		return one(path, SeverityCorrupt, "unreadable: %v", err)
	}
}

// CheckAppType: the dir name's app_type must equal .app-info's, or the
// replica is not loaded ("unmatched app type", all versions).
func CheckAppType(rep *Replica) []Finding {
	if rep.AppInfo == nil || rep.AppInfo.AppType == rep.AppType {
		return nil
	}
	return one(rep.Dir, SeverityCorrupt, "dir name says app type %q, %s says %q; Pegasus does not load the replica",
		rep.AppType, AppInfoFile, rep.AppInfo.AppType)
}

// CheckAppID: Pegasus takes the gpid from the dir name and never compares
// it with .app-info's app_id, so a mismatch loads; it suggests a copied
// or renamed dir.
func CheckAppID(rep *Replica) []Finding {
	if rep.AppInfo == nil || rep.AppInfo.AppID == rep.Gpid.App {
		return nil
	}
	return one(rep.Dir, SeverityWarning, "dir name says app id %d, %s says %d (Pegasus does not check this)",
		rep.Gpid.App, AppInfoFile, rep.AppInfo.AppID)
}

// CheckPartitionIndex: HEAD ignores a replica with pidx >= partition_count
// (validate_replica_dir; garbage of an aborted partition split), but
// v2.4.0 replica::load and v2.5.0 replica_stub::load_replica test
// partition_count < pidx, so there pidx == partition_count still loads.
func CheckPartitionIndex(rep *Replica) []Finding {
	if rep.AppInfo == nil {
		return nil
	}
	pidx, n := rep.Gpid.Partition, rep.AppInfo.PartitionCount
	switch {
	case pidx > n:
		return one(rep.Dir, SeverityWarning, "partition index %d > partition_count %d: split garbage, no version loads it", pidx, n)
	case pidx == n:
		return one(rep.Dir, SeverityWarning, "partition index %d == partition_count %d: 2.4/2.5 load it (off-by-one), 2.6 ignores it as split garbage", pidx, n)
	}
	return nil
}

// CheckInitInfo reports a missing or undecodable .init-info.
func CheckInitInfo(rep *Replica) []Finding {
	path := filepath.Join(rep.Dir, InitInfoFile)
	switch err := rep.InitInfoErr; {
	case err == nil:
		return nil
	case errors.Is(err, fs.ErrNotExist):
		// v2.4.0 replica_init_info::load: dassert_f(path_exists); v2.5.0 and
		// HEAD return ERR_PATH_NOT_FOUND, open fails, load_replica renames
		// the dir to <dir>.<us>.err.
		return one(path, SeverityCorrupt, "missing; Pegasus 2.4 aborts the process, 2.5+ fail the open and move the replica to .err")
	default:
		return one(path, SeverityCorrupt, "%v; the open fails and Pegasus moves the replica to .err", err)
	}
}

// CheckDataDir: replication_app_base::open_internal fails with
// ERR_FILE_OPERATION_FAILED when <replica>/data does not exist. Stray
// checkpoint dirs are only reported, Pegasus deletes them on start.
func CheckDataDir(rep *Replica) []Finding {
	var out []Finding
	data := filepath.Join(rep.Dir, "data")
	if rep.DataErr != nil {
		if errors.Is(rep.DataErr, fs.ErrNotExist) {
			out = append(out, one(data, SeverityCorrupt, "missing; the app open fails and Pegasus moves the replica to .err")...)
		} else {
			out = append(out, one(data, SeverityCorrupt, "unreadable: %v", rep.DataErr)...)
		}
	}
	if len(rep.LeftoverCheckpoints) > 0 {
		out = append(out, one(data, SeverityWarning, "stray checkpoint dirs %s; Pegasus deletes them on start (parse_checkpoints)",
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
func CheckDurableDecree(rep *Replica) []Finding {
	if rep.InitInfo == nil || rep.DataErr != nil || rep.DurableDecree >= rep.InitInfo.InitDurableDecree {
		return nil
	}
	return one(rep.Dir, SeverityCorrupt,
		"durable decree %d (largest data/checkpoint.<d>) < init_durable_decree %d: the open fails with ERR_INCOMPLETE_DATA "+
			"unless RocksDB's last flushed decree is >= %d; checkpoints appear to be lost",
		rep.DurableDecree, rep.InitInfo.InitDurableDecree, rep.InitInfo.InitDurableDecree)
}
