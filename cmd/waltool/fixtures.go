package main

import (
	"encoding/json"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/waltool/waltool/fixtures"
)

func fixturesCommand() *cli.Command {
	return &cli.Command{
		Name:  "fixtures",
		Usage: "generate sample Pegasus data roots",
		Subcommands: []*cli.Command{{
			Name:  "gen",
			Usage: "write a deterministic Pegasus 2.3-style dual-WAL data root (slog + plogs) and its manifest",
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "out", Required: true, Usage: "output directory (must not exist or be empty)"},
				&cli.Int64Flag{Name: "seed", Value: 1, Usage: "random seed; the same options give the same bytes"},
				&cli.IntFlag{Name: "apps", Value: 2, Usage: "tables"},
				&cli.IntFlag{Name: "replicas", Value: 4, Usage: "partitions per table"},
				&cli.IntFlag{Name: "mutations", Value: 2000, Usage: "mutations in total, across replicas"},
				&cli.IntFlag{Name: "value-size", Value: 100, Usage: "bytes per value"},
				&cli.IntFlag{Name: "data-dirs", Value: 1, Usage: "data dirs (disks) to spread replicas over"},
				&cli.Int64Flag{Name: "slog-file-size", Value: 1 << 20, Usage: "slog file size limit in bytes (Pegasus: 32 MiB)"},
				&cli.Int64Flag{Name: "plog-file-size", Value: 4 << 20, Usage: "plog file size limit in bytes (Pegasus: 32 MiB)"},
				&cli.StringFlag{Name: "corrupt", Usage: "damage the generated root: torn-tail, bitflip, zero-tail or bad-header"},
				&cli.BoolFlag{Name: "json", Usage: "print the manifest as JSON"},
				&cli.BoolFlag{Name: "progress", Value: true, Usage: "show a progress bar on stderr when it is a terminal"},
			},
			Action: func(c *cli.Context) error {
				bar := newProgress(c, int64(c.Int("mutations")), "generate")
				m, err := fixtures.Generate(fixtures.Options{
					Out: c.String("out"), Seed: c.Int64("seed"), Apps: c.Int("apps"), Replicas: c.Int("replicas"),
					Mutations: c.Int("mutations"), ValueSize: c.Int("value-size"), DataDirs: c.Int("data-dirs"),
					SlogFileSize: c.Int64("slog-file-size"), PlogFileSize: c.Int64("plog-file-size"), Corrupt: c.String("corrupt"),
					Progress: func(done, total int64) { bar.ChangeMax64(total); bar.Set64(done) },
				})
				bar.Finish()
				if err != nil {
					return err
				}
				if c.Bool("json") {
					enc := json.NewEncoder(c.App.Writer)
					enc.SetIndent("", "  ")
					return enc.Encode(m)
				}
				fmt.Fprintf(c.App.Writer, "wrote %s (manifest.json inside); data dirs: %s\n", c.String("out"), m.DataDirs)
				return nil
			},
		}},
	}
}
