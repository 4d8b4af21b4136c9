package migrate

import (
	"bufio"
	"bytes"
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/waltool/waltool/dataroot"
	"github.com/waltool/waltool/finding"
	"github.com/waltool/waltool/format/rrdb"
	"github.com/waltool/waltool/gpid"
	"github.com/waltool/waltool/pegasus"
	"github.com/waltool/waltool/vfs"
)

// What a 2.3, 2.4 or 2.5 server can read of a root 2.6 wrote
// (docs/downgrade-rules.md has each rule with its source).

// TargetRocksDB is the RocksDB every target ships: pegasus v2.3.0 and
// v2.4.0 build XiaoMi's pegasus-rocksdb, 6.6.4-compatible, and v2.5.0
// builds 6.6.4 (thirdparty/CMakeLists.txt). Master builds 8.5.3, whose
// SST files default to XXH3 checksums, which 6.6.4 cannot read ("unknown
// checksum type 4"): the replica open fails (ERR_LOCAL_APP_FAILURE) and
// the dir moves to .err.
var TargetRocksDB = [3]int{6, 6, 4}

// compat says what the target cannot read on root (refusals) and what
// the operator must know before starting it (warnings), for each replica
// the V26 replay loaded:
//   - its metadata: an .init-info the target parses, an .app-info it
//     decodes, no encryption at rest (.kms-info);
//   - the task codes of its plog mutations: the target's
//     mutation::read_from resolves each name with task_code::try_get and
//     aborts on an unknown one (the ten write codes are the same in every
//     version);
//   - the RocksDB that wrote its data (the newest data/rdb/OPTIONS-*, read
//     once): a major version above the target's cannot be opened, a newer
//     6.x may not;
//   - atomic_idempotent tables, and dirs 2.6 ignored that the target loads.
func compat(root *dataroot.Root, target pegasus.Version, codes map[gpid.Gpid]map[string]int64, loaded map[gpid.Gpid]bool) (refusals, warnings []finding.Finding) {
	noOptions := 0
	for _, dr := range root.Replicas {
		if dr.AppInfo != nil && dr.Gpid.Partition == dr.AppInfo.PartitionCount {
			warnings = append(warnings, finding.New(finding.Warning, dr.Dir,
				"partition index %d == partition_count: 2.6 ignores this dir as split garbage, %s loads it (off-by-one in replica_stub::load_replicas): remove it before starting %s", dr.Gpid.Partition, target, target).For(dr.Gpid))
		}
		if !loaded[dr.Gpid] {
			continue
		}
		if _, err := root.FS.Stat(filepath.Join(dr.Dir, ".kms-info")); err == nil {
			refusals = append(refusals, finding.New(finding.Corrupt, filepath.Join(dr.Dir, ".kms-info"),
				"encryption at rest: %s reads its metadata as plain text and cannot open this replica", target).For(dr.Gpid))
		}
		if dr.InitInfo == nil {
			refusals = append(refusals, finding.New(finding.Corrupt, filepath.Join(dr.Dir, dataroot.InitInfoFile),
				"%s cannot read .init-info (%v): a 2.4 server aborts, 2.3 and 2.5 move the replica to .err", target, dr.InitInfoErr).For(dr.Gpid))
		}
		if dr.AppInfo == nil {
			refusals = append(refusals, finding.New(finding.Corrupt, filepath.Join(dr.Dir, dataroot.AppInfoFile),
				"%s cannot read .app-info (%v)", target, dr.AppInfoErr).For(dr.Gpid))
		} else if dr.AppInfo.AtomicIdempotent != nil && *dr.AppInfo.AtomicIdempotent {
			warnings = append(warnings, finding.New(finding.Warning, filepath.Join(dr.Dir, dataroot.AppInfoFile),
				"the table is atomic_idempotent (2.6 only): its PUTs carry update_request fields 4-7 that %s does not know; check its writes after the downgrade", target).For(dr.Gpid))
		}
		var unknown []string
		for c, n := range codes[dr.Gpid] {
			if !rrdb.IsKnownCode(c) {
				unknown = append(unknown, fmt.Sprintf("%q (%d updates)", c, n))
			}
		}
		if len(unknown) > 0 {
			sort.Strings(unknown)
			refusals = append(refusals, finding.New(finding.Corrupt, dr.PlogDir,
				"task codes %s are not registered in %s: replaying them aborts the server", strings.Join(unknown, ", "), target).For(dr.Gpid))
		}
		v, path, ok := rocksdbVersion(root.FS, dr.Dir)
		switch {
		case !ok:
			noOptions++
		case v[0] > TargetRocksDB[0]:
			refusals = append(refusals, finding.New(finding.Corrupt, path,
				"RocksDB %d.%d.%d wrote this replica's data; %s ships %d.%d.%d, which cannot read its SST files (XXH3 checksums by default since 7.x): the replica open fails and the dir moves to .err; waltool cannot convert RocksDB data (re-learn the replica from peers of the target version)",
				v[0], v[1], v[2], target, TargetRocksDB[0], TargetRocksDB[1], TargetRocksDB[2]).For(dr.Gpid))
		case v[0] == TargetRocksDB[0] && versionLess(TargetRocksDB, v):
			warnings = append(warnings, finding.New(finding.Warning, path,
				"RocksDB %d.%d.%d wrote this replica's data, newer than the %d.%d.%d %s ships: waltool cannot tell whether it opens it",
				v[0], v[1], v[2], TargetRocksDB[0], TargetRocksDB[1], TargetRocksDB[2], target).For(dr.Gpid))
		}
	}
	if noOptions > 0 {
		warnings = append(warnings, finding.New(finding.Warning, root.Path,
			"%d replicas have no data/rdb/OPTIONS-* file: waltool cannot tell which RocksDB wrote their data (%s ships %d.%d.%d)",
			noOptions, target, TargetRocksDB[0], TargetRocksDB[1], TargetRocksDB[2]))
	}
	return refusals, warnings
}

func versionLess(a, b [3]int) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return false
}

// rocksdbVersion reads rocksdb_version from the newest OPTIONS-<n> file of
// the replica's data/rdb ([Version] rocksdb_version=6.6.4).
func rocksdbVersion(fsys vfs.FS, replicaDir string) (v [3]int, path string, ok bool) {
	rdb := filepath.Join(replicaDir, "data", "rdb")
	ents, err := fsys.ReadDir(rdb)
	if err != nil {
		return v, "", false
	}
	best := int64(-1)
	for _, e := range ents {
		n, found := strings.CutPrefix(e.Name(), "OPTIONS-")
		if !found {
			continue
		}
		if i, err := strconv.ParseInt(n, 10, 64); err == nil && i > best {
			best, path = i, filepath.Join(rdb, e.Name())
		}
	}
	if best < 0 {
		return v, "", false
	}
	b, err := vfs.ReadFile(fsys, path, 1<<20)
	if err != nil {
		return v, path, false
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		k, val, found := strings.Cut(strings.TrimSpace(sc.Text()), "=")
		if !found || strings.TrimSpace(k) != "rocksdb_version" {
			continue
		}
		parts := strings.Split(strings.TrimSpace(val), ".")
		for i := 0; i < len(parts) && i < 3; i++ {
			x, err := strconv.Atoi(parts[i])
			if err != nil {
				return v, path, false
			}
			v[i] = x
		}
		return v, path, true
	}
	return v, path, false
}
