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
			steps := []struct {
				say  string
				args []string
				want int // expected exit status
			}{
				{"Generate a Pegasus 2.3-style data root: one shared log (slog) holding every replica's writes,\n" +
					"and one private log (plog) per replica lagging behind it.",
					[]string{"fixtures", "gen", "--out", root, "--seed", "7", "--apps", "2", "--replicas", "3", "--mutations", "3000", "--disks", "2"}, 0},
				{"Verify every log and replica of the root, as the server would read them (read-only).",
					[]string{"verify", "--data-dirs", "@datadirs", root}, 0},
				{"Dump the first mutations of one replica's plog, decoded (mlog_dump -d format).",
					[]string{"dump", "-d", "--to-decree", "2", "@plog"}, 0},
				{"The same as JSON Lines for scripts.",
					[]string{"dump", "--json", "--to-decree", "1", "@plog"}, 0},
				{"Replay it as a Pegasus 2.4 server would at startup: plogs first, then the slog, whose tail\n" +
					"the plogs lack (SLOG-ONLY) and which the server appends back to them (APPENDED).",
					[]string{"replay", "--data-dirs", "@datadirs", root}, 0},
				{"A 2.6 server ignores the slog: what only the slog holds is lost. Exit 1.",
					[]string{"replay", "--server-version", "2.6", "--data-dirs", "@datadirs", root}, 1},
				{"Generate the same root with one bit flipped in a plog.",
					[]string{"fixtures", "gen", "--out", damaged, "--seed", "7", "--apps", "2", "--replicas", "3", "--mutations", "3000", "--disks", "2", "--corrupt", "bitflip"}, 0},
				{"Verify finds it, names the file and byte offset, and exits 1.",
					[]string{"verify", "--data-dirs", "@datadirs-damaged", damaged}, 1},
				{"Write benchmark (short): durable writes through one shared log (Pegasus 2.3), per-replica plogs\n" +
					"syncing on their own (2.4+ with plog_force_flush), the parallel plog writer (group commit\n" +
					"per disk), and raw-rounds, the writer's I/O with nothing else: its ceiling on this disk. Every\n" +
					"log written is verified. See docs/writer.md for the full runs.",
					[]string{"bench", "write", "--duration", "1s", "--replicas", "16", "--clients", "16",
						"--modes", "shared-log,plog-per-file,plog-parallel,raw-rounds", "--verify", "--dirs", tmp}, 0},
			}
			for _, s := range steps {
				args := make([]string, len(s.args))
				for i, a := range s.args {
					args[i] = expandDemoArg(a, root, damaged)
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
func expandDemoArg(a, root, damaged string) string {
	switch a {
	case "@datadirs", "@datadirs-damaged":
		r := root
		if a == "@datadirs-damaged" {
			r = damaged
		}
		m, err := fixtures.ReadManifest(r)
		if err != nil {
			return ""
		}
		return m.DataDirs
	case "@plog":
		matches, _ := filepath.Glob(filepath.Join(root, "replica", "reps", "*", "plog"))
		if len(matches) > 0 {
			return matches[0]
		}
	}
	return a
}
