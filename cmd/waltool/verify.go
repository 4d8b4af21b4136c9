package main

import (
	"github.com/urfave/cli/v2"

	"github.com/waltool/waltool/internal/clikit"
	"github.com/waltool/waltool/ops"
)

func verifyCommand() *cli.Command {
	return &cli.Command{
		Name:      "verify",
		Usage:     "check log files, dirs, replicas or data roots as a Pegasus server would read them",
		ArgsUsage: "PATH...",
		Description: "Each PATH is a log file, a plog or slog dir, a replica dir or a data root (default: the " +
			"[core] data_dir of --config). Every finding names the file and byte offset and is classed torn-tail " +
			"(Pegasus tolerates it), corrupt (Pegasus refuses the replica or slog), missing (a slog or data dir " +
			"is not there) or warning. Read-only; uses every core across files. " +
			"Exit 0 when nothing Pegasus would refuse was found (torn tails allowed), 1 otherwise, 2 on usage or I/O errors.",
		Flags: append([]cli.Flag{
			&cli.BoolFlag{Name: "json", Usage: "print one JSON document"},
			&cli.IntFlag{Name: "workers", Usage: "files scanned at once (default: one per CPU)", Action: clikit.AtLeast("workers", 1)},
			&cli.BoolFlag{Name: "progress", Value: true, Usage: "show a progress bar on stderr when it is a terminal"},
		}, rootFlags()...),
		Action: runVerify,
	}
}

func runVerify(c *cli.Context) error {
	srv, err := server(c)
	if err != nil {
		return err
	}
	rep, err := ops.Verify(env(c), ops.VerifyRequest{Server: srv, Paths: c.Args().Slice(), Workers: c.Int("workers")})
	return show(c, rep, err)
}
