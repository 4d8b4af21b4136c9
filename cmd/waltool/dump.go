package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/waltool/waltool/dump"
	"github.com/waltool/waltool/finding"
	"github.com/waltool/waltool/internal/clikit"
	"github.com/waltool/waltool/internal/iec"
)

// noteUnmatched says on stderr when the filters let no mutation through:
// an empty output alone looks like an empty log. It is no error (exit 0):
// the logs are fine, the filter named a replica or decrees they lack.
func noteUnmatched(c *cli.Context, res dump.Result) {
	filters := strings.Join(dumpFilters(c), " ")
	switch {
	case filters == "" || res.Printed > 0:
	case res.Mutations == 0:
		fmt.Fprintf(c.App.ErrWriter, "waltool dump: note: no mutation was read, so none matched %s\n", filters)
	default:
		fmt.Fprintf(c.App.ErrWriter, "waltool dump: note: none of the %s read matched %s (waltool verify PATH lists the gpids and decree ranges there)\n",
			iec.Plural(int64(res.Mutations), "mutation"), filters)
	}
}

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
		Action: func(c *cli.Context) error {
			opts := dump.Options{
				JSON: c.Bool("json"), Command: commandName(c), Detailed: c.Bool("detailed"),
				FromDecree: c.Int64("from-decree"), ToDecree: -1, MaxBytes: c.Generic("max-bytes").(*clikit.SizeValue).N,
				Out: c.App.Writer, Err: c.App.ErrWriter,
			}
			if opts.FromDecree < 0 {
				return clikit.Usagef(c, "--from-decree %d: decrees start at 1", opts.FromDecree)
			}
			if c.IsSet("to-decree") {
				opts.ToDecree = c.Int64("to-decree")
				if opts.ToDecree < 0 {
					return clikit.Usagef(c, "--to-decree %d: decrees start at 1", opts.ToDecree)
				}
				if opts.ToDecree < opts.FromDecree {
					return clikit.Usagef(c, "--from-decree %d is above --to-decree %d: nothing would be printed", opts.FromDecree, opts.ToDecree)
				}
			}
			for _, s := range c.StringSlice("gpid") {
				g, err := parseGpid(s)
				if err != nil {
					return clikit.Usagef(c, "%s %s: %v", clikit.TypedFlag(c, "gpid"), s, err)
				}
				opts.Gpids = append(opts.Gpids, g)
			}
			t, files, err := onePathFiles(c)
			if err != nil {
				return err
			}
			dirs := dirFindings(c.App.ErrWriter, t)
			if opts.JSON {
				p := dump.NewPrinter(opts)
				for _, f := range dirs {
					p.Finding(f)
				}
				if err := p.Flush(); err != nil {
					return err
				}
			}
			var total int64
			for _, f := range files {
				total += f.Size
			}
			bar := newLargeProgress(c, total, "dump")
			opts.FS = cancelFS(c.Context, readOnlyFS)
			opts.Progress = func(n int64) { bar.Add64(n) }
			res, err := dump.Files(files, opts)
			bar.Finish()
			noteUnmatched(c, res)
			if opts.JSON {
				end := streamEnd(c)
				end.FileCount, end.Mutations, end.Printed = int64(res.Files), int64(res.Mutations), int64(res.Printed)
			}
			if errors.Is(err, dump.ErrDamaged) {
				return findings("%v", err)
			}
			if err == nil && finding.AnyFatal(dirs) {
				return findings("")
			}
			return err
		},
	}
}
