package ops

import (
	"fmt"
	"io"
	"strings"

	"github.com/waltool/waltool/dataroot"
	"github.com/waltool/waltool/finding"
	"github.com/waltool/waltool/schema"
)

// Report is what a command reports: for people (WriteText) and as the
// machine contract's document (Doc).
type Report interface {
	Doc() schema.Document
	WriteText(w io.Writer) error
}

// writeFinding prints a finding on one line, as every command does.
func writeFinding(w io.Writer, f finding.Finding) {
	at := ""
	if f.Offset >= 0 {
		at = fmt.Sprintf(" at offset %d", f.Offset)
	}
	fmt.Fprintf(w, "  %s: %s%s: %s\n", strings.ToUpper(f.Class.String()), f.Path, at, f.Message)
}

// writeDirs prints the "dirs:" header of a data root: the slog dir and
// each data dir, where each came from, and the state of one not read.
func writeDirs(w io.Writer, src dataroot.Sources) {
	line := func(head string, d dataroot.DirSource) {
		tag := ""
		if d.Tag != "" {
			tag = d.Tag + ":"
		}
		fmt.Fprintf(w, "%s %s%s (%s", head, tag, d.Path, d.From)
		if d.Detail != "" {
			fmt.Fprintf(w, ": %s", d.Detail)
		}
		fmt.Fprint(w, ")")
		if d.State != "" {
			fmt.Fprintf(w, " %s", strings.ToUpper(d.State))
		}
		fmt.Fprintln(w)
	}
	head := "dirs:"
	if src.Root.Path != "" {
		line("dirs: root", src.Root)
		head = "     "
	}
	line(head+" slog", src.SlogDir)
	for _, d := range src.DataDirs {
		line("      data", d)
	}
	for _, d := range src.BlackListed {
		d.State = "not loaded"
		line("      data", d)
	}
}

// dirFindings prints, for a data root, the dirs header and the findings
// about the dirs themselves (a slog or data dir missing or unreadable) on
// w, and returns those findings: commands that read a root without
// reporting on it (dump) still say what they could not read.
func dirFindings(w io.Writer, t *dataroot.Target) []finding.Finding {
	if t.Root == nil || t.Root.Path == "" {
		return nil
	}
	writeDirs(w, t.Root.Sources)
	var fs []finding.Finding
	for _, f := range t.Root.Findings {
		if f.Gpid == nil && (f.Path == t.Root.SlogDir || isDataDir(t.Root, f.Path)) {
			writeFinding(w, f)
			fs = append(fs, f)
		}
	}
	return fs
}

func isDataDir(r *dataroot.Root, p string) bool {
	for _, d := range r.DataDirs {
		if d.Path == p {
			return true
		}
	}
	return false
}

// logBytes is the size of every log file of t: what a plan or a proof reads.
func logBytes(t *dataroot.Target) int64 {
	var n int64
	for _, f := range t.Files() {
		n += f.Size
	}
	return n
}
