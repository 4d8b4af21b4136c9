package main

import (
	"fmt"
	"os"

	"github.com/urfave/cli/v2"
	"github.com/waltool/waltool/dataroot"
	"github.com/waltool/waltool/finding"
	"github.com/waltool/waltool/openfiles"
	"github.com/waltool/waltool/rootlock"
	"github.com/waltool/waltool/verify"
)

// The guards every command that writes to a data root passes first
// (gc --apply, migrate): the root's lock, no process holding the root
// open, and nothing Pegasus would refuse.

// takeRoot takes the root's lock (gc --apply takes the same one) and
// refuses when a process has files of the root open (a running server).
func takeRoot(c *cli.Context, t *dataroot.Target, command string) (*rootlock.Lock, error) {
	r := t.Root
	lock, err := rootlock.Acquire(r.Path, command)
	if err != nil {
		return nil, err
	}
	if lock.Stale != nil {
		fmt.Fprintf(c.App.ErrWriter, "waltool: took over a stale lock file left by %s\n", lock.Stale)
	}
	roots := []string{r.Path, r.SlogDir}
	for _, d := range r.DataDirs {
		roots = append(roots, d.Path)
	}
	use, err := openfiles.Scan(openfiles.Proc, roots, os.Getpid())
	if err == nil {
		err = use.Err()
	}
	if err != nil {
		lock.Release()
		return nil, fmt.Errorf("%w; stop the server first", err)
	}
	for _, u := range use.Uninspected {
		fmt.Fprintf(c.App.ErrWriter, "waltool: warning: could not inspect %v: run as the server's user or root to be sure no server has the root open\n", u)
	}
	return lock, nil
}

// refusingFindings are the findings of verify that make Pegasus refuse
// something in the root.
func refusingFindings(t *dataroot.Target) ([]finding.Finding, error) {
	vr, err := verify.Target(t, verify.Options{FS: readOnlyFS})
	if err != nil {
		return nil, err
	}
	return finding.Fatals(vr.All()), nil
}
