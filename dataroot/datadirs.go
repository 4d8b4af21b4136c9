package dataroot

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/waltool/waltool/vfs"
)

// DefaultTag is the tag Pegasus gives its single data dir when
// [replication] data_dirs is empty (get_data_dir_and_tag).
const DefaultTag = "default"

// DataDir is one replica data directory.
type DataDir struct {
	// Tag is the Pegasus tag: from "tag:/path", DefaultTag for the default
	// data dir, "" for a plain path given without a tag.
	Tag string
	// Path is the reps directory itself, the one holding
	// <app_id>.<pidx>.<app_type> dirs.
	Path string
}

// ParseDataDirs parses a data-dir list in one of two forms.
//
// Pegasus form, "tag1:/path1,tag2:/path2": the value of [replication]
// data_dirs, parsed like replication_options::get_data_dir_and_tag
// (v2.4.0/v2.5.0 replication_common.cpp): items and tag/path halves are
// split with utils::split_args (spaces and tabs trimmed, empty pieces
// dropped), each item must have exactly one non-empty tag and path,
// Path becomes <path>/replica/reps, and a repeated path or tag is an error.
// A path containing ':' cannot be expressed, as in Pegasus.
//
// Plain form, "/p1,/p2" (no item contains ':'): a list of directories as
// an operator may type them, each resolved by looking at the disk (read
// only): p is taken as the reps dir itself when it holds at least one
// directory whose name parses as a replica dir (suffixed ones like
// "1.2.pegasus.err" count); otherwise <p>/replica/reps when that is a
// directory, so a Pegasus data_dirs path or [core] data_dir also works;
// otherwise p itself, since then neither candidate has anything to
// discover and p is the path the caller typed. Tag is "".
//
// Mixing the forms is an error. A string with no items gives nil, nil:
// Pegasus then falls back to the default data dir (Open does the same).
func ParseDataDirs(fsys vfs.FS, s string) ([]DataDir, error) {
	items := splitArgs(s, ',')
	if len(items) == 0 {
		return nil, nil
	}
	tagged := 0
	for _, it := range items {
		if strings.Contains(it, ":") {
			tagged++
		}
	}
	switch tagged {
	case len(items):
		return parseTaggedDataDirs(items, ReplicaApp)
	case 0:
		return resolvePlainDataDirs(fsys, items)
	}
	return nil, fmt.Errorf("dataroot: data dirs %q: mixes tag:path items and plain paths", s)
}

// parseTaggedDataDirs is the loop of get_data_dir_and_tag over
// "tag:path" items, for the server app named app: <path>/<app>/reps, paths
// joined as utils::filesystem::path_combine does (pathCombine).
func parseTaggedDataDirs(items []string, app string) ([]DataDir, error) {
	var out []DataDir
	for _, it := range items {
		tp := splitArgs(it, ':')
		if len(tp) != 2 {
			return nil, fmt.Errorf("dataroot: invalid data_dir item %q: want tag:path", it)
		}
		dd := DataDir{Tag: tp[0], Path: pathCombine(pathCombine(tp[1], app), "reps")}
		for _, prev := range out {
			if prev.Path == dd.Path {
				return nil, fmt.Errorf("dataroot: data_dir item %q: dir %s listed twice", it, tp[1])
			}
			if prev.Tag == dd.Tag {
				return nil, fmt.Errorf("dataroot: data_dir item %q: tag %q listed twice", it, dd.Tag)
			}
		}
		out = append(out, dd)
	}
	return out, nil
}

func resolvePlainDataDirs(fsys vfs.FS, items []string) ([]DataDir, error) {
	var out []DataDir
	for _, it := range items {
		dd := DataDir{Path: resolveRepsDir(fsys, filepath.Clean(it))}
		for _, prev := range out {
			if prev.Path == dd.Path {
				return nil, fmt.Errorf("dataroot: data dir %q resolves to %s, listed twice", it, dd.Path)
			}
		}
		out = append(out, dd)
	}
	return out, nil
}

func resolveRepsDir(fsys vfs.FS, p string) string {
	if names, err := subdirs(fsys, p); err == nil {
		for _, n := range names {
			if _, _, err := ParseReplicaDirName(n); err == nil {
				return p
			}
		}
	}
	nested := filepath.Join(p, "replica", "reps")
	if fi, err := fsys.Stat(nested); err == nil && fi.IsDir() {
		return nested
	}
	return p
}

// pathCombine is utils::filesystem::path_combine (v2.5.0
// src/utils/filesystem.cpp): a + "/" + b (either alone when the other is
// empty), then get_normalized_path: runs of '/' become one and a trailing
// '/' is dropped. Unlike filepath.Join it keeps "." and ".." elements, so
// the strings compare as the server's do (the data-dir conflict check, the
// black list's prefix match).
func pathCombine(a, b string) string {
	p := a
	switch {
	case a == "":
		p = b
	case b != "":
		p = a + "/" + b
	}
	var sb strings.Builder
	for i := 0; i < len(p); i++ {
		if p[i] == '/' && i > 0 && p[i-1] == '/' {
			continue
		}
		sb.WriteByte(p[i])
	}
	out := sb.String()
	if len(out) > 1 && out[len(out)-1] == '/' {
		out = out[:len(out)-1]
	}
	return out
}

// splitArgs is utils::split_args(input, output, sep) with
// keep_place_holder=false (src/utils/strings.cpp): leading " \t" and
// trailing " \t\r\n" are trimmed from each piece, empty pieces dropped.
func splitArgs(s string, sep byte) []string {
	var out []string
	for _, tok := range strings.Split(s, string(sep)) {
		tok = strings.TrimRight(strings.TrimLeft(tok, " \t"), " \t\r\n")
		if tok != "" {
			out = append(out, tok)
		}
	}
	return out
}
