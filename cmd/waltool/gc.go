package main

import (
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/waltool/waltool/gc"
	"github.com/waltool/waltool/gpid"
	"github.com/waltool/waltool/internal/clikit"
	"github.com/waltool/waltool/ops"
)

func gcCommand() *cli.Command {
	return &cli.Command{
		Name:      "gc",
		Usage:     "dry-run the server's log garbage collection: which slog and plog files go, which replicas hold the rest and what releases them",
		ArgsUsage: "[ROOT]",
		Description: "ROOT is a data root (default: the [core] data_dir of --config). A dry run unless --apply: it never writes. " +
			"The slog rule follows --server-version (2.3/2.4: the <= 2.4 rule, which never deletes a lone last file; " +
			"2.5: every file can go, every blocker is flushed; 2.6 has no slog GC) unless --rule says. " +
			"Exit 0, or with --check 1 when a replica holds a file back (0 when everything the rule allows can go); " +
			"1 when the server would abort or refuse the root; 2 for usage or I/O errors. See docs/gc.md.",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "log", Value: "slog", Usage: "the logs to collect: the shared log, the private logs, or both"},
			&cli.StringFlag{Name: "rule", Usage: "the slog GC rule (default: the one of --server-version)"},
			&cli.StringFlag{Name: "server-version", Value: "2.4", Usage: "2.3, 2.4, 2.5 or 2.6: the replay model and the defaults"},
			&cli.StringFlag{Name: "now", Usage: "the clock for log_private_reserve_max_time_seconds: RFC 3339 or Unix seconds (default: now)"},
			&cli.Int64Flag{Name: "log-private-reserve-max-size-mb", Usage: "[replication] key (default: --config's, else the version's code default: 0 for 2.3-2.5, 1000 for 2.6)", Action: clikit.AtLeast[int64]("log-private-reserve-max-size-mb", 0)},
			&cli.Int64Flag{Name: "log-private-reserve-max-time-seconds", Usage: "[replication] key (default: --config's, else 0 for 2.3-2.5, 36000 for 2.6)", Action: clikit.AtLeast[int64]("log-private-reserve-max-time-seconds", 0)},
			&cli.IntFlag{Name: "log-shared-file-count-limit", Usage: "[replication] key, rule 2.4 (default: --config's, else 100)", Action: clikit.AtLeast("log-shared-file-count-limit", 0)},
			&cli.IntFlag{Name: "log-shared-gc-flush-replicas-limit", Usage: "[replication] key, rule 2.5, 0 = no limit (default: --config's, else 64)", Action: clikit.AtLeast("log-shared-gc-flush-replicas-limit", 0)},
			&cli.StringSliceFlag{Name: "dup-confirmed", Usage: "a duplication's confirmed decree (not on disk); repeatable"},
			durableDecreesFlag(),
			&cli.StringFlag{Name: "server-address", Usage: "the replica server's IPv4:PORT, which the flush command names (the 2.3-2.5 shell takes no host name; default PORT: --config's [apps.replica] ports)"},
			&cli.BoolFlag{Name: "check", Usage: "exit 1 when a replica holds a file back"},
			&cli.BoolFlag{Name: "json", Usage: "print one JSON document"},
		}, append(gcApplyFlags(), rootFlags()...)...),
		Action: runGC,
	}
}

func runGC(c *cli.Context) error {
	srv, err := server(c)
	if err != nil {
		return err
	}
	v, err := versionFlag(c, "server-version")
	if err != nil {
		return err
	}
	req := ops.GCRequest{Server: srv, Paths: c.Args().Slice(), Version: v, ServerAddress: c.String("server-address"),
		Check: c.Bool("check"), Apply: c.Bool("apply"), Trash: c.String("trash"), Force: c.Bool("force")}
	if req.Logs, req.Rule, req.Now, err = gcChoices(c); err != nil {
		return err
	}
	req.ReserveMaxSizeMB, req.ReserveMaxTimeSeconds = flagInt(c, "log-private-reserve-max-size-mb"), flagInt(c, "log-private-reserve-max-time-seconds")
	req.SharedFileCountLimit, req.SharedGCFlushReplicasLimit = flagInt(c, "log-shared-file-count-limit"), flagInt(c, "log-shared-gc-flush-replicas-limit")
	if req.DupConfirmed, err = dupConfirmed(c); err != nil {
		return err
	}
	if req.DurableDecrees, err = durableDecrees(c); err != nil {
		return err
	}
	rep, err := ops.GC(env(c), req)
	return show(c, rep, err)
}

// gcChoices parses --log, --rule and --now.
func gcChoices(c *cli.Context) (logs gc.Logs, rule gc.Rule, now time.Time, err error) {
	switch logs = gc.Logs(c.String("log")); logs {
	case gc.LogSlog, gc.LogPlog, gc.LogAll:
	default:
		return "", "", now, clikit.Usagef(c, "--log %q: want slog, plog or all", c.String("log"))
	}
	if c.IsSet("rule") {
		if rule = gc.Rule(c.String("rule")); rule != gc.Rule24 && rule != gc.Rule25 {
			return "", "", now, clikit.Usagef(c, "--rule %q: want 2.4 or 2.5", c.String("rule"))
		}
	}
	if s := c.String("now"); s != "" {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			now = time.Unix(n, 0)
		} else if now, err = time.Parse(time.RFC3339, s); err != nil {
			return "", "", now, clikit.Usagef(c, "--now %q: want RFC 3339 (2024-01-02T03:04:05Z) or Unix seconds", s)
		}
	}
	return logs, rule, now, nil
}

// flagInt is an integer flag's value when it was given, nil when not.
func flagInt(c *cli.Context, name string) *int64 {
	if !c.IsSet(name) {
		return nil
	}
	v := c.Int64(name)
	return &v
}

// dupConfirmed parses --dup-confirmed GPID=DECREE (repeatable): the min
// decree per replica over its duplications.
func dupConfirmed(c *cli.Context) (map[gpid.Gpid]int64, error) {
	var m map[gpid.Gpid]int64
	for _, s := range c.StringSlice("dup-confirmed") {
		gs, ds, ok := strings.Cut(s, "=")
		g, err := parseGpid(gs)
		if !ok || err != nil {
			return nil, clikit.Usagef(c, "--dup-confirmed %q: want GPID=DECREE, e.g. 1.4=1234", s)
		}
		d, err := strconv.ParseInt(ds, 10, 64)
		if err != nil || d < 0 {
			return nil, clikit.Usagef(c, "--dup-confirmed %q: the decree must be a number >= 0", s)
		}
		if m == nil {
			m = map[gpid.Gpid]int64{}
		}
		if old, seen := m[g]; !seen || d < old {
			m[g] = d
		}
	}
	return m, nil
}
