package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/waltool/waltool/fixtures"
)

func demoCommand() *cli.Command {
	return &cli.Command{
		Name:  "demo",
		Usage: "generate a sample data root in a temporary dir and run the suite on it",
		Description: "Writes a sample root and its config.ini to a temporary dir and runs the suite on it: verify, dump, " +
			"replay under 2.4 and 2.6, gc, the upgrade (its dry run, --apply, the proof), the way back (a dry-run " +
			"downgrade to 2.3, a rollback), and verify of a damaged copy, printing each command line before its " +
			"output; then removes the dir (unless --keep). Exit 0 when every command exited as expected.",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "keep", Usage: "keep the temporary dir and print its path"},
		},
		Action: func(c *cli.Context) error {
			tmp, err := os.MkdirTemp("", "waltool-demo-")
			if err != nil {
				return err
			}
			if c.Bool("keep") {
				fmt.Fprintf(c.App.Writer, "sample roots kept in %s\n", tmp)
			} else {
				defer removeOnInterrupt(tmp)()
				defer os.RemoveAll(tmp)
			}
			root := filepath.Join(tmp, "root")
			damaged := filepath.Join(tmp, "damaged")
			config := filepath.Join(tmp, "config.ini")
			steps := []struct {
				say  string
				args []string
				want int // expected exit status
			}{
				{"Generate a Pegasus 2.3-style data root: one shared log (slog) holding every replica's writes,\n" +
					"and one private log (plog) per replica lagging behind it, on two data dirs.",
					[]string{"fixtures", "gen", "--out", root, "--seed", "7", "--apps", "2", "--replicas", "3", "--mutations", "3000", "--disks", "2"}, 0},
				{"The server's own config.ini, as Pegasus ships it: [core] data_dir = %{app.dir}, [replication]\n" +
					"slog_dir and data_dirs (written beside the root as " + config + ").",
					[]string{"@show-config"}, 0},
				{"Verify every log and replica of the server that config describes, as it would read them\n" +
					"(read-only). --cargs fills the config's macros, as the server's -cargs; the dirs header says\n" +
					"which slog dir and data dirs were read and where each came from.",
					[]string{"verify", "--config", config, "--cargs", "app.dir=" + root}, 0},
				{"Dump the first mutations of one replica's plog, decoded (mlog_dump -d format).",
					[]string{"dump", "-d", "--to-decree", "2", "@plog"}, 0},
				{"The same as JSON Lines for scripts.",
					[]string{"dump", "--json", "--to-decree", "1", "@plog"}, 0},
				{"The operator's question: is it safe to start this server under a new version? Replay it as\n" +
					"a Pegasus 2.4 server would at startup: plogs first, then the slog, whose tail the plogs lack\n" +
					"(SLOG-ONLY) and which the server appends back to them (APPENDED).",
					[]string{"replay", "--config", config, "--cargs", "app.dir=" + root}, 0},
				{"A 2.6 server ignores the slog: what only the slog holds is lost. Exit 1: not safe.",
					[]string{"replay", "--server-version", "2.6", "--config", config, "--cargs", "app.dir=" + root}, 1},
				{"Before an upgrade to 2.6 the slog must be empty. Dry-run the slog GC of a 2.5 server (it never\n" +
					"writes): which slog files go, which replicas hold the rest (the decree each needs, the one it\n" +
					"has) and the server's command that releases each. --check exits 1: replicas must flush first.",
					[]string{"gc", "--rule", "2.5", "--check", "--config", config, "--cargs", "app.dir=" + root}, 1},
				{"Pointed at the wrong slog dir (--slog-dir takes [replication] slog_dir: DIR/replica/slog), no\n" +
					"slog is read, and replay refuses to call anything safe. Exit 1.",
					[]string{"replay", "--server-version", "2.6", "--config", config, "--cargs", "app.dir=" + root, "--slog-dir", filepath.Join(tmp, "nowhere")}, 1},
				{"waltool's way instead: fold the slog into the plogs offline. The dry run shows, per replica,\n" +
					"the slog mutations it folds and the new plog file each goes to (nothing is written).",
					[]string{"migrate", "upgrade", "--config", config, "--cargs", "app.dir=" + root}, 0},
				{"Apply it: journaled steps (fold into new plog files, archive the slog beside its dir), then the\n" +
					"proof: 2.6 on the new root recovers exactly what 2.4 recovered on the old one.",
					[]string{"migrate", "upgrade", "--apply", "--config", config, "--cargs", "app.dir=" + root}, 0},
				{"Now a 2.6 server loses nothing (the slog dir is empty; --no-slog says this root has none).",
					[]string{"replay", "--server-version", "2.6", "--no-slog", "--config", config, "--cargs", "app.dir=" + root}, 0},
				{"The way back from 2.6 (after it has written, too): a downgrade to 2.3 keeps the plogs as the truth and puts a\n" +
					"header-only slog file above every replica's init_offset_in_shared_log. The dry run proves it on an\n" +
					"in-memory preview: 2.3 recovers what 2.6 does, and 2.3's simulated next writes survive its crash.",
					[]string{"migrate", "downgrade", "--to", "2.3", "--config", config, "--cargs", "app.dir=" + root}, 0},
				{"And the upgrade can be undone byte for byte until the server writes to the root.",
					[]string{"migrate", "rollback", "--config", config, "--cargs", "app.dir=" + root}, 0},
				{"Generate the same root with one bit flipped in a plog.",
					[]string{"fixtures", "gen", "--out", damaged, "--seed", "7", "--apps", "2", "--replicas", "3", "--mutations", "3000", "--disks", "2", "--corrupt", "bitflip"}, 0},
				{"Verify finds it, names the file and byte offset, and exits 1.",
					[]string{"verify", "--config", config, "--cargs", "app.dir=" + damaged}, 1},
			}
			for _, s := range steps {
				args := make([]string, len(s.args))
				for i, a := range s.args {
					args[i] = expandDemoArg(a, root, damaged)
				}
				if len(args) == 1 && args[0] == "@show-config" {
					m, err := fixtures.ReadManifest(root)
					if err != nil {
						return err
					}
					ini := fixtures.ServerConfigINI(m)
					if err := os.WriteFile(config, []byte(ini), 0o644); err != nil {
						return err
					}
					fmt.Fprintf(c.App.Writer, "\n# %s\n$ cat %s\n%s", strings.ReplaceAll(s.say, "\n", "\n# "), config, ini)
					continue
				}
				fmt.Fprintf(c.App.Writer, "\n# %s\n$ waltool %s\n", strings.ReplaceAll(s.say, "\n", "\n# "), strings.Join(args, " "))
				code := runContext(c.Context, append([]string{"waltool"}, args...), c.App.Writer, c.App.Writer)
				if err := c.Context.Err(); err != nil {
					return err
				}
				if code != s.want {
					return fmt.Errorf("demo step %q exited %d, expected %d", strings.Join(args, " "), code, s.want)
				}
			}
			fmt.Fprintln(c.App.Writer, "\ndemo finished: every step behaved as expected")
			return nil
		},
	}
}

// expandDemoArg fills in values known only once the sample exists.
func expandDemoArg(a, root, _ string) string {
	if a == "@plog" {
		matches, _ := filepath.Glob(filepath.Join(root, "replica", "reps", "*", "plog"))
		if len(matches) > 0 {
			return matches[0]
		}
	}
	return a
}
