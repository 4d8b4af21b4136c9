package dataroot

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/waltool/waltool/gpid"
	"github.com/waltool/waltool/vfs"
)

// Replica is one replica dir, <data dir>/<app_id>.<pidx>.<app_type>.
type Replica struct {
	Gpid    gpid.Gpid
	AppType string // from the dir name
	Dir     string
	DataDir DataDir
	PlogDir string // <Dir>/plog

	// InitInfo is nil when .init-info is missing or unreadable; InitInfoErr
	// says why (errors.Is(InitInfoErr, fs.ErrNotExist) when missing).
	InitInfo    *InitInfo
	InitInfoErr error
	// AppInfo and AppInfoErr likewise for .app-info.
	AppInfo    *AppInfo
	AppInfoErr error

	// Checkpoints are the decrees of the data/checkpoint.<d> dirs, sorted.
	Checkpoints []int64
	// DurableDecree is the largest checkpoint, 0 when there is none: the
	// app's last_durable_decree right after parse_checkpoints. Pegasus then
	// compares it with RocksDB's pegasus_last_flushed_decree, which we do
	// not read, and creates checkpoint.<that> if they differ.
	DurableDecree int64
	// LeftoverCheckpoints are other data/ sub-dirs containing "checkpoint";
	// Pegasus deletes them on start.
	LeftoverCheckpoints []string
	// DataErr is set when <Dir>/data cannot be listed (e.g. it is missing).
	DataErr error
}

// SkippedDir is an entry of a data dir that is not loaded as a replica.
type SkippedDir struct {
	Path   string
	Reason string
}

// invalidSuffixes are the replica dir suffixes Pegasus does not load
// (disk_cleaner is_data_dir_invalid: is_data_dir_removable's .err .gar
// .tmp .ori, plus .bak, which is kept for an administrator to restore).
var invalidSuffixes = map[string]string{
	".err": "failed to load or open earlier, renamed by move_to_err_path",
	".gar": "closed replica waiting for garbage collection",
	".tmp": "disk migration temporary copy",
	".ori": "disk migration origin copy",
	".bak": "backup kept for an administrator to restore",
}

// invalidSuffix returns the suffix and its meaning when Pegasus skips the
// dir by name. Pegasus tests the last 4 bytes of the full path.
func invalidSuffix(name string) (string, string, bool) {
	if len(name) < 4 {
		return "", "", false
	}
	suf := name[len(name)-4:]
	why, ok := invalidSuffixes[suf]
	return suf, why, ok
}

// ErrNonCanonicalName: a replica dir name whose ids are not written the
// way Pegasus writes them ("01", "+1", " 1", "0x1") but which a Pegasus
// version still parses: 2.4/2.5 with sscanf("%d.%d.%s"), HEAD with
// buf2uint32 (strtoull base 0). 2.4 loads such a dir; 2.5 and later,
// once its .app-info has loaded, CHECK that the dir equals
// dir_node::replica_dir(app_type, gpid) and abort.
var ErrNonCanonicalName = errors.New("dataroot: non-canonical replica dir name")

// ParseReplicaDirName parses "<app_id>.<pidx>.<app_type>". It accepts what
// HEAD's replica_stub::parse_replica_dir_name accepts (app_type is the
// rest of the name and may contain dots), restricted to names Pegasus
// itself creates: decimal ids without sign or leading zeros that fit
// int32. Other names some version still parses give an error wrapping
// ErrNonCanonicalName.
func ParseReplicaDirName(name string) (gpid.Gpid, string, error) {
	a, rest, ok1 := strings.Cut(name, ".")
	p, typ, ok2 := strings.Cut(rest, ".")
	split := ok1 && ok2 && typ != ""
	if split {
		app, okA := canonicalInt32(a)
		pidx, okP := canonicalInt32(p)
		if okA && okP {
			return gpid.Gpid{App: app, Partition: pidx}, typ, nil
		}
	}
	var how []string
	if app, pidx, typ, ok := scanReplicaDirName(name); ok {
		how = append(how, fmt.Sprintf("2.4 loads it as %d.%d.%s, 2.5 aborts on it", app, pidx, typ))
	}
	if split {
		_, okA := strtoul32(a)
		_, okP := strtoul32(p)
		if okA && okP {
			how = append(how, "2.6 aborts on it")
		}
	}
	if len(how) > 0 {
		return gpid.Gpid{}, "", fmt.Errorf("%w %q: %s", ErrNonCanonicalName, name, strings.Join(how, "; "))
	}
	return gpid.Gpid{}, "", fmt.Errorf("dataroot: %q is not <app_id>.<partition_index>.<app_type>", name)
}

// strtoul32 is HEAD's buf2uint32: strtoull(s, &end, 0) must consume all of
// s (leading white space, a sign, 0x hex, 0 octal) and fit uint32; a
// negative value other than -0 is refused.
func strtoul32(s string) (uint32, bool) {
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg, s = s[0] == '-', s[1:]
	}
	base := 10
	switch {
	case len(s) > 2 && (s[:2] == "0x" || s[:2] == "0X"):
		base, s = 16, s[2:]
	case len(s) > 1 && s[0] == '0':
		base, s = 8, s[1:]
	}
	if s == "" || s[0] == '+' || s[0] == '-' || strings.Contains(s, "_") {
		return 0, false
	}
	v, err := strconv.ParseUint(s, base, 32)
	if err != nil || (neg && v != 0) {
		return 0, false
	}
	return uint32(v), true
}

func canonicalInt32(s string) (int32, bool) {
	v, err := strconv.ParseInt(s, 10, 32)
	if err != nil || v < 0 || strconv.FormatInt(v, 10) != s {
		return 0, false
	}
	return int32(v), true
}

// scanReplicaDirName approximates ≤2.5's sscanf(name, "%d.%d.%s"): %d
// skips white space and takes an optional sign and digits, %s skips white
// space and takes the following non-space run.
func scanReplicaDirName(name string) (app, pidx int32, typ string, ok bool) {
	s := name
	scanInt := func() (int32, bool) {
		s = strings.TrimLeft(s, " \t\n\v\f\r")
		i := 0
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		j := i
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j == i {
			return 0, false
		}
		v, err := strconv.ParseInt(s[:j], 10, 32)
		s = s[j:]
		return int32(v), err == nil
	}
	dot := func() bool {
		if strings.HasPrefix(s, ".") {
			s = s[1:]
			return true
		}
		return false
	}
	if app, ok = scanInt(); !ok || !dot() {
		return 0, 0, "", false
	}
	if pidx, ok = scanInt(); !ok || !dot() {
		return 0, 0, "", false
	}
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	if end := strings.IndexAny(s, " \t\n\v\f\r"); end >= 0 {
		s = s[:end]
	}
	return app, pidx, s, s != ""
}

// loadReplica reads the metadata of one replica dir; problems are kept in
// the *Err fields for validation, never returned.
func loadReplica(fsys vfs.FS, dd DataDir, name string, g gpid.Gpid, appType string) *Replica {
	dir := filepath.Join(dd.Path, name)
	r := &Replica{
		Gpid:    g,
		AppType: appType,
		Dir:     dir,
		DataDir: dd,
		PlogDir: filepath.Join(dir, "plog"),
	}
	r.AppInfo, r.AppInfoErr = ReadAppInfo(fsys, filepath.Join(dir, AppInfoFile))
	r.InitInfo, r.InitInfoErr = ReadInitInfo(fsys, filepath.Join(dir, InitInfoFile))
	cps, err := ListCheckpoints(fsys, filepath.Join(dir, "data"))
	r.Checkpoints, r.LeftoverCheckpoints, r.DataErr = cps.Decrees, cps.Leftovers, err
	r.DurableDecree = cps.Durable()
	return r
}
