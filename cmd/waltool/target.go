package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/waltool/waltool/dataroot"
	"github.com/waltool/waltool/format"
	"github.com/waltool/waltool/verify"
	"github.com/waltool/waltool/vfs"
)

// rootFlags locate the parts of a data root that can live elsewhere.
func rootFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "slog-dir", Usage: "shared-log directory (the one holding log.* files; default ROOT/replica/slog)"},
		&cli.StringFlag{Name: "data-dirs", Usage: "data dirs as in Pegasus's [replication] data_dirs (tag:/path,tag2:/path2) or plain paths (default ROOT/replica/reps)"},
	}
}

// target is what a PATH argument names: one log file, one log directory,
// one replica directory, or a whole data root.
type target struct {
	path string
	file *format.LogFile // a single log file
	dir  *verify.DirSpec // a log directory (plog or slog)
	root *dataroot.Root  // a data root, or a replica dir as a one-replica root
	what string
}

func resolve(c *cli.Context, path string) (*target, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	t := &target{path: path}
	if !st.IsDir() {
		idx, start, err := format.ParseFileName(filepath.Base(path))
		if err != nil {
			return nil, fmt.Errorf("%s: not a log file name (log.<index>.<start_offset>): a renamed copy can be read as log.1.0", path)
		}
		t.file = &format.LogFile{Path: path, Index: idx, StartOffset: start, Size: st.Size()}
		t.what = "log file"
		return t, nil
	}
	if d, err := format.OpenDir(readOnlyFS, path); err == nil && len(d.Files) > 0 {
		spec := verify.DirSpec{Path: path, Kind: verify.Slog}
		if filepath.Base(path) == "plog" {
			spec.Kind = verify.Plog
			if g, _, err := dataroot.ParseReplicaDirName(filepath.Base(filepath.Dir(path))); err == nil {
				spec.Owner = &g
			}
		}
		t.dir = &spec
		t.what = string(spec.Kind) + " dir"
		return t, nil
	}
	if g, _, err := dataroot.ParseReplicaDirName(filepath.Base(path)); err == nil && isDir(filepath.Join(path, "plog")) {
		r, err := dataroot.OpenReplica(readOnlyFS, path)
		if err != nil {
			return nil, err
		}
		t.root = r
		t.what = "replica " + g.String()
		return t, nil
	}
	// A data root is Pegasus's [core] data_dir (holding replica/slog and
	// replica/reps); its replica/ dir, or a reps dir, are accepted too.
	opts := dataroot.Options{Root: path, SlogDir: c.String("slog-dir"), DataDirs: c.String("data-dirs")}
	switch {
	case filepath.Base(path) == "replica" && (isDir(filepath.Join(path, "slog")) || isDir(filepath.Join(path, "reps"))):
		opts.Root = filepath.Dir(path)
	case opts.DataDirs == "" && !isDir(filepath.Join(path, "replica")) && hasReplicaDirs(path):
		opts.DataDirs = path
		if opts.SlogDir == "" {
			opts.SlogDir = filepath.Join(path, "..", "slog") // <data_dir>/replica/{reps,slog}
		}
	}
	r, err := dataroot.Open(opts)
	if err != nil {
		return nil, err
	}
	if !r.SlogExists && len(r.Replicas) == 0 {
		return nil, fmt.Errorf("%s: no log file, log dir, replica dir or data root here (no %s, no replicas under %v)", path, r.SlogDir, r.DataDirs)
	}
	t.root = r
	t.what = "data root"
	return t, nil
}

// hasReplicaDirs reports whether dir holds <app_id>.<pidx>.<type> dirs.
func hasReplicaDirs(dir string) bool {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range ents {
		if _, _, err := dataroot.ParseReplicaDirName(e.Name()); err == nil && e.IsDir() {
			return true
		}
	}
	return false
}

// onePathFiles resolves the single PATH argument of a command and lists its
// log files.
func onePathFiles(c *cli.Context) (*target, []format.LogFile, error) {
	if c.NArg() != 1 {
		return nil, nil, fmt.Errorf("%s takes one PATH", c.Command.FullName())
	}
	t, err := resolve(c, c.Args().First())
	if err != nil {
		return nil, nil, err
	}
	files, err := t.logFiles()
	return t, files, err
}

// logFiles lists every log file of the target in dump order: the slog,
// then each replica's plog by gpid.
func (t *target) logFiles() ([]format.LogFile, error) {
	if t.file != nil {
		return []format.LogFile{*t.file}, nil
	}
	var dirs []string
	if t.dir != nil {
		dirs = append(dirs, t.dir.Path)
	} else {
		if t.root.SlogExists {
			dirs = append(dirs, t.root.SlogDir)
		}
		for _, r := range t.root.Replicas {
			if isDir(r.PlogDir) {
				dirs = append(dirs, r.PlogDir)
			}
		}
	}
	var files []format.LogFile
	for _, p := range dirs {
		d, err := format.OpenDir(readOnlyFS, p)
		if err != nil {
			return nil, err
		}
		files = append(files, d.Files...)
	}
	return files, nil
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// readOnlyFS is what every read-only command reads its inputs through: a
// write through it is impossible by construction.
var readOnlyFS = vfs.ReadOnly(vfs.OS)
