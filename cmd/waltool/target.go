package main

import (
	"github.com/urfave/cli/v2"

	"github.com/waltool/waltool/dataroot"
	"github.com/waltool/waltool/format"
	"github.com/waltool/waltool/vfs"
)

// rootFlags locate the parts of a data root that can live elsewhere.
func rootFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "slog-dir", Usage: "shared-log directory (the one holding log.* files; default ROOT/replica/slog)"},
		&cli.StringFlag{Name: "data-dirs", Usage: "data dirs as in Pegasus's [replication] data_dirs (tag:/path,tag2:/path2) or plain paths (default ROOT/replica/reps)"},
	}
}

// resolve says what a PATH argument names (dataroot.Resolve, with the
// root flags).
func resolve(c *cli.Context, path string) (*dataroot.Target, error) {
	return dataroot.Resolve(cancelFS(c.Context, readOnlyFS), path, dataroot.Options{SlogDir: c.String("slog-dir"), DataDirs: c.String("data-dirs")})
}

// onePathFiles resolves the single PATH argument of a command and returns
// its log files.
func onePathFiles(c *cli.Context) (*dataroot.Target, []format.LogFile, error) {
	if c.NArg() != 1 {
		return nil, nil, usagef(c, "takes one PATH, got %d arguments", c.NArg())
	}
	t, err := resolve(c, c.Args().First())
	if err != nil {
		return nil, nil, err
	}
	return t, t.Files(), nil
}

// readOnlyFS is what every read-only command reads its inputs through: a
// write through it is impossible by construction.
var readOnlyFS = vfs.ReadOnly(vfs.OS)
