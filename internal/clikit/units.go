package clikit

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ParseSize reads a byte count: a plain number of bytes, or a number with
// a binary (IEC) unit: 1K = 1KiB = 1024, M/MiB, G/GiB, T/TiB (B alone is
// bytes; the letter may be lower case). Decimal units (KB, MB, GB) are
// refused rather than guessed: say 64MiB or 64000000.
func ParseSize(s string) (int64, error) {
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

// SizeValue is a flag value parsed by ParseSize (a cli.Generic).
type SizeValue struct{ N int64 }

func (v *SizeValue) Set(s string) error {
	n, err := ParseSize(s)
	if err != nil {
		return err
	}
	v.N = n
	return nil
}

func (v *SizeValue) String() string {
	if v == nil {
		return ""
	}
	return FormatSize(v.N)
}

// FormatSize prints an exact byte count with the largest IEC unit that
// divides it (1048576 → 1MiB), for flag defaults.
func FormatSize(n int64) string {
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

// Get makes the value a flag.Getter (urfave/cli's Context.Value).
func (v *SizeValue) Get() any { return v.N }
