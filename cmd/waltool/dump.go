package main

import (
	"errors"

	"github.com/urfave/cli/v2"

	"github.com/waltool/waltool/dump"
	"github.com/waltool/waltool/finding"
)

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
			&cli.BoolFlag{Name: "json", Usage: "JSON Lines, one object per mutation"},
			&cli.StringSliceFlag{Name: "gpid", Usage: "only this replica (app_id.partition_index); repeatable"},
			&cli.Int64Flag{Name: "from-decree", Usage: "first decree to print (inclusive)"},
			&cli.Int64Flag{Name: "to-decree", Usage: "last decree to print (inclusive; default: no limit)", DefaultText: "none"},
			&cli.GenericFlag{Name: "max-bytes", Value: &sizeValue{}, Usage: "read at most this many bytes of each file: 4096, 64K, 1MiB (0: all)", DefaultText: "0"},
			&cli.BoolFlag{Name: "progress", Value: true, Usage: "show a progress bar on stderr when it is a terminal and the input is large"},
		}, rootFlags()...),
		Action: func(c *cli.Context) error {
			opts := dump.Options{
				JSON: c.Bool("json"), Command: commandName(c), Detailed: c.Bool("detailed"),
				FromDecree: c.Int64("from-decree"), ToDecree: -1, MaxBytes: c.Generic("max-bytes").(*sizeValue).n,
				Out: c.App.Writer, Err: c.App.ErrWriter,
			}
			if opts.FromDecree < 0 {
				return usagef(c, "--from-decree %d: decrees start at 1", opts.FromDecree)
			}
			if c.IsSet("to-decree") {
				opts.ToDecree = c.Int64("to-decree")
				if opts.ToDecree < 0 {
					return usagef(c, "--to-decree %d: decrees start at 1", opts.ToDecree)
				}
				if opts.ToDecree < opts.FromDecree {
					return usagef(c, "--from-decree %d is above --to-decree %d: nothing would be printed", opts.FromDecree, opts.ToDecree)
				}
			}
			for _, s := range c.StringSlice("gpid") {
				g, err := parseGpid(s)
				if err != nil {
					return usagef(c, "--gpid: %v", err)
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
