package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/urfave/cli/v2"
)

// releaseVersion and releaseCommit are stamped into release builds by
// scripts/release.sh, with the linker:
//
//	go build -ldflags "-X main.releaseVersion=v0.4.0 -X main.releaseCommit=1a2b3c4d5e6f" ./cmd/waltool
//
// They must stay plain string variables without an initializer: -X sets
// nothing else, and says nothing when it sets nothing.
var (
	releaseVersion string
	releaseCommit  string
)

func init() {
	// One line: "waltool v0.4.0 (commit 1a2b3c4d5e6f, go1.26.8 linux/amd64)".
	cli.VersionPrinter = func(c *cli.Context) {
		fmt.Fprintf(c.App.Writer, "%s %s\n", c.App.Name, c.App.Version)
	}
}

// version is what --version prints after the name: the release version and
// commit stamped by the linker, else what the Go toolchain recorded
// (runtime/debug.ReadBuildInfo: the module version of a `go install
// ...@v0.4.0`, the VCS revision of a build in a git work tree), else
// "(devel)" and "commit unknown"; then the Go version and platform.
func version() string {
	bi, _ := debug.ReadBuildInfo()
	return formatVersion(releaseVersion, releaseCommit, bi)
}

// formatVersion is version with its inputs given (bi may be nil).
func formatVersion(release, commit string, bi *debug.BuildInfo) string {
	if commit == "" && bi != nil {
		var rev, dirty string
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					dirty = "-dirty"
				}
			}
		}
		if rev != "" {
			commit = shortRev(rev) + dirty
		}
	}
	if commit == "" {
		commit = "unknown"
	}
	return fmt.Sprintf("%s (commit %s, %s %s/%s)", versionName(release, bi), shortRev(commit), runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

// versionName is the release version stamped, else the module version the
// toolchain recorded, else "(devel)".
func versionName(release string, bi *debug.BuildInfo) string {
	if release != "" {
		return release
	}
	if bi != nil && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

// shortRev shortens a full git object name (40 or 64 hex digits) to the
// 12 digits git prints; anything else is printed as given.
func shortRev(s string) string {
	if len(s) != 40 && len(s) != 64 {
		return s
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return s
		}
	}
	return s[:12]
}
