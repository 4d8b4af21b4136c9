package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/waltool/waltool/gc"
	"github.com/waltool/waltool/internal/clikit"
	"github.com/waltool/waltool/pegasus"
)

// commonRules hold in every command that has their flags.
var commonRules = []clikit.Rule{
	clikit.Needs("trash", "apply"),
	clikit.Needs("force", "apply"),
	clikit.Needs("cargs", "config"),
	clikit.Excludes("no-slog", "slog-dir", "--no-slog says this server has no slog, --slog-dir says where it is"),
}

// commandRules hold in one command, named as in its help ("gc", "migrate
// downgrade").
var commandRules = map[string][]clikit.Rule{
	"gc": {
		clikit.Excludes("check", "apply", "--check only asks whether anything is held back, --apply deletes; run --check, then --apply"),
		{Flags: []string{"rule", "log"}, Refused: func(c *cli.Context) bool { return c.IsSet("rule") && c.String("log") == string(gc.LogPlog) },
			Msg: "--rule picks the slog's GC rule, and --log plog collects no slog"},
		{Flags: []string{"rule", "server-version"}, Refused: func(c *cli.Context) bool { return c.IsSet("rule") && serverVersion(c) == pegasus.V26 },
			Msg: "--rule picks a slog GC rule, and Pegasus 2.6 (--server-version) runs none"},
		plogOnly("dup-confirmed"), plogOnly("now"), plogOnly("log-private-reserve-max-size-mb"), plogOnly("log-private-reserve-max-time-seconds"),
		slogRuleOnly("log-shared-file-count-limit", gc.Rule24), slogRuleOnly("log-shared-gc-flush-replicas-limit", gc.Rule25),
	},
	"replay": {clikit.Needs("detailed", "emit")},
	"migrate upgrade": {
		{Flags: []string{"no-slog"}, Refused: func(c *cli.Context) bool { return clikit.Given(c, "no-slog") },
			Msg: "--no-slog says this server has no slog, and an upgrade folds the slog into the plogs: there is nothing to fold"},
	},
	"migrate downgrade": {
		clikit.Excludes("restore-slog-archive", "slog-archive", "--restore-slog-archive brings back the upgrade's own archive (its journal says where), --slog-archive says where leftover slog files go"),
	},
	"bench write": {
		benchModeOnly("etcd-bin", "etcd-wal"),
		benchModeOnly("flush", "plog-parallel", "raw-rounds"), benchModeOnly("parallelism", "plog-parallel", "raw-rounds"),
		benchModeOnly("start-writeback", "plog-parallel", "raw-rounds"), benchModeOnly("preallocate", "plog-parallel", "raw-rounds"),
	},
}

// plogOnly refuses a gc flag that only the plog GC reads, with --log slog.
func plogOnly(flag string) clikit.Rule {
	return clikit.Rule{Flags: []string{flag, "log"}, Refused: func(c *cli.Context) bool { return c.IsSet(flag) && c.String("log") == string(gc.LogSlog) },
		Msg: fmt.Sprintf("%s only bears on the plog GC: add --log plog or --log all (the default is slog)", clikit.Dashed(flag))}
}

// slogRuleOnly refuses a gc limit of one slog rule under the other rule,
// or with --log plog.
func slogRuleOnly(flag string, rule gc.Rule) clikit.Rule {
	return clikit.Rule{Flags: []string{flag, "rule", "log"}, Refused: func(c *cli.Context) bool {
		return c.IsSet(flag) && (c.String("log") == string(gc.LogPlog) || slogRule(c) != rule)
	},
		Msg: fmt.Sprintf("%s only bears on the slog GC rule %s (--rule, or the rule of --server-version; --log slog or all)", clikit.Dashed(flag), rule)}
}

// slogRule is the slog GC rule gc runs: --rule, else the one of
// --server-version.
func slogRule(c *cli.Context) gc.Rule {
	if c.IsSet("rule") {
		return gc.Rule(c.String("rule"))
	}
	return gc.RuleFor(serverVersion(c))
}

// serverVersion is --server-version, or "" when it does not parse (the
// command reports that).
func serverVersion(c *cli.Context) pegasus.Version {
	v, err := pegasus.ParseVersion(c.String("server-version"))
	if err != nil {
		return ""
	}
	return v
}

// benchModeOnly refuses a bench write flag that none of --modes reads.
func benchModeOnly(flag string, modes ...string) clikit.Rule {
	return clikit.Rule{Flags: []string{flag, "modes"}, Refused: func(c *cli.Context) bool {
		if !c.IsSet(flag) {
			return false
		}
		for _, m := range strings.Split(c.String("modes"), ",") {
			if slices.Contains(modes, strings.TrimSpace(m)) {
				return false
			}
		}
		return true
	},
		Msg: fmt.Sprintf("%s only bears on the mode(s) %s, which --modes leaves out", clikit.Dashed(flag), strings.Join(modes, ", "))}
}

// checkFlagRules is every command's Before (clikit.CheckRules).
func checkFlagRules(c *cli.Context) error { return clikit.CheckRules(c, commonRules, commandRules) }
