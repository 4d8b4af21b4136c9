package main

import (
	"fmt"

	"github.com/waltool/waltool/finding"
)

// verdict maps what a command found to its exit status (docs/commands.md):
// a finding of class error (waltool could not read something: permissions,
// I/O) is exit 2 whatever else was found, since the answer is incomplete;
// any other fatal finding, or ok false, is exit 1.
func verdict(ok bool, fss ...[]finding.Finding) error {
	for _, fs := range fss {
		for _, f := range fs {
			if f.Class == finding.Error {
				return fmt.Errorf("could not read everything, the answer is incomplete: %v", f)
			}
		}
	}
	if !ok {
		return findings("")
	}
	return nil
}
