package main

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/waltool/waltool/internal/clikit"
	"github.com/waltool/waltool/migrate"
	"github.com/waltool/waltool/ops"
	"github.com/waltool/waltool/pegasus"
)

func migrateCommand() *cli.Command {
	jsonFlag := &cli.BoolFlag{Name: "json", Usage: "print one JSON document"}
	return &cli.Command{
		Name:  "migrate",
		Usage: "fold the shared log into the private logs (upgrade to a plog-only root), downgrade, resume, roll back, status",
		Description: "Changes a data root's logs offline, the server stopped: upgrade folds the shared log into the " +
			"private logs, so that Pegasus 2.6 loses nothing; downgrade makes a plog-only root safe for 2.5, 2.4 or " +
			"2.3 again. Each is a dry run unless --apply; applied, it takes the root's lock, refuses a running server, " +
			"journals every step in the root and proves its result by replay. resume finishes an interrupted run, " +
			"rollback undoes one byte for byte, status says where the last one stands. The operator's steps are in " +
			"docs/runbook-upgrade.md.",
		Action: clikit.NeedCommand,
		Subcommands: []*cli.Command{{
			Name:      "upgrade",
			Usage:     "fold the slog into new plog files and archive it, so that Pegasus 2.6 recovers what 2.4 did",
			ArgsUsage: "[ROOT]",
			Description: "ROOT is a data root (default: the [core] data_dir of --config). A dry run unless --apply: " +
				"the plan per replica (the slog mutations folded, the new plog files), the slog files to archive, " +
				"what the proof compares. With --apply, in journaled steps: fold, archive, prove (2.6 on the new " +
				"root recovers what 2.4 recovered on the old one), rolling back by itself if the proof fails. " +
				"With --rebalance, replica dirs are moved between the data dirs after the archive (a rename on one " +
				"filesystem, a copy through <dir>.tmp and <dir>.ori across: the server never sees two copies). " +
				"See docs/runbook-upgrade.md.",
			Flags: append([]cli.Flag{
				&cli.BoolFlag{Name: "apply", Usage: "carry out the plan"},
				&cli.StringFlag{Name: "slog-archive", Usage: "where the slog files go (default: beside the slog dir, <slog dir>.waltool-archive)"},
				&cli.BoolFlag{Name: "force", Usage: "with --apply: go on although verify finds what Pegasus would refuse, or the slog and the data dirs do not look like one server's"},
				&cli.BoolFlag{Name: "rebalance", Usage: "also spread the replica dirs over the data dirs by bytes and count, partitions of a table on different data dirs where possible (after the archive, before the proof)"},
				jsonFlag,
			}, append(rootFlags(), progressFlag())...),
			Action: runMigrateUpgrade,
		}, downgradeCommand(jsonFlag), {
			Name:      "resume",
			Usage:     "finish an interrupted upgrade (re-checking what a crash may have torn), then prove it",
			ArgsUsage: "[ROOT]",
			Description: "ROOT is the data root of the interrupted run, upgrade or downgrade (default: the [core] " +
				"data_dir of --config). Takes the root's lock, refuses a running server, checks every step the " +
				"journal (ROOT/.waltool-journal) records as done and skips it (a half-written file is written " +
				"again), does the rest, then proves the result; a failed proof rolls the run back. A journal written in another " +
				"root (this root is a copy of it, or was moved from there) is refused. " +
				"Exit 0 proven, 1 a failed proof (rolled back), 2 usage or I/O errors, a held lock, a running server.",
			Flags:  append([]cli.Flag{jsonFlag}, append(rootFlags(), progressFlag())...),
			Action: runMigrateResume,
		}, {
			Name:      "rollback",
			Usage:     "undo the root's newest migration not rolled back yet (finished or interrupted), byte for byte; again, the one before it",
			ArgsUsage: "[ROOT]",
			Description: "ROOT is the data root of the last run (default: the [core] data_dir of --config). Undoes " +
				"the run from its journal, finished or interrupted, upgrade or downgrade: everything but the " +
				"journal's own dir is as it was before; itself resumable. Refuses, changing nothing, a root a " +
				"server has written to since the run (a rollback would lose those writes: migrate downgrade is the " +
				"way back that keeps them), and one where a file or dir a step would undo is not what the journal " +
				"recorded: every step is checked before the first change; and a journal written in another root (this " +
				"root is a copy of it, or was moved from there). It uses the dirs the run recorded in its journal. When the last command " +
				"on the root was killed before its run began, it asks for --run ID (from migrate status) before it " +
				"undoes the run before. Exit 0 rolled back, 2 refused, usage or I/O errors.",
			Flags: append([]cli.Flag{jsonFlag,
				&cli.StringFlag{Name: "run", Usage: "the ID of the run to undo (migrate status lists them): must be the newest not rolled back; needed when the last command was killed before its run began"},
			}, rootFlags()...),
			Action: runMigrateRollback,
		}, {
			Name:      "status",
			Usage:     "every migration run of the root, oldest first: how each stands, whether it can still be rolled back",
			ArgsUsage: "[ROOT]",
			Description: "ROOT is a data root (default: the [core] data_dir of --config). Read-only: the last run's " +
				"command, each phase done and how long it took, its steps, and whether it finished (and can still be " +
				"rolled back), was interrupted or was rolled back. Exit 0, 2 for usage or I/O errors.",
			Flags:  append([]cli.Flag{jsonFlag}, rootFlags()...),
			Action: runMigrateStatus,
		}},
	}
}

// commandLine is the command line of c after "waltool", as a run's
// journal records it for status: the command, each flag set, the
// arguments (os.Args is not it when waltool runs inside another program,
// the demo or a test).
func commandLine(c *cli.Context) []string {
	args := strings.Fields(clikit.HelpName(c))[1:]
	for _, f := range c.Command.Flags {
		name := f.Names()[0]
		if !c.IsSet(name) {
			continue
		}
		if v, ok := c.Value(name).(bool); ok && v {
			args = append(args, "--"+name)
			continue
		}
		args = append(args, fmt.Sprintf("--%s=%v", name, c.Value(name)))
	}
	return append(args, c.Args().Slice()...)
}

// progressFlag is --progress, for the commands that read a whole root.
func progressFlag() cli.Flag {
	return &cli.BoolFlag{Name: "progress", Value: true, Usage: "show progress bars on stderr when it is a terminal and the root is large"}
}

func downgradeCommand(jsonFlag cli.Flag) *cli.Command {
	return &cli.Command{
		Name:      "downgrade",
		Usage:     "make a plog-only root safe to start under Pegasus 2.5, 2.4 or 2.3, proven by replaying what that server does next",
		ArgsUsage: "--to 2.3|2.4|2.5 [ROOT]",
		Description: "A dry run unless --apply: what changes (the slog dir: leftover slog files archived, for 2.3 a " +
			"header-only slog file above every replica's init_offset_in_shared_log), what the target cannot read, " +
			"and the proof on a preview of the result: the target recovers what 2.6 recovers now, and its next " +
			"writes (simulated: the target writing, crashing, restarting) are all found again. With --apply, in " +
			"journaled steps (resume, rollback, status as for the upgrade), then the same proof on the new root, " +
			"rolling back by itself if it fails. See docs/runbook-upgrade.md, \"The way back\".",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "to", Usage: "the version that will start on the root: 2.3, 2.4 or 2.5 (required)"},
			&cli.BoolFlag{Name: "apply", Usage: "carry out the plan"},
			&cli.StringFlag{Name: "slog-archive", Usage: "where leftover slog files go (default: <slog dir>.waltool-downgrade-archive)"},
			&cli.BoolFlag{Name: "force", Usage: "with --apply: go on despite refusals (what the target cannot read, a slog and data dirs that do not look like one server's); never despite a failed proof"},
			&cli.BoolFlag{Name: "restore-slog-archive", Usage: "undo the root's last migrate upgrade instead, when no server has written since (a rollback: the old slog comes back)"},
			&cli.IntFlag{Name: "next-writes", Usage: "writes per replica the proof simulates the target making after the downgrade", Value: 16, Action: clikit.AtLeast("next-writes", 1)},
			&cli.Int64Flag{Name: "seed", Usage: "seed of the simulated writes (lags, torn tails, payloads)", Value: 1, Action: clikit.AtLeast[int64]("seed", 0)},
			jsonFlag,
		}, append(rootFlags(), progressFlag())...),
		Action: runMigrateDowngrade,
	}
}

func parseTarget(c *cli.Context) (pegasus.Version, error) {
	if !c.IsSet("to") {
		// Not cli's Required: its message is Go's, after the whole help.
		return "", clikit.Usagef(c, "--to is required: the version that will start on the root, 2.3, 2.4 or 2.5")
	}
	v, err := versionFlag(c, "to")
	if err == nil && v == pegasus.V26 {
		err = clikit.Usagef(c, "--to 2.6: the targets are 2.3, 2.4 and 2.5 (2.6 needs `migrate upgrade`)")
	}
	return v, err
}

// migrateRequest reads a migrate command's flags (ops.MigrateRequest).
func migrateRequest(c *cli.Context) (ops.MigrateRequest, error) {
	srv, err := server(c)
	if err != nil {
		return ops.MigrateRequest{}, err
	}
	return ops.MigrateRequest{Server: srv, Paths: c.Args().Slice(), Apply: c.Bool("apply"), Force: c.Bool("force"),
		SlogArchive: c.String("slog-archive"), Rebalance: c.Bool("rebalance"), RestoreSlogArchive: c.Bool("restore-slog-archive"),
		Next: migrate.NextOptions{PerReplica: c.Int("next-writes"), Seed: c.Int64("seed")}, Run: c.String("run")}, nil
}

// migrateAction is the Action of a migrate command running op.
func migrateAction(op func(*ops.Env, ops.MigrateRequest) (ops.Report, error)) cli.ActionFunc {
	return func(c *cli.Context) error {
		req, err := migrateRequest(c)
		if err != nil {
			return err
		}
		if c.Command.Name == "downgrade" {
			if req.Target, err = parseTarget(c); err != nil {
				return err
			}
		}
		rep, err := op(env(c), req)
		return show(c, rep, err)
	}
}

var (
	runMigrateUpgrade   = migrateAction(ops.Upgrade)
	runMigrateDowngrade = migrateAction(ops.Downgrade)
	runMigrateResume    = migrateAction(ops.Resume)
	runMigrateRollback  = migrateAction(ops.Rollback)
	runMigrateStatus    = migrateAction(ops.Status)
)
