package clikit

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
)

// AtLeast is the Action of an int flag whose values below min mean
// nothing (--workers -3, --runs 0): a usage error naming flag and value.
func AtLeast[T int | int64](name string, min T) func(*cli.Context, T) error {
	return func(c *cli.Context, v T) error {
		if v < min {
			return Usagef(c, "%s %d: want at least %d", TypedFlag(c, name), v, min)
		}
		return nil
	}
}

// Positive is the Action of a duration flag that must be above zero.
func Positive(name string) func(*cli.Context, time.Duration) error {
	return func(c *cli.Context, d time.Duration) error {
		if d <= 0 {
			return Usagef(c, "%s %s: want a duration above zero, as 10s", TypedFlag(c, name), d)
		}
		return nil
	}
}

// SizeAtLeast is AtLeast for a size flag (a SizeValue).
func SizeAtLeast(name string, min int64) func(*cli.Context, any) error {
	return func(c *cli.Context, v any) error {
		if n := v.(*SizeValue).N; n < min {
			return Usagef(c, "%s %d: want at least %d", TypedFlag(c, name), n, min)
		}
		return nil
	}
}

// The flag package's errors (urfave/cli passes them on), which name a
// flag with one dash and end in Go's wording.
var (
	errUnknownFlag = regexp.MustCompile(`^flag provided but not defined: -(.+)$`)
	errNoValue     = regexp.MustCompile(`^flag needs an argument: -(.+)$`)
	errBadValue    = regexp.MustCompile(`^invalid value "(.*)" for flag -([^:]+): (.*)$`)
	errBadBool     = regexp.MustCompile(`^invalid boolean (?:value "(.*)" for|flag) -?([^:]+): (.*)$`)
	errBadSyntax   = regexp.MustCompile(`^bad flag syntax: (.*)$`)
)

// PlainUsage rewrites a flag parsing error of urfave/cli as a sentence
// naming the flag as the operator typed it: "--workers x: want a whole
// number" for `invalid value "x" for flag -workers: parse error`.
func PlainUsage(c *cli.Context, err error) string {
	msg := err.Error()
	if m := errUnknownFlag.FindStringSubmatch(msg); m != nil {
		s := "unknown flag " + TypedFlag(c, m[1])
		if near := nearestFlag(c, m[1]); near != "" {
			s += fmt.Sprintf(" (did you mean %s?)", near)
		}
		return s
	}
	if m := errNoValue.FindStringSubmatch(msg); m != nil {
		return TypedFlag(c, m[1]) + " needs a value"
	}
	if m := errBadBool.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("%s=%s: want true or false", TypedFlag(c, m[2]), m[1])
	}
	if m := errBadValue.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("%s %s: %s", TypedFlag(c, m[2]), m[1], WantValue(c, m[2], m[3]))
	}
	if m := errBadSyntax.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("%s is not a flag: flags are --name or --name=value", m[1])
	}
	return msg
}

// WantValue says what a flag takes, given why the flag package refused a
// value.
func WantValue(c *cli.Context, name, why string) string {
	switch LookupFlag(c, name).(type) {
	case *cli.IntFlag, *cli.Int64Flag, *cli.UintFlag, *cli.Uint64Flag:
		if strings.HasSuffix(why, "value out of range") {
			return "too large"
		}
		return "want a whole number"
	case *cli.DurationFlag:
		return "want a duration, as 10s or 1m30s"
	case *cli.GenericFlag:
		// A SizeValue's error starts by quoting the value again.
		if _, rest, ok := strings.Cut(why, ": "); ok && strings.HasPrefix(why, "size ") {
			return rest
		}
	}
	return why
}

func LookupFlag(c *cli.Context, name string) cli.Flag {
	for _, f := range commandFlags(c) {
		if slices.Contains(f.Names(), name) {
			return f
		}
	}
	return nil
}

// commandFlags are the flags of c's command (the app's at the top).
func commandFlags(c *cli.Context) []cli.Flag {
	if c.Command != nil && c.Command.Name != "" && c.Command.Name != c.App.Name {
		return c.Command.Flags
	}
	return append([]cli.Flag{cli.HelpFlag, cli.VersionFlag}, c.App.Flags...)
}

// nearestFlag is the command's flag closest to a mistyped name, if one is
// close: --detailled is --detailed.
func nearestFlag(c *cli.Context, name string) string {
	best, bestD := "", 3
	for _, f := range commandFlags(c) {
		for _, n := range f.Names() {
			if d := editDistance(n, name); len(n) > 1 && d < bestD {
				best, bestD = Dashed(n), d
			}
		}
	}
	return best
}

// TypedFlag is the flag as it was typed on the command line: -nope or
// --nope (the flag package takes both), -d for --detailed; --name when it
// is not found.
func TypedFlag(c *cli.Context, name string) string {
	names := []string{name}
	if f := LookupFlag(c, name); f != nil {
		names = f.Names()
	}
	args, _ := c.App.Metadata[ArgsKey].([]string)
	for _, a := range args {
		if a == "--" {
			break
		}
		n, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if slices.Contains(names, n) && strings.HasPrefix(a, "-") {
			return a[:len(a)-len(strings.TrimLeft(a, "-"))] + n
		}
	}
	return Dashed(name)
}

// ArgsKey holds the command line in the app's Metadata, for TypedFlag.
const ArgsKey = "args"
