package main

import (
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/waltool/waltool/internal/clikit"
)

// The man page has a section for every command and subcommand the help
// lists, naming each of its flags, and the exit statuses.
func TestManPageNamesEveryCommandAndFlag(t *testing.T) {
	page, errs, code := waltool(t, "man")
	if code != 0 || errs != "" || !strings.HasPrefix(page, `.\"`) || !strings.Contains(page, "\n.TH WALTOOL 1 ") {
		t.Fatalf("exit %d, stderr %q\n%.300s", code, errs, page)
	}
	// The sections of the commands, up to the next one: ".SS "waltool
	// migrate \fIcommand\fR"", ".SS "waltool migrate upgrade [options] [ROOT]"".
	sections := map[string]string{}
	for _, s := range strings.Split(page, "\n.SS ")[1:] {
		head, body, _ := strings.Cut(s, "\n")
		name := strings.Fields(strings.Trim(head, `"`))
		var path []string
		for _, w := range name[1:] {
			if strings.ContainsAny(w, `[\`) || w != strings.ToLower(w) {
				break
			}
			path = append(path, w)
		}
		sections[strings.Join(path, " ")] = body
	}
	var walk func(prefix string, cmds []*cli.Command)
	n := 0
	walk = func(prefix string, cmds []*cli.Command) {
		for _, c := range cmds {
			if c.Hidden {
				if _, ok := sections[prefix+c.Name]; ok {
					t.Errorf("hidden command %q in the man page", prefix+c.Name)
				}
				continue
			}
			n++
			body, ok := sections[prefix+c.Name]
			if !ok {
				t.Errorf("no section for %q", prefix+c.Name)
				continue
			}
			for _, f := range c.Flags {
				for _, name := range f.Names() {
					if !strings.Contains(body, `\fB`+clikit.RoffEscape(clikit.FlagPrefix(name)+name)+`\fR`) {
						t.Errorf("%s: flag %s missing", prefix+c.Name, name)
					}
				}
			}
			walk(prefix+c.Name+" ", c.Subcommands)
		}
	}
	walk("", newApp(nil, nil).Commands)
	if n < 20 || len(sections) != n {
		t.Errorf("%d commands, %d sections: %q", n, len(sections), keys(sections))
	}
	for _, want := range []string{"\n.SH EXIT STATUS\n", "docs/runbook\\-upgrade.md", "\\fB\\-\\-version\\fR"} {
		if !strings.Contains(page, want) {
			t.Errorf("man page lacks %q", want)
		}
	}
	for _, s := range exitStatuses {
		if !strings.Contains(page, "\n.B "+strconv.Itoa(s.Code)+"\n") {
			t.Errorf("exit status %d missing", s.Code)
		}
	}
	// groff, where installed, renders it without a warning.
	groff, err := exec.LookPath("groff")
	if err != nil {
		return
	}
	cmd := exec.Command(groff, "-man", "-Tutf8", "-ww", "-z")
	cmd.Stdin = strings.NewReader(page)
	if out, err := cmd.CombinedOutput(); err != nil || len(out) > 0 {
		t.Errorf("groff: %v\n%s", err, out)
	}
}

func keys(m map[string]string) []string {
	var k []string
	for s := range m {
		k = append(k, s)
	}
	return k
}

func TestRoffEscape(t *testing.T) {
	for in, want := range map[string]string{
		"--apply":               `\-\-apply`,
		".hidden":               `\&.hidden`,
		"'waltool help CMD'":    `\(aqwaltool help CMD\(aq`,
		`C:\dir`:                `C:\edir`,
		"Pegasus ≤ 2.3":         `Pegasus \[u2264] 2.3`,
		"time `waltool verify`": `time \(gawaltool verify\(ga`,
	} {
		if got := clikit.RoffEscape(in); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}
