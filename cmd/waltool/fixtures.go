package main

import (
	"github.com/urfave/cli/v2"

	"github.com/waltool/waltool/fixtures"
	"github.com/waltool/waltool/internal/clikit"
	"github.com/waltool/waltool/ops"
)

func fixturesCommand() *cli.Command {
	return &cli.Command{
		Name:  "fixtures",
		Usage: "generate sample Pegasus data roots",
		Description: "gen writes a data root as a Pegasus 2.3 server leaves it (slog, plogs, replica metadata), " +
			"deterministic from its seed, of any size, damaged on request: to try waltool on, and what its tests run on.",
		Action: clikit.NeedCommand,
		Subcommands: []*cli.Command{{
			Name:  "gen",
			Usage: "write a deterministic Pegasus 2.3-style data root (slog + plogs) and its manifest",
			Description: "Sizes take binary units: 512K, 32MiB. --disks is a count (the paths are " +
				"DIR/replica/reps, then DIR/disk<N>/replica/reps); the manifest's data_dirs is the path " +
				"spec to give other commands' --data-dirs. If interrupted or failing, the partial root is removed.",
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "out", Usage: "output directory (must not exist or be empty); required"},
				&cli.Int64Flag{Name: "seed", Value: 1, Usage: "random seed; the same options give the same bytes", Action: clikit.AtLeast[int64]("seed", 0)},
				&cli.IntFlag{Name: "apps", Value: fixtures.DefaultApps, Usage: "tables", Action: clikit.AtLeast("apps", 1)},
				&cli.IntFlag{Name: "replicas", Value: fixtures.DefaultReplicas, Usage: "partitions per table", Action: clikit.AtLeast("replicas", 1)},
				&cli.IntFlag{Name: "mutations", Value: fixtures.DefaultMutations, Usage: "mutations in total, across replicas", Action: clikit.AtLeast("mutations", 1)},
				&cli.GenericFlag{Name: "value-size", Value: &clikit.SizeValue{N: fixtures.DefaultValueSize}, Usage: "bytes per value", Action: clikit.SizeAtLeast("value-size", 1)},
				&cli.IntFlag{Name: "disks", Value: fixtures.DefaultDisks, Usage: "number of data dirs (disks) to spread replicas over", Action: clikit.AtLeast("disks", 1)},
				&cli.GenericFlag{Name: "slog-file-size", Value: &clikit.SizeValue{N: fixtures.DefaultSlogFileSize}, Usage: "slog file size limit (Pegasus: 32MiB)", Action: clikit.SizeAtLeast("slog-file-size", 1)},
				&cli.GenericFlag{Name: "plog-file-size", Value: &clikit.SizeValue{N: fixtures.DefaultPlogFileSize}, Usage: "plog file size limit (Pegasus: 32MiB)", Action: clikit.SizeAtLeast("plog-file-size", 1)},
				&cli.StringFlag{Name: "corrupt", Usage: "damage the generated root: torn-tail, bitflip, zero-tail or bad-header"},
				&cli.BoolFlag{Name: "json", Usage: "print one JSON document naming the root, its manifest and data dirs (the manifest file itself is DIR/manifest.json)"},
				&cli.BoolFlag{Name: "progress", Value: true, Usage: "show a progress bar on stderr when it is a terminal"},
			},
			Action: fixturesGen,
		}},
	}
}

func fixturesGen(c *cli.Context) error {
	if c.NArg() > 0 {
		return clikit.Usagef(c, "takes no arguments (the root is --out DIR), got %q", c.Args().First())
	}
	size := func(name string) int64 { return c.Generic(name).(*clikit.SizeValue).N }
	rep, err := ops.GenerateFixtures(env(c), fixtures.Options{
		Out: c.String("out"), Seed: c.Int64("seed"), Apps: c.Int("apps"), Replicas: c.Int("replicas"),
		Mutations: c.Int("mutations"), ValueSize: int(size("value-size")), Disks: c.Int("disks"),
		SlogFileSize: size("slog-file-size"), PlogFileSize: size("plog-file-size"), Corrupt: c.String("corrupt"),
	})
	return show(c, rep, err)
}
