package main

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"
)

// lastLine is what a bar shows now: the text after its last \r.
func lastLine(b *bytes.Buffer) string {
	s := b.String()
	return strings.TrimRight(s[strings.LastIndex(s, "\r")+1:], " ")
}

// A bar shows no rate until it has run long enough for one to mean
// something, then bytes in IEC units per second, or its noun per second.
func TestProgressRates(t *testing.T) {
	clock := time.Unix(1000, 0)
	now := func() time.Time { return clock }
	var out bytes.Buffer
	bar := newBar(&out, 4<<30, "verify", "", now)
	clock = clock.Add(200 * time.Millisecond)
	bar.Add64(400 << 20) // a burst from the page cache
	if l := lastLine(&out); strings.Contains(l, "/s") || !strings.Contains(l, "400.0 MiB/4.0 GiB") {
		t.Errorf("first line %q: a rate over 200 ms, or not IEC", l)
	}
	clock = clock.Add(1800 * time.Millisecond)
	bar.Add64(600 << 20)
	if l := lastLine(&out); !strings.Contains(l, "1000.0 MiB/4.0 GiB, 500.0 MiB/s, 6s left") {
		t.Errorf("after 2 s: %q", l)
	}
	if decimal := regexp.MustCompile(`\d [kMGT]B`); decimal.MatchString(out.String()) {
		t.Errorf("decimal units: %q", out.String())
	}
	bar.Finish()
	if l := lastLine(&out); l != "" {
		t.Errorf("not cleared: %q", l)
	}

	out.Reset()
	clock = time.Unix(1000, 0)
	gen := newBar(&out, 100000, "generate", "mutations", now)
	clock = clock.Add(4 * time.Second)
	gen.Set64(20000)
	if l := lastLine(&out); !strings.Contains(l, "20000/100000 mutations, 5000 mutations/s, 16s left") || strings.Contains(l, "B/s") {
		t.Errorf("a mutation count: %q", l)
	}
}
