package main

import (
	"fmt"
	"io"

	"github.com/waltool/waltool/internal/iec"
	"github.com/waltool/waltool/migrate"
)

// printRebalance prints the rebalance of an upgrade plan: the data dirs
// before and after, and each move (gpid, from dir, to dir, bytes, rename
// or copy).
func printRebalance(w io.Writer, rb *migrate.Rebalance) {
	if rb == nil {
		return
	}
	if len(rb.Moves) == 0 {
		fmt.Fprintf(w, "rebalance: the %d data dirs are balanced, nothing moves\n", len(rb.DataDirs))
		return
	}
	fmt.Fprintf(w, "rebalance: move %s (%s, %s of it copied across filesystems)\n",
		iec.Plural(int64(len(rb.Moves)), "replica dir"), iec.Bytes(rb.MoveBytes), iec.Bytes(rb.CopyBytes))
	for _, d := range rb.DataDirs {
		fmt.Fprintf(w, "  %s: %d replicas %s -> %d replicas %s\n", d.Path, d.Before.Replicas, iec.Bytes(d.Before.Bytes), d.After.Replicas, iec.Bytes(d.After.Bytes))
	}
	for _, m := range rb.Moves {
		how := "rename"
		if m.Copy {
			how = "copy"
		}
		fmt.Fprintf(w, "  %-6s %s -> %s (%s, %s)\n", m.Gpid, m.From, m.To, iec.Bytes(m.Bytes), how)
	}
}
