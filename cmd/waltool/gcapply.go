package main

import (
	"github.com/urfave/cli/v2"
)

// gcApplyFlags turn the dry run into the real thing.
func gcApplyFlags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "apply", Usage: "carry out the plan: delete (or move to --trash) in ascending index order, fsync each dir, stop at the first failure"},
		&cli.StringFlag{Name: "trash", Usage: "with --apply: move the files into this dir instead of deleting them"},
		&cli.BoolFlag{Name: "force", Usage: "with --apply: go on although verify finds what Pegasus would refuse, the server would abort, or the slog and the data dirs do not look like one server's"},
	}
}
