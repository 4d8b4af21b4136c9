package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/waltool/waltool/internal/clikit"
	"github.com/waltool/waltool/ops"
)

// dumpFilters are the filter flags given, with their values: "--gpid 9.9".
func dumpFilters(c *cli.Context) []string {
	var out []string
	for _, name := range []string{"gpid", "from-decree", "to-decree", "max-bytes"} {
		if !c.IsSet(name) {
			continue
		}
		vals := []string{fmt.Sprint(c.Int64(name))}
		switch name {
		case "gpid":
			vals = c.StringSlice(name)
		case "max-bytes":
			vals = []string{c.Generic(name).(*clikit.SizeValue).String()}
		}
		for _, v := range vals {
			out = append(out, clikit.TypedFlag(c, name)+" "+v)
		}
	}
	return out
}

func dumpCommand() *cli.Command {
	return &cli.Command{
		Name:      "dump",
		Usage:     "print the mutations of log files (mlog_dump format, or JSON Lines)",
		ArgsUsage: "PATH",
		Description: "PATH is a log file, a plog or slog dir, a replica dir or a data root. " +
			"Reads files in order, read-only. On a bad block it prints the file and byte offset on stderr, " +
			"skips the rest of that file, goes on with the next, and exits 1.",
		Flags: append([]cli.Flag{
			&cli.BoolFlag{Name: "detailed", Aliases: []string{"d"}, Usage: "decode each update's request (PUT, MULTI_PUT, REMOVE, ...)"},
			&cli.BoolFlag{Name: "json", Usage: "JSON Lines: a line per mutation, per bad block, and an end line (waltool schema dump)"},
			&cli.StringSliceFlag{Name: "gpid", Usage: "only this replica (app_id.partition_index); repeatable"},
			&cli.Int64Flag{Name: "from-decree", Usage: "first decree to print (inclusive)"},
			&cli.Int64Flag{Name: "to-decree", Usage: "last decree to print (inclusive; default: no limit)", DefaultText: "none"},
			&cli.GenericFlag{Name: "max-bytes", Value: &clikit.SizeValue{}, Usage: "read at most this many bytes of each file: 4096, 64K, 1MiB (0: all)", DefaultText: "0"},
			&cli.BoolFlag{Name: "progress", Value: true, Usage: "show a progress bar on stderr when it is a terminal and the input is large"},
		}, rootFlags()...),
		Action: runDump,
	}
}

func runDump(c *cli.Context) error {
	srv, err := server(c)
	if err != nil {
		return err
	}
	req := ops.DumpRequest{Server: srv, Paths: c.Args().Slice(), JSON: c.Bool("json"), Command: commandName(c), Detailed: c.Bool("detailed"),
		FromDecree: c.Int64("from-decree"), ToDecree: -1, MaxBytes: c.Generic("max-bytes").(*clikit.SizeValue).N, Filters: dumpFilters(c)}
	if c.IsSet("to-decree") {
		req.ToDecree = max(c.Int64("to-decree"), -2) // a negative one is refused
	}
	for _, s := range c.StringSlice("gpid") {
		g, err := parseGpid(s)
		if err != nil {
			return clikit.Usagef(c, "%s %s: %v", clikit.TypedFlag(c, "gpid"), s, err)
		}
		req.Gpids = append(req.Gpids, g)
	}
	rep, err := ops.Dump(env(c), req)
	if rep != nil && req.JSON {
		*streamEnd(c) = rep.End
	}
	return usage(c, err)
}
