package clikit

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"
)

// Rule refuses a combination of flags (exit 2, before anything is read
// or written): one that contradicts itself, or a flag that would be
// silently ignored. An operator who typed `gc --check --apply` meant one
// of the two; doing either would surprise them.
type Rule struct {
	Flags   []string // the rule applies to a command that has all of these
	Refused func(c *cli.Context) bool
	Msg     string
}

// Needs refuses flag given without other (a bool other must be true).
func Needs(flag, other string) Rule {
	return Rule{[]string{flag, other}, func(c *cli.Context) bool { return Given(c, flag) && !Given(c, other) },
		fmt.Sprintf("%s only means something with %s", Dashed(flag), Dashed(other))}
}

// Excludes refuses a and b given together.
func Excludes(a, b, why string) Rule {
	return Rule{[]string{a, b}, func(c *cli.Context) bool { return Given(c, a) && Given(c, b) },
		fmt.Sprintf("%s and %s contradict each other: %s", Dashed(a), Dashed(b), why)}
}

// CheckRules is a command's Before: a flag given an empty value or twice,
// then the first of common and of byCommand[the command's path without the
// program's name] the command line breaks, is a usage error.
func CheckRules(c *cli.Context, common []Rule, byCommand map[string][]Rule) error {
	if err := checkFlagValues(c); err != nil {
		return err
	}
	name := strings.TrimPrefix(strings.TrimPrefix(HelpName(c), c.App.Name), " ")
	for _, r := range append(slices.Clone(common), byCommand[name]...) {
		if hasFlags(c.Command, r.Flags) && r.Refused(c) {
			return Usagef(c, "%s", asTyped(c, r.Msg, r.Flags))
		}
	}
	return nil
}

// asTyped writes the flags a message names as the operator typed them
// (-d, not --detailed).
func asTyped(c *cli.Context, msg string, flags []string) string {
	for _, f := range flags {
		named := regexp.MustCompile(regexp.QuoteMeta(Dashed(f)) + `([^\w-]|$)`)
		msg = named.ReplaceAllString(msg, strings.ReplaceAll(TypedFlag(c, f), "$", "$$")+"$1")
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

// Given reports whether the flag was given, and for a bool flag given true
// (--apply=false is no --apply).
func Given(c *cli.Context, name string) bool {
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

// Dashed is a flag's name as typed: --name, or -d for a one-letter one.
func Dashed(name string) string { return FlagPrefix(name) + name }

// checkFlagValues refuses a flag given an empty value (`--trash "$TRASH"`
// with TRASH unset would otherwise delete for good) and a flag that takes
// one value given twice (the flag package keeps the last one silently).
func checkFlagValues(c *cli.Context) error {
	args, _ := c.App.Metadata[ArgsKey].([]string)
	for _, f := range c.Command.Flags {
		name := f.Names()[0]
		if !c.IsSet(name) {
			continue
		}
		if _, ok := f.(*cli.StringFlag); ok && strings.TrimSpace(c.String(name)) == "" {
			return Usagef(c, "%s needs a value (it was given an empty one)", TypedFlag(c, name))
		}
		if _, ok := f.(*cli.StringSliceFlag); !ok && timesGiven(args, f.Names()) > 1 {
			return Usagef(c, "%s is given more than once: say it once (only --gpid, --dup-confirmed and the like repeat)", TypedFlag(c, name))
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
