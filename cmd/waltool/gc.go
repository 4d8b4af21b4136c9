package main

import (
	"bufio"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/waltool/waltool/finding"
	"github.com/waltool/waltool/gc"
	"github.com/waltool/waltool/gpid"
	"github.com/waltool/waltool/internal/clikit"
	"github.com/waltool/waltool/internal/iec"
	"github.com/waltool/waltool/reclaim"
	"github.com/waltool/waltool/serverconfig"
	"github.com/waltool/waltool/vfs"
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
	root, err := oneRoot(c)
	if err != nil {
		return err
	}
	v, err := versionFlag(c, "server-version")
	if err != nil {
		return err
	}
	opts := gc.Options{Version: v, Limits: gc.DefaultLimits(v)}
	switch l := gc.Logs(c.String("log")); l {
	case gc.LogSlog, gc.LogPlog, gc.LogAll:
		opts.Logs = l
	default:
		return clikit.Usagef(c, "--log %q: want slog, plog or all", c.String("log"))
	}
	if c.IsSet("rule") {
		switch r := gc.Rule(c.String("rule")); r {
		case gc.Rule24, gc.Rule25:
			opts.Rule = r
		default:
			return clikit.Usagef(c, "--rule %q: want 2.4 or 2.5", c.String("rule"))
		}
	}
	if s := c.String("now"); s != "" {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			opts.Now = time.Unix(n, 0)
		} else if t, err := time.Parse(time.RFC3339, s); err == nil {
			opts.Now = t
		} else {
			return clikit.Usagef(c, "--now %q: want RFC 3339 (2024-01-02T03:04:05Z) or Unix seconds", s)
		}
	}
	if err := limitsFromConfig(c, &opts.Limits); err != nil {
		return err
	}
	if c.IsSet("log-private-reserve-max-size-mb") {
		opts.Limits.LogPrivateReserveMaxSizeMB = c.Int64("log-private-reserve-max-size-mb")
	}
	if c.IsSet("log-private-reserve-max-time-seconds") {
		opts.Limits.LogPrivateReserveMaxTimeSeconds = c.Int64("log-private-reserve-max-time-seconds")
	}
	if c.IsSet("log-shared-file-count-limit") {
		opts.Limits.LogSharedFileCountLimit = c.Int("log-shared-file-count-limit")
	}
	if c.IsSet("log-shared-gc-flush-replicas-limit") {
		opts.Limits.LogSharedGCFlushReplicasLimit = c.Int("log-shared-gc-flush-replicas-limit")
	}
	for _, s := range c.StringSlice("dup-confirmed") {
		gs, ds, ok := strings.Cut(s, "=")
		g, err := parseGpid(gs)
		if !ok || err != nil {
			return clikit.Usagef(c, "--dup-confirmed %q: want GPID=DECREE, e.g. 1.4=1234", s)
		}
		d, err := strconv.ParseInt(ds, 10, 64)
		if err != nil || d < 0 {
			return clikit.Usagef(c, "--dup-confirmed %q: the decree must be a number >= 0", s)
		}
		if opts.DupConfirmed == nil {
			opts.DupConfirmed = map[gpid.Gpid]int64{}
		}
		if old, seen := opts.DupConfirmed[g]; !seen || d < old {
			opts.DupConfirmed[g] = d // the min over a replica's duplications
		}
	}
	if opts.DurableDecrees, err = durableDecrees(c); err != nil {
		return err
	}
	if opts.ServerAddress, err = serverAddress(c); err != nil {
		return err
	}
	t, err := resolve(c, root)
	if err != nil {
		return err
	}
	if t.Root == nil || t.Root.SlogDir == "" {
		return fmt.Errorf("%s is a %s; gc needs a data root (the slog and every replica decide together)", t.Path, t.What())
	}
	rep, err := gc.Run(t.Root, opts)
	if err := c.Context.Err(); err != nil {
		return err
	}
	if err != nil {
		return err
	}
	out := bufio.NewWriter(c.App.Writer)
	defer out.Flush()
	if !c.Bool("json") {
		printGC(out, rep)
	}
	var applied *reclaim.Report
	var applyErr error
	if c.Bool("apply") {
		out.Flush()
		applied, applyErr = applyGC(c, t, rep)
		// What refused the apply is part of the report.
		rep.Findings = appendNew(rep.Findings, findingsOf(applyErr)...)
		if !c.Bool("json") {
			for _, f := range findingsOf(applyErr) {
				printFinding(out, f)
			}
		}
	}
	if c.Bool("json") {
		emitDoc(c, gcDoc(rep, applied))
	} else if applied != nil {
		printApplied(out, applied)
	}
	if err := out.Flush(); err != nil {
		return err
	}
	if applyErr != nil {
		return applyErr
	}
	ok := !finding.AnyFatal(rep.Findings)
	if c.Bool("check") && rep.Blocked() {
		ok = false
	}
	return verdict(ok, rep.Findings)
}

// limitsFromConfig takes the GC keys of --config's [replication] section,
// as the server reads them over its code defaults.
func limitsFromConfig(c *cli.Context, l *gc.Limits) error {
	conf, err := readConfig(c)
	if conf == nil {
		return err
	}
	cfg := conf.File
	get := func(key string, set func(int64)) error {
		v, ok := conf.Get("replication", key)
		if !ok || strings.TrimSpace(v.Value) == "" {
			return nil
		}
		n, err := strconv.ParseInt(strings.TrimSpace(v.Value), 10, 64)
		if err != nil || n < 0 {
			return fmt.Errorf("--config: %s:%d: [replication] %s = %q: want a number >= 0", cfg, v.Line, key, v.Value)
		}
		set(n)
		return nil
	}
	for _, k := range []struct {
		key string
		set func(int64)
	}{
		{"log_private_reserve_max_size_mb", func(n int64) { l.LogPrivateReserveMaxSizeMB = n }},
		{"log_private_reserve_max_time_seconds", func(n int64) { l.LogPrivateReserveMaxTimeSeconds = n }},
		{"log_shared_file_count_limit", func(n int64) { l.LogSharedFileCountLimit = int(n) }},
		{"log_shared_gc_flush_replicas_limit", func(n int64) { l.LogSharedGCFlushReplicasLimit = int(n) }},
	} {
		if err := get(k.key, k.set); err != nil {
			return err
		}
	}
	return nil
}

// readConfig parses --config with --cargs; nil without --config.
func readConfig(c *cli.Context) (*serverconfig.Config, error) {
	cfg := c.String("config")
	if cfg == "" {
		return nil, nil
	}
	b, err := vfs.ReadFile(readOnlyFS, cfg, 16<<20)
	if err != nil {
		return nil, fmt.Errorf("--config: %w", err)
	}
	conf, err := serverconfig.Parse(cfg, b, c.String("cargs"))
	if err != nil {
		return nil, fmt.Errorf("--config: %w", err)
	}
	return conf, nil
}

// serverAddress is the replica server's address for the flush command:
// --server-address IP[:PORT], the port from --config when left out. The
// IP is not on disk (the server takes its primary interface's), so
// without the flag it is a placeholder, with the config's port if known.
func serverAddress(c *cli.Context) (string, error) {
	s := c.String("server-address")
	host, port, err := parseAddress(s)
	if err != nil {
		return "", clikit.Usagef(c, "--server-address %q: %v", s, err)
	}
	conf, err := readConfig(c)
	if err != nil {
		return "", err
	}
	if port == "" && conf != nil {
		if p, _, err := conf.ReplicaPort(); err == nil {
			port = strconv.Itoa(p)
		} else if host != "" {
			return "", clikit.Usagef(c, "--server-address %s has no port, and --config gives none: %v", s, err)
		}
	}
	switch {
	case host == "" && port == "":
		return "", nil
	case host == "":
		return "<replica_server_ip>:" + port, nil
	case port == "":
		return "", clikit.Usagef(c, "--server-address %s has no port (and no --config gives one): give IP:PORT, as 10.0.0.5:34801", s)
	}
	return host + ":" + port, nil
}

// parseAddress splits IP[:PORT] as the 2.3-2.5 shell's remote_command -l
// reads a node (rpc_address::from_string_ipv4): an IPv4 address or
// localhost (no other host name), and a port up to 65535.
func parseAddress(s string) (host, port string, err error) {
	if s == "" {
		return "", "", nil
	}
	host = s
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		host, port = s[:i], s[i+1:]
		if n, err := strconv.ParseUint(port, 10, 16); err != nil || n > 65535 {
			return "", "", fmt.Errorf("the port must be a number from 0 to 65535")
		}
	}
	if a, err := netip.ParseAddr(host); host != "localhost" && (err != nil || !a.Is4()) {
		return "", "", fmt.Errorf("want an IPv4 address, as 10.0.0.5:34801: the Pegasus shell's remote_command -l takes no host name")
	}
	return host, port, nil
}

func printGC(w io.Writer, rep *gc.Report) {
	if rep.ServerDirs != nil {
		printDirs(w, *rep.ServerDirs)
	}
	rule := "slog rule " + string(rep.Rule)
	if rep.Rule == "" {
		rule = "no slog GC (2.6)"
	}
	fmt.Fprintf(w, "GC dry run, Pegasus %s, %s, logs: %s (nothing is written)\n", rep.ServerVersion, rule, rep.Logs)
	for _, f := range rep.Files {
		who := f.Log
		if f.Gpid != nil {
			who += " " + f.Gpid.String()
		}
		fmt.Fprintf(w, "%-6s %s (%s, %s): %s\n", strings.ToUpper(string(f.Verdict)), f.Path, who, iec.Bytes(f.Size), f.Reason)
		for _, b := range f.BlockedBy {
			fmt.Fprintf(w, "         blocked by %s: needs decree %d, durable decree %d", b.Gpid, b.NeedsDecree, b.DurableDecree)
			if b.PlogMaxCommit != nil {
				fmt.Fprintf(w, ", plog max_commit_on_disk %d", *b.PlogMaxCommit)
			}
			if b.ConfirmedDecree != nil {
				fmt.Fprintf(w, ", duplication confirmed %d", *b.ConfirmedDecree)
			}
			fmt.Fprintln(w)
		}
	}
	if len(rep.Blockers) > 0 {
		fmt.Fprintln(w, "blockers:")
	}
	for _, b := range rep.Blockers {
		fmt.Fprintf(w, "  %s (%s): %s\n", b.Gpid, b.Log, b.Message)
		for _, r := range b.Release {
			fmt.Fprintf(w, "    release: %s\n", r)
		}
		if b.EmergencyCheckpoint {
			fmt.Fprintln(w, "    the server triggers this checkpoint by itself in its next slog GC round")
		}
	}
	if cmd := rep.FlushCommand(); cmd != "" {
		printFlushCommand(w, cmd)
	}
	if len(rep.Checkpoints) > 0 {
		fmt.Fprintf(w, "emergency checkpoints the server triggers: %s (%s)\n", gpidList(rep.Checkpoints), rep.CheckpointsWhy)
	}
	for _, f := range rep.Findings {
		printFinding(w, f)
	}
	for _, n := range rep.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	fmt.Fprintf(w, "reclaimable: %s, %s\n", iec.Plural(int64(rep.ReclaimableFiles), "file"), iec.Bytes(rep.ReclaimableBytes))
	for _, d := range rep.Disks {
		fmt.Fprintf(w, "  disk %s: %s, %s\n", d.Disk, iec.Plural(int64(d.Files), "file"), iec.Bytes(d.Bytes))
	}
	if rep.Logs != gc.LogPlog && rep.Rule != "" {
		if rep.SlogEmpties {
			fmt.Fprintf(w, "the slog empties under rule %s\n", rep.Rule)
		} else {
			fmt.Fprintf(w, "the slog does NOT empty under rule %s\n", rep.Rule)
		}
	}
}

// printFlushCommand prints the one shell command that flushes every
// replica a flush releases, and what to fill in when the address is not
// known.
func printFlushCommand(w io.Writer, cmd string) {
	fmt.Fprintln(w, "flush them on the running server, in the Pegasus shell (one command for every replica above; it releases those whose durable decree is short):")
	fmt.Fprintf(w, "  %s\n", cmd)
	if strings.Contains(cmd, "<replica_server_ip") {
		fmt.Fprintln(w, "  (<replica_server_ip...> is the server's address, not on disk: --server-address IP:PORT fills it in)")
	}
}

func gpidList(gs []gpid.Gpid) string {
	s := make([]string, len(gs))
	for i, g := range gs {
		s[i] = g.String()
	}
	return strings.Join(s, ", ")
}
