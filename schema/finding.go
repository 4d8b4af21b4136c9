package schema

import "github.com/waltool/waltool/finding"

// FindingOf is f in the contract's shape: the offset omitted when the
// finding is not about a byte position.
func FindingOf(f finding.Finding) Finding {
	d := Finding{Class: f.Class.String(), Path: f.Path, Message: f.Message}
	if f.Offset >= 0 {
		off := f.Offset
		d.Offset = &off
	}
	if f.Gpid != nil {
		d.Gpid = f.Gpid.String()
	}
	return d
}

// Findings converts fs, [] when empty.
func Findings(fs []finding.Finding) []Finding {
	out := make([]Finding, 0, len(fs))
	for _, f := range fs {
		out = append(out, FindingOf(f))
	}
	return out
}
