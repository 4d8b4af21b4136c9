// Package iec prints byte counts and byte rates for people in binary (IEC)
// units, KiB, MiB, GiB, the one unit system of waltool's human output
// (its JSON keeps exact byte counts).
package iec

import (
	"fmt"
	"strconv"
	"strings"
)

// Bytes prints n as "387 B", "378.7 KiB", "1.5 GiB".
func Bytes(n int64) string {
	if n < 1024 && n > -1024 {
		return fmt.Sprintf("%d B", n)
	}
	return scaled(float64(n), "")
}

// Rate prints bytes per second as "412.3 MiB/s".
func Rate(perSecond float64) string {
	if perSecond < 1024 {
		return fmt.Sprintf("%.0f B/s", perSecond)
	}
	return scaled(perSecond, "/s")
}

func scaled(v float64, suffix string) string {
	exp, div := 0, 1024.0
	for a := abs(v) / 1024; a >= 1024 && exp < 5; a /= 1024 {
		div *= 1024
		exp++
	}
	return fmt.Sprintf("%.1f %ciB%s", v/div, "KMGTPE"[exp], suffix)
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}

// Plural returns "1 file", "2 files": n and the noun, plural unless n is 1.
func Plural(n int64, noun string) string {
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
