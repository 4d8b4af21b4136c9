package main

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/waltool/waltool/gpid"
	"github.com/waltool/waltool/internal/iec"
)

// parseSize reads a byte count: a plain number of bytes, or a number with
// a binary (IEC) unit: 1K = 1KiB = 1024, M/MiB, G/GiB, T/TiB (B alone is
// bytes; the letter may be lower case). Decimal units (KB, MB, GB) are
// refused rather than guessed: say 64MiB or 64000000.
func parseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := strings.IndexFunc(t, func(r rune) bool { return r < '0' || r > '9' })
	if i < 0 {
		i = len(t)
	}
	num, unit := t[:i], strings.TrimSpace(t[i:])
	if num == "" {
		return 0, fmt.Errorf("size %q: want a number of bytes, optionally with K, M, G or T (binary: 1K = 1024)", s)
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("size %q: %w", s, err)
	}
	var shift uint
	switch strings.ToUpper(unit) {
	case "", "B":
	case "K", "KIB":
		shift = 10
	case "M", "MIB":
		shift = 20
	case "G", "GIB":
		shift = 30
	case "T", "TIB":
		shift = 40
	case "KB", "MB", "GB", "TB":
		return 0, fmt.Errorf("size %q: decimal units are ambiguous; use %s%ciB (binary) or a plain byte count", s, num, unit[0])
	default:
		return 0, fmt.Errorf("size %q: unknown unit %q (K, M, G, T, binary)", s, unit)
	}
	if n > math.MaxInt64>>shift {
		return 0, fmt.Errorf("size %q: too large", s)
	}
	return n << shift, nil
}

// sizeValue is a flag value parsed by parseSize (a cli.Generic).
type sizeValue struct{ n int64 }

func (v *sizeValue) Set(s string) error {
	n, err := parseSize(s)
	if err != nil {
		return err
	}
	v.n = n
	return nil
}

func (v *sizeValue) String() string {
	if v == nil {
		return ""
	}
	return formatSize(v.n)
}

// formatSize prints an exact byte count with the largest IEC unit that
// divides it (1048576 → 1MiB), for flag defaults.
func formatSize(n int64) string {
	for _, u := range []struct {
		shift uint
		name  string
	}{{40, "TiB"}, {30, "GiB"}, {20, "MiB"}, {10, "KiB"}} {
		if n != 0 && n%(1<<u.shift) == 0 {
			return strconv.FormatInt(n>>u.shift, 10) + u.name
		}
	}
	return strconv.FormatInt(n, 10)
}

// humanBytes prints a byte count for people, in IEC units (KiB, MiB, ...),
// as every human-readable output of waltool does.
func humanBytes(n int64) string { return iec.Bytes(n) }

// plural returns "1 file", "2 files": n and the noun, plural unless n is 1.
func plural(n int64, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	switch {
	case strings.HasSuffix(noun, "y") && !strings.HasSuffix(noun, "ey"):
		noun = noun[:len(noun)-1] + "ies"
	case strings.HasSuffix(noun, "s"):
		noun += "es"
	default:
		noun += "s"
	}
	return strconv.FormatInt(n, 10) + " " + noun
}

// parseGpid reads a gpid from the command line: <app_id>.<partition_index>
// with app_id >= 1 and partition_index >= 0, as Pegasus numbers them. The
// error says why in words, for a message that quotes the flag and value.
func parseGpid(s string) (gpid.Gpid, error) {
	g, err := gpid.Parse(s)
	var pe *gpid.ParseError
	if errors.As(err, &pe) {
		return g, errors.New(pe.Reason)
	}
	if err == nil && (g.App < 1 || g.Partition < 0) {
		err = errors.New("app ids start at 1 and partition indexes at 0")
	}
	return g, err
}
