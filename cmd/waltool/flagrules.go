package main

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/waltool/waltool/gc"
	"github.com/waltool/waltool/pegasus"
)

// flagRule refuses a combination of flags (exit 2, before anything is read
// or written): one that contradicts itself, or a flag that would be
// silently ignored. An operator who typed `gc --check --apply` meant one
// of the two; doing either would surprise them.
type flagRule struct {
	flags   []string // the rule applies to a command that has all of these
	refused func(c *cli.Context) bool
	msg     string
}

// needs refuses flag given without other (a bool other must be true).
func needs(flag, other string) flagRule {
	return flagRule{[]string{flag, other}, func(c *cli.Context) bool { return given(c, flag) && !given(c, other) },
		fmt.Sprintf("%s only means something with %s", dashed(flag), dashed(other))}
}

// excludes refuses a and b given together.
func excludes(a, b, why string) flagRule {
	return flagRule{[]string{a, b}, func(c *cli.Context) bool { return given(c, a) && given(c, b) },
		fmt.Sprintf("%s and %s contradict each other: %s", dashed(a), dashed(b), why)}
}

// commonRules hold in every command that has their flags.
var commonRules = []flagRule{
	needs("trash", "apply"),
	needs("force", "apply"),
	needs("cargs", "config"),
	excludes("no-slog", "slog-dir", "--no-slog says this server has no slog, --slog-dir says where it is"),
}

// commandRules hold in one command, named as in its help ("gc", "migrate
// downgrade").
var commandRules = map[string][]flagRule{
	"gc": {
		excludes("check", "apply", "--check only asks whether anything is held back, --apply deletes; run --check, then --apply"),
		{[]string{"rule", "log"}, func(c *cli.Context) bool { return c.IsSet("rule") && c.String("log") == string(gc.LogPlog) },
			"--rule picks the slog's GC rule, and --log plog collects no slog"},
		{[]string{"rule", "server-version"}, func(c *cli.Context) bool { return c.IsSet("rule") && serverVersion(c) == pegasus.V26 },
			"--rule picks a slog GC rule, and Pegasus 2.6 (--server-version) runs none"},
		plogOnly("dup-confirmed"), plogOnly("now"), plogOnly("log-private-reserve-max-size-mb"), plogOnly("log-private-reserve-max-time-seconds"),
		slogRuleOnly("log-shared-file-count-limit", gc.Rule24), slogRuleOnly("log-shared-gc-flush-replicas-limit", gc.Rule25),
	},
	"replay": {needs("detailed", "emit")},
	"migrate upgrade": {
		{[]string{"no-slog"}, func(c *cli.Context) bool { return given(c, "no-slog") },
			"--no-slog says this server has no slog, and an upgrade folds the slog into the plogs: there is nothing to fold"},
	},
	"migrate downgrade": {
		excludes("restore-slog-archive", "slog-archive", "--restore-slog-archive brings back the upgrade's own archive (its journal says where), --slog-archive says where leftover slog files go"),
	},
	"bench write": {
		benchModeOnly("etcd-bin", "etcd-wal"),
		benchModeOnly("flush", "plog-parallel", "raw-rounds"), benchModeOnly("parallelism", "plog-parallel", "raw-rounds"),
		benchModeOnly("start-writeback", "plog-parallel", "raw-rounds"), benchModeOnly("preallocate", "plog-parallel", "raw-rounds"),
	},
}

// plogOnly refuses a gc flag that only the plog GC reads, with --log slog.
func plogOnly(flag string) flagRule {
	return flagRule{[]string{flag, "log"}, func(c *cli.Context) bool { return c.IsSet(flag) && c.String("log") == string(gc.LogSlog) },
		fmt.Sprintf("%s only bears on the plog GC: add --log plog or --log all (the default is slog)", dashed(flag))}
}

// slogRuleOnly refuses a gc limit of one slog rule under the other rule,
// or with --log plog.
func slogRuleOnly(flag string, rule gc.Rule) flagRule {
	return flagRule{[]string{flag, "rule", "log"}, func(c *cli.Context) bool {
		return c.IsSet(flag) && (c.String("log") == string(gc.LogPlog) || slogRule(c) != rule)
	}, fmt.Sprintf("%s only bears on the slog GC rule %s (--rule, or the rule of --server-version; --log slog or all)", dashed(flag), rule)}
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
func benchModeOnly(flag string, modes ...string) flagRule {
	return flagRule{[]string{flag, "modes"}, func(c *cli.Context) bool {
		if !c.IsSet(flag) {
			return false
		}
		for _, m := range strings.Split(c.String("modes"), ",") {
			if slices.Contains(modes, strings.TrimSpace(m)) {
				return false
			}
		}
		return true
	}, fmt.Sprintf("%s only bears on the mode(s) %s, which --modes leaves out", dashed(flag), strings.Join(modes, ", "))}
}

// checkFlagRules is every command's Before: the first rule the command
// line breaks is a usage error.
func checkFlagRules(c *cli.Context) error {
	if err := checkFlagValues(c); err != nil {
		return err
	}
	name := strings.TrimPrefix(helpName(c), "waltool ")
	for _, r := range append(slices.Clone(commonRules), commandRules[name]...) {
		if hasFlags(c.Command, r.flags) && r.refused(c) {
			return usagef(c, "%s", asTyped(c, r.msg, r.flags))
		}
	}
	return nil
}

// asTyped writes the flags a message names as the operator typed them
// (-d, not --detailed).
func asTyped(c *cli.Context, msg string, flags []string) string {
	for _, f := range flags {
		named := regexp.MustCompile(regexp.QuoteMeta(dashed(f)) + `([^\w-]|$)`)
		msg = named.ReplaceAllString(msg, strings.ReplaceAll(typedFlag(c, f), "$", "$$")+"$1")
	}
	return msg
}

func hasFlags(cmd *cli.Command, names []string) bool {
	for _, n := range names {
		if !slices.ContainsFunc(cmd.Flags, func(f cli.Flag) bool { return slices.Contains(f.Names(), n) }) {
			return false
		}
	}
	return true
}

// given reports whether the flag was given, and for a bool flag given true
// (--apply=false is no --apply).
func given(c *cli.Context, name string) bool {
	if !c.IsSet(name) {
		return false
	}
	for _, f := range c.Command.Flags {
		if _, ok := f.(*cli.BoolFlag); ok && slices.Contains(f.Names(), name) {
			return c.Bool(name)
		}
	}
	return true
}

// dashed is a flag's name as typed: --name, or -d for a one-letter one.
func dashed(name string) string { return flagPrefix(name) + name }

// checkFlagValues refuses a flag given an empty value (`--trash "$TRASH"`
// with TRASH unset would otherwise delete for good) and a flag that takes
// one value given twice (the flag package keeps the last one silently).
func checkFlagValues(c *cli.Context) error {
	args, _ := c.App.Metadata[argsKey].([]string)
	for _, f := range c.Command.Flags {
		name := f.Names()[0]
		if !c.IsSet(name) {
			continue
		}
		if _, ok := f.(*cli.StringFlag); ok && strings.TrimSpace(c.String(name)) == "" {
			return usagef(c, "%s needs a value (it was given an empty one)", typedFlag(c, name))
		}
		if _, ok := f.(*cli.StringSliceFlag); !ok && timesGiven(args, f.Names()) > 1 {
			return usagef(c, "%s is given more than once: say it once (only --gpid, --dup-confirmed and the like repeat)", typedFlag(c, name))
		}
	}
	return nil
}

// timesGiven counts the flags of args named by names, up to "--".
func timesGiven(args, names []string) int {
	n := 0
	for _, a := range args {
		if a == "--" {
			break
		}
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if strings.HasPrefix(a, "-") && slices.Contains(names, name) {
			n++
		}
	}
	return n
}
