package dataroot

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/waltool/waltool/format"
	"github.com/waltool/waltool/serverconfig"
	"github.com/waltool/waltool/vfs"
)

// ReplicaApp is the replica server app's name in Pegasus's config.ini
// ([apps.replica]), the directory under [core] data_dir holding slog/ and
// reps/ (service_spec::init_app_specs: app.data_dir = <data_dir>/<full_name>).
const ReplicaApp = "replica"

// DefaultBlackListFile is the default of [replication]
// data_dirs_black_list_file (v2.5.0 replication_common.cpp).
const DefaultBlackListFile = "/home/work/.pegasus_data_dirs_black_list"

// Where a setting, and the dir derived from it, came from.
const (
	FromConfig  = "config"  // the server's config.ini (--config)
	FromFlag    = "flag"    // a command-line flag (--slog-dir, --data-dirs)
	FromPath    = "path"    // the PATH argument (the [core] data_dir, or a reps dir)
	FromDefault = "default" // the server's default for an unset key
)

// Setting is the value of one server setting and where it came from.
type Setting struct {
	Value string
	// From is FromConfig, FromFlag, FromPath or FromDefault ("" means
	// FromDefault).
	From string
	// Detail says exactly where: "config.ini:233 [replication] slog_dir",
	// "--slog-dir".
	Detail string
}

func (s Setting) from() string {
	if s.From == "" {
		return FromDefault
	}
	return s.From
}

// ServerSettings are the keys of a replica server's config that place its
// directories. Options.Root is [core] data_dir.
type ServerSettings struct {
	// App is the replica app's full name; "" means ReplicaApp.
	App string
	// SlogDir is [replication] slog_dir: the slog is <SlogDir>/<App>/slog,
	// or <data_dir>/<App>/slog when empty.
	SlogDir Setting
	// DataDirs is [replication] data_dirs, "tag:/path,...": each data dir
	// is <path>/<App>/reps; empty means <data_dir>/<App>/reps, tag
	// "default". From a flag, plain paths are accepted too (ParseDataDirs).
	DataDirs Setting
	// BlackListFile is [replication] data_dirs_black_list_file, read when
	// it exists; "" reads none.
	BlackListFile Setting
	// RootFrom says where Options.Root came from (FromPath, FromConfig).
	RootFrom Setting
	// SlogDirExact, when its Value is set, is the slog dir itself (the dir
	// holding log.<index>.<offset> files), overriding SlogDir.
	SlogDirExact Setting
}

// Flags are the settings a caller names directly: slogDir, the slog dir
// itself, and dataDirs, a data-dir list as ParseDataDirs reads it
// ("tag:/path,..." or plain paths); "" leaves either to the defaults.
func Flags(slogDir, dataDirs string) ServerSettings {
	var s ServerSettings
	if slogDir != "" {
		s.SlogDirExact = Setting{Value: slogDir, From: FromPath, Detail: "the slog dir itself"}
	}
	if dataDirs != "" {
		s.DataDirs = Setting{Value: dataDirs, From: FromFlag, Detail: "data dirs"}
	}
	return s
}

// DirSource is a resolved directory and where it came from, as every
// report prints it.
type DirSource struct {
	Path string `json:"path"`
	Tag  string `json:"tag,omitempty"`
	From string `json:"from"`
	// Detail says which key, flag or rule gave the path.
	Detail string `json:"detail,omitempty"`
	// State is "" when the dir was read, else "missing", "unreadable" or
	// "not a directory" (Root.Findings say more), or "not read" (--no-slog).
	State string `json:"state,omitempty"`
}

// Sources are the dirs a Root was read from and where each came from.
type Sources struct {
	// Root is the [core] data_dir the defaults derive from.
	Root     DirSource   `json:"root"`
	SlogDir  DirSource   `json:"slog_dir"`
	DataDirs []DirSource `json:"data_dirs"`
	// BlackListed are data dirs the config lists that the black list
	// file excludes: the server does not load them.
	BlackListed []DirSource `json:"black_listed,omitempty"`
	// NoSlog: the operator stated there is no slog (--no-slog).
	NoSlog bool `json:"no_slog,omitempty"`
}

// MarshalJSON prints no data dirs as [] rather than null.
func (s Sources) MarshalJSON() ([]byte, error) {
	type plain Sources
	p := plain(s)
	if p.DataDirs == nil {
		p.DataDirs = []DirSource{}
	}
	return json.Marshal(p)
}

// ServerDirs derives the slog dir and the data dirs of a replica server
// whose [core] data_dir is coreDataDir, as replication_options::initialize
// does (Pegasus v2.4.0 src/rdsn/src/common/replication_common.cpp, v2.5.0
// src/common/replication_common.cpp, rdsn v2.3.0
// src/common/replication_common.cpp; HEAD keeps the same rules):
//
//   - app_dir = <[core] data_dir>/<app> (service_spec::init_app_specs; the
//     server takes realpath(data_dir) first, in run() of
//     service_api_c.cpp: waltool makes it absolute lexically, since a read
//     of links is not a vfs.FS operation; they differ only when data_dir
//     passes through a symlink, and then only for the black list's
//     prefix match);
//   - slog_dir empty: <app_dir>/slog; else <slog_dir>/<app>/slog;
//   - data_dirs: get_data_dir_and_tag (ParseDataDirs's Pegasus form), empty
//     means <app_dir>/reps tagged "default";
//   - get_data_dirs_in_black_list: each line of the black-list file,
//     trimmed, non-empty, with a '/' appended if missing; a missing file
//     is ignored; check_if_in_black_list drops every data dir that, with a
//     '/' appended, starts with a line. None left is the server's CHECK
//     "no replica data dir found, maybe not set or excluded by black list".
//
// One waltool extension, flagged in the returned DirSource.Detail: a
// --slog-dir X (s.SlogDir.From == FromFlag) whose X/<app>/slog is not a
// directory while X itself holds log files is taken as the slog dir
// itself, so a path copied from a listing still works.
func ServerDirs(fsys vfs.FS, coreDataDir string, s ServerSettings) (Sources, []DataDir, error) {
	if fsys == nil {
		fsys = vfs.ReadOnly(vfs.OS)
	}
	app := s.App
	if app == "" {
		app = ReplicaApp
	}
	var src Sources
	var appDir string
	if coreDataDir != "" {
		abs, err := filepath.Abs(coreDataDir)
		if err != nil {
			return src, nil, err
		}
		appDir = pathCombine(abs, app)
	}
	rootWhat := "[core] data_dir"
	if s.RootFrom.from() == FromPath {
		rootWhat = "ROOT"
	}

	// The slog dir.
	if s.SlogDir.Value == "" {
		if appDir == "" {
			return src, nil, errors.New("dataroot: need a data root ([core] data_dir) or a slog dir")
		}
		src.SlogDir = DirSource{Path: pathCombine(appDir, "slog"), From: s.RootFrom.from(),
			Detail: fmt.Sprintf("<%s>/%s/slog (slog_dir unset)", rootWhat, app)}
		if s.SlogDir.From != "" && s.SlogDir.From != FromDefault {
			src.SlogDir.From = s.SlogDir.From
			src.SlogDir.Detail = fmt.Sprintf("%s is empty: <%s>/%s/slog", s.SlogDir.Detail, rootWhat, app)
		}
	} else {
		p := pathCombine(pathCombine(s.SlogDir.Value, app), "slog")
		src.SlogDir = DirSource{Path: p, From: s.SlogDir.from(), Detail: fmt.Sprintf("%s = %s: <slog_dir>/%s/slog", s.SlogDir.Detail, s.SlogDir.Value, app)}
		if s.SlogDir.From == FromFlag && !isDir(fsys, p) && holdsLogFiles(fsys, s.SlogDir.Value) {
			src.SlogDir = DirSource{Path: filepath.Clean(s.SlogDir.Value), From: FromFlag,
				Detail: fmt.Sprintf("%s holds log files and %s is not a dir: read as the slog dir itself", s.SlogDir.Value, p)}
		}
	}

	// The data dirs.
	var dds []DataDir
	ddFrom, ddDetail := s.DataDirs.from(), s.DataDirs.Detail
	items := splitArgs(s.DataDirs.Value, ',')
	switch {
	case len(items) == 0:
		if appDir == "" {
			return src, nil, errors.New("dataroot: need a data root ([core] data_dir) or data dirs")
		}
		dds = []DataDir{{Tag: DefaultTag, Path: pathCombine(appDir, "reps")}}
		ddFrom, ddDetail = s.RootFrom.from(), fmt.Sprintf("<%s>/%s/reps (data_dirs unset)", rootWhat, app)
	case s.DataDirs.From == FromFlag || s.DataDirs.From == FromPath:
		var err error
		if strings.Contains(s.DataDirs.Value, ":") {
			dds, err = parseTaggedDataDirs(items, app)
		} else {
			dds, err = ParseDataDirs(fsys, s.DataDirs.Value) // plain paths, resolved on disk
		}
		if err != nil {
			return src, nil, fmt.Errorf("%s %q: %w", s.DataDirs.Detail, s.DataDirs.Value, err)
		}
	default:
		var err error
		if dds, err = parseTaggedDataDirs(items, app); err != nil {
			// replication_options::initialize: CHECK(flag, error_msg).
			return src, nil, fmt.Errorf("%s: the server refuses it (CHECK in replication_options::initialize): %w", s.DataDirs.Detail, err)
		}
	}
	black, err := readBlackList(fsys, s.BlackListFile.Value)
	if err != nil {
		return src, nil, err
	}
	var kept []DataDir
	for _, dd := range dds {
		ds := DirSource{Path: dd.Path, Tag: dd.Tag, From: ddFrom, Detail: ddDetail}
		if line, ok := inBlackList(black, dd.Path); ok {
			ds.From, ds.Detail = s.BlackListFile.from(), fmt.Sprintf("excluded by %q in %s", line, s.BlackListFile.Value)
			src.BlackListed = append(src.BlackListed, ds)
			continue
		}
		kept = append(kept, dd)
		src.DataDirs = append(src.DataDirs, ds)
	}
	if len(kept) == 0 {
		return src, nil, fmt.Errorf("no replica data dir left: every one is excluded by the black list %s (the server stops: CHECK \"no replica data dir found\")", s.BlackListFile.Value)
	}
	return src, kept, nil
}

// readBlackList is get_data_dirs_in_black_list.
func readBlackList(fsys vfs.FS, name string) ([]string, error) {
	if name == "" {
		return nil, nil
	}
	fi, err := fsys.Stat(name)
	if errors.Is(err, fs.ErrNotExist) || (err == nil && !fi.Mode().IsRegular()) {
		return nil, nil // "not found, ignore it" (file_exists is false for a dir)
	}
	if err != nil {
		return nil, fmt.Errorf("data_dirs_black_list_file: %w", err)
	}
	b, err := vfs.ReadFile(fsys, name, 1<<20)
	if err != nil {
		return nil, fmt.Errorf("data_dirs_black_list_file (the server stops: CHECK \"open data_dirs_black_list_file failed\"): %w", err)
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimRight(strings.TrimLeft(line, " \t"), " \t\r\n")
		if line == "" {
			continue
		}
		if !strings.HasSuffix(line, "/") {
			line += "/"
		}
		out = append(out, line)
	}
	return out, nil
}

// inBlackList is check_if_in_black_list: dir + "/" starts with a line.
func inBlackList(black []string, dir string) (string, bool) {
	if !strings.HasSuffix(dir, "/") {
		dir += "/"
	}
	for _, b := range black {
		if strings.HasPrefix(dir, b) {
			return b, true
		}
	}
	return "", false
}

// holdsLogFiles reports whether dir is a directory holding log files.
func holdsLogFiles(fsys vfs.FS, dir string) bool {
	d, err := format.OpenDir(fsys, dir)
	return err == nil && len(d.Files) > 0
}

// SettingsFromConfig reads the keys that place a replica server's dirs
// from its parsed config.ini: [core] data_dir (default "./data",
// service_spec's CONFIG_FLD_STRING(data_dir, "./data"), v2.5.0
// src/runtime/global_config.h), [replication] slog_dir, data_dirs and
// data_dirs_black_list_file (default DefaultBlackListFile), and the
// replica app's name (serverconfig.Config.ReplicaAppName). It returns
// [core] data_dir, to be Options.Root, and the settings. A "%{...}" macro
// left in one of these keys is an error: the server would read it as a
// literal path, and it means the file is a template whose values --cargs
// must give.
func SettingsFromConfig(c *serverconfig.Config) (string, ServerSettings, error) {
	var s ServerSettings
	keys := []string{"core.data_dir", "replication.slog_dir", "replication.data_dirs", "replication.data_dirs_black_list_file"}
	if u := c.Unfilled(keys...); len(u) > 0 {
		return "", s, fmt.Errorf("%s: %s not filled: give the values with --cargs 'k=v;...' (as the server's -cargs; for %%{k} macros, the values the deployment fills in)",
			c.File, strings.Join(u, ", "))
	}
	apps, err := c.ReplicaAppName()
	if err != nil {
		return "", s, err
	}
	if len(apps) > 1 {
		return "", s, fmt.Errorf("%s: the replica app runs %d instances (%s), each with its own dirs; waltool reads one server: not supported", c.File, len(apps), strings.Join(apps, ", "))
	}
	s.App = apps[0]
	get := func(section, key, def string) Setting {
		v, ok := c.Get(section, key)
		if !ok {
			return Setting{Value: def, From: FromDefault, Detail: fmt.Sprintf("[%s] %s unset", section, key)}
		}
		return Setting{Value: v.Value, From: FromConfig, Detail: fmt.Sprintf("%s:%d [%s] %s", c.File, v.Line, section, key)}
	}
	s.RootFrom = get("core", "data_dir", "./data")
	s.SlogDir = get("replication", "slog_dir", "")
	s.DataDirs = get("replication", "data_dirs", "")
	s.BlackListFile = get("replication", "data_dirs_black_list_file", DefaultBlackListFile)
	return s.RootFrom.Value, s, nil
}
