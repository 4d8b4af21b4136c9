package main

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// scripts/release.sh parses, refuses what it should, and its dry run builds
// both arches static and stamped (the -X names are those
// TestVersionStampedByLinker checks), with the man page, the completions and
// SHA256SUMS. A real build cross-compiles twice, too slow for the suite: it
// is run by hand (docs/commands.md).
func TestReleaseScript(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	script, err := filepath.Abs("../../scripts/release.sh")
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bash, "-n", script).CombinedOutput(); err != nil {
		t.Fatalf("bash -n: %v\n%s", err, out)
	}
	release := func(args ...string) (string, string, int) {
		cmd := exec.Command(bash, append([]string{script}, args...)...)
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		if _, ok := err.(*exec.ExitError); err != nil && !ok {
			t.Fatal(err)
		}
		return stdout.String(), stderr.String(), cmd.ProcessState.ExitCode()
	}
	for _, args := range [][]string{{}, {"0.4.0"}, {"v0.4"}, {"--arch", "386", "v0.4.0"}, {"--nope", "v0.4.0"}, {"v0.4.0", "v0.5.0"}} {
		if out, errs, code := release(append([]string{"--dry-run"}, args...)...); code != 2 || out != "" {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, code, out, errs)
		}
	}
	if err := exec.Command("git", "-C", filepath.Dir(script), "rev-parse", "HEAD").Run(); err != nil {
		t.Skip("not in a git work tree")
	}
	out, errs, code := release("--dry-run", "--allow-dirty", "v1.2.3-rc.1")
	if code != 0 {
		t.Fatalf("--dry-run: exit %d\n%s\n%s", code, out, errs)
	}
	stamp := regexp.MustCompile(`-ldflags -s\\ -w\\ -X\\ main\.releaseVersion=v1\.2\.3-rc\.1\\ -X\\ main\.releaseCommit=[0-9a-f]{12}(-dirty)? `)
	for _, arch := range []string{"amd64", "arm64"} {
		dir := "dist/.stage/waltool-v1.2.3-rc.1-linux-" + arch
		build := ""
		for _, l := range strings.Split(out, "\n") {
			if strings.Contains(l, "go build") && strings.Contains(l, "GOARCH="+arch) {
				build = l
			}
		}
		if !strings.Contains(build, "CGO_ENABLED=0 GOOS=linux") || !strings.Contains(build, " -trimpath ") || !stamp.MatchString(build) || !strings.HasSuffix(build, "-o "+dir+"/waltool ./cmd/waltool ") {
			t.Errorf("%s: build %q", arch, build)
		}
		for _, want := range []string{
			" man > " + dir + "/waltool.1\n",
			" completion bash > " + dir + "/completion/waltool.bash\n",
			" completion zsh > " + dir + "/completion/_waltool\n",
			" completion fish > " + dir + "/completion/waltool.fish\n",
			"docs/runbook-upgrade.md", "> dist/waltool-v1.2.3-rc.1-linux-" + arch + ".tar.gz\n",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("%s: the dry run does not %q:\n%s", arch, want, out)
			}
		}
	}
	if !strings.Contains(out, "sha256sum waltool-v1.2.3-rc.1-linux-*.tar.gz > SHA256SUMS") {
		t.Errorf("no SHA256SUMS:\n%s", out)
	}
	// --arch builds one.
	out, _, code = release("--dry-run", "--allow-dirty", "--arch", "arm64", "v1.2.3")
	if code != 0 || strings.Contains(out, "GOARCH=amd64") || !strings.Contains(out, "GOARCH=arm64") {
		t.Errorf("--arch arm64: exit %d\n%s", code, out)
	}
}
