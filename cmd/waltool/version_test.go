package main

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

func TestFormatVersion(t *testing.T) {
	rev := "1a2b3c4d5e6f7a8b9c0d1a2b3c4d5e6f7a8b9c0d"
	vcs := func(modified string) *debug.BuildInfo {
		return &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: modified}, {Key: "vcs.time", Value: "2025-01-02T03:04:05Z"},
		}}
	}
	platform := ", " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH + ")"
	for _, tc := range []struct {
		name, release, commit string
		bi                    *debug.BuildInfo
		want                  string
	}{
		{"stamped", "v0.4.0", "1a2b3c4d5e6f", nil, "v0.4.0 (commit 1a2b3c4d5e6f"},
		{"stamped full commit", "v0.4.0", rev, vcs("true"), "v0.4.0 (commit 1a2b3c4d5e6f"},
		{"stamped dirty", "v0.4.0-rc.1", "1a2b3c4d5e6f-dirty", nil, "v0.4.0-rc.1 (commit 1a2b3c4d5e6f-dirty"},
		{"work tree", "", "", vcs("false"), "(devel) (commit 1a2b3c4d5e6f"},
		{"modified work tree", "", "", vcs("true"), "(devel) (commit 1a2b3c4d5e6f-dirty"},
		{"go install @version", "", "", &debug.BuildInfo{Main: debug.Module{Version: "v0.4.0"}}, "v0.4.0 (commit unknown"},
		{"no VCS stamping", "", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "(devel) (commit unknown"},
		{"no build info", "", "", nil, "(devel) (commit unknown"},
	} {
		if got := formatVersion(tc.release, tc.commit, tc.bi); got != tc.want+platform {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want+platform)
		}
	}
}

// What scripts/release.sh does: -ldflags -X stamps the version and commit
// into a binary built without VCS information, and --version prints them.
func TestVersionStampedByLinker(t *testing.T) {
	if testing.Short() {
		t.Skip("builds waltool")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	bin := filepath.Join(t.TempDir(), "waltool")
	build := exec.Command(gobin, "build", "-buildvcs=false", "-o", bin,
		"-ldflags", "-X main.releaseVersion=v9.8.7-test.1 -X main.releaseCommit=0123456789ab", ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "--version").Output()
	want := "waltool v9.8.7-test.1 (commit 0123456789ab, " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH + ")\n"
	if err != nil || string(out) != want {
		t.Errorf("--version: %v, %q; want %q", err, out, want)
	}
	// The man page names the release too.
	man, err := exec.Command(bin, "man").Output()
	if err != nil || !strings.Contains(string(man), `"waltool v9.8.7\-test.1"`) {
		t.Errorf("man: %v, %.200s", err, man)
	}
}
