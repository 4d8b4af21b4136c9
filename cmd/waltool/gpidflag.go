package main

import (
	"errors"

	"github.com/waltool/waltool/gpid"
)

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
