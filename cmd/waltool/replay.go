package main

import (
	"github.com/urfave/cli/v2"

	"github.com/waltool/waltool/internal/clikit"
	"github.com/waltool/waltool/ops"
)

func replayCommand() *cli.Command {
	return &cli.Command{
		Name:      "replay",
		Usage:     "show what a Pegasus server of a given version recovers from a data root, and what it would lose",
		ArgsUsage: "[ROOT]",
		Description: "ROOT is a data root or a replica dir (default: the [core] data_dir of --config). An exact " +
			"offline model of the server's startup replay: every plog, then the slog (<= 2.5), with the " +
			"prepare-list rules. Read-only. Exit 0 when every replica opens and nothing is lost under the chosen " +
			"version, 1 otherwise, and 1 when no slog was read (missing) unless --no-slog states the server has none.",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "server-version", Value: "2.4", Usage: "2.3, 2.4, 2.5 or 2.6 (2.6 ignores the slog); 2.6.0 is 2.6"},
			durableDecreesFlag(),
			&cli.StringFlag{Name: "emit", Usage: "print this replica's recovered mutations in commit order, as dump prints them (-d, --json)"},
			&cli.BoolFlag{Name: "detailed", Aliases: []string{"d"}, Usage: "with --emit: decode each update's request, as dump -d"},
			&cli.BoolFlag{Name: "json", Usage: "print one JSON document (with --emit: JSON Lines)"},
			&cli.BoolFlag{Name: "progress", Value: true, Usage: "show a progress bar on stderr when it is a terminal and the input is large"},
		}, rootFlags()...),
		Action: runReplay,
	}
}

func runReplay(c *cli.Context) error {
	srv, err := server(c)
	if err != nil {
		return err
	}
	v, err := versionFlag(c, "server-version")
	if err != nil {
		return err
	}
	req := ops.ReplayRequest{Server: srv, Paths: c.Args().Slice(), Version: v}
	if req.DurableDecrees, err = durableDecrees(c); err != nil {
		return err
	}
	if !c.IsSet("emit") {
		rep, err := ops.Replay(env(c), req)
		return show(c, rep, err)
	}
	g, err := parseGpid(c.String("emit"))
	if err != nil {
		return clikit.Usagef(c, "%s %s: %v", clikit.TypedFlag(c, "emit"), c.String("emit"), err)
	}
	rep, err := ops.Emit(env(c), ops.EmitRequest{ReplayRequest: req, Gpid: g, JSON: c.Bool("json"), Detailed: c.Bool("detailed"), Command: commandName(c)})
	if rep != nil && c.Bool("json") {
		*streamEnd(c) = rep.End
	}
	return usage(c, err)
}
