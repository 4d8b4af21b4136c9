package main

import (
	"errors"

	"github.com/urfave/cli/v2"

	"github.com/waltool/waltool/dump"
	"github.com/waltool/waltool/gpid"
)

func dumpCommand() *cli.Command {
	return &cli.Command{
		Name:      "dump",
		Usage:     "print the mutations of log files (mlog_dump format, or JSON Lines)",
		ArgsUsage: "PATH (a log file, plog or slog dir, replica dir or data root)",
		Description: "Reads files in order, read-only. On a bad block it prints the file and byte offset on stderr,\n" +
			"skips the rest of that file, goes on with the next, and exits 1.",
		Flags: append([]cli.Flag{
			&cli.BoolFlag{Name: "detailed", Aliases: []string{"d"}, Usage: "decode each update's request (PUT, MULTI_PUT, REMOVE, ...)"},
			&cli.BoolFlag{Name: "json", Usage: "JSON Lines, one object per mutation"},
			&cli.StringSliceFlag{Name: "gpid", Usage: "only this replica (app_id.partition_index); repeatable"},
			&cli.Int64Flag{Name: "from-decree", Usage: "first decree to print (inclusive)"},
			&cli.Int64Flag{Name: "to-decree", Value: -1, Usage: "last decree to print (inclusive)"},
			&cli.Int64Flag{Name: "max-bytes", Usage: "read at most this many bytes of each file"},
		}, rootFlags()...),
		Action: func(c *cli.Context) error {
			t, files, err := onePathFiles(c)
			if err != nil {
				return err
			}
			dirsFatal := dirFindings(c.App.ErrWriter, t)
			opts := dump.Options{
				JSON: c.Bool("json"), Detailed: c.Bool("detailed"),
				FromDecree: c.Int64("from-decree"), ToDecree: c.Int64("to-decree"), MaxBytes: c.Int64("max-bytes"),
				Out: c.App.Writer, Err: c.App.ErrWriter, FS: readOnlyFS,
			}
			for _, s := range c.StringSlice("gpid") {
				g, err := gpid.Parse(s)
				if err != nil {
					return err
				}
				opts.Gpids = append(opts.Gpids, g)
			}
			_, err = dump.Files(files, opts)
			if errors.Is(err, dump.ErrDamaged) {
				return findings("%v", err)
			}
			if err == nil && dirsFatal {
				return findings("")
			}
			return err
		},
	}
}
