package openfiles

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// fakeProc builds a proc tree: each pid gets a comm, and links named
// "fd/N", "cwd", ... pointing where the map says.
func fakeProc(t *testing.T, procs map[int]map[string]string) string {
	t.Helper()
	proc := t.TempDir()
	for pid, files := range procs {
		dir := filepath.Join(proc, strconv.Itoa(pid))
		os.MkdirAll(filepath.Join(dir, "fd"), 0o755)
		for name, v := range files {
			p := filepath.Join(dir, name)
			switch name {
			case "comm", "maps":
				os.WriteFile(p, []byte(v), 0o644)
			default:
				if err := os.Symlink(v, p); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	os.Symlink("100", filepath.Join(proc, "self"))
	return proc
}

// Fds, cwd and mapped files under the root are found, by pid and command;
// paths elsewhere, a prefix that is not a parent (root2), the ignored pid
// and non-pid entries are not; the root is matched through its symlink.
func TestScanFakeProc(t *testing.T) {
	real := t.TempDir()
	link := filepath.Join(t.TempDir(), "data")
	os.Symlink(real, link)
	proc := fakeProc(t, map[int]map[string]string{
		100: {"comm": "pegasus_server\n", "fd/3": real + "/slog/log.1.0", "fd/4": "/dev/null",
			"fd/5": real + "/plog/log.2.0 (deleted)", "cwd": "/"},
		200: {"comm": "bash\n", "cwd": real + "/reps/1.0.pegasus"},
		300: {"comm": "cat\n", "fd/0": real + "2/other", "maps": "7f00-7f01 r--s 00000000 08:01 1234  " + real + "/slog/log 3.0\n" +
			"7f02-7f03 r-xp 00000000 08:01 99 /usr/lib/libc.so.6\n7f04-7f05 rw-p 00000000 00:00 0 \n"},
		400: {"comm": "waltool\n", "fd/3": real + "/.waltool.lock"},
		500: {"comm": "idle\n", "cwd": "/tmp"},
	})
	res, err := Scan(proc, []string{link}, 400)
	if err != nil {
		t.Fatal(err)
	}
	want := []Use{
		{100, "pegasus_server", real + "/slog/log.1.0", "fd 3"},
		{100, "pegasus_server", real + "/plog/log.2.0", "fd 5"},
		{200, "bash", real + "/reps/1.0.pegasus", "cwd"},
		{300, "cat", real + "/slog/log 3.0", "mmap"},
	}
	if len(res.Uses) != len(want) {
		t.Fatalf("uses %+v", res.Uses)
	}
	for i := range want {
		if res.Uses[i] != want[i] {
			t.Fatalf("use %d: %+v, want %+v", i, res.Uses[i], want[i])
		}
	}
	err = res.Err()
	if !errors.Is(err, ErrInUse) || !strings.Contains(err.Error(), "pid 100 (pegasus_server) has "+real+"/slog/log.1.0 open (fd 3) and 1 more") ||
		!strings.Contains(err.Error(), "pid 200 (bash)") {
		t.Fatalf("err %v", err)
	}
	if res, _ := Scan(proc, []string{filepath.Join(t.TempDir(), "elsewhere")}); res.Err() != nil || len(res.Uses) != 0 {
		t.Fatalf("unrelated root: %+v", res)
	}
}

// A process whose fds cannot be read is listed as uninspected, not
// silently passed.
func TestScanUninspected(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads every mode")
	}
	proc := fakeProc(t, map[int]map[string]string{700: {"comm": "pegasus_server\n"}})
	fd := filepath.Join(proc, "700", "fd")
	os.Chmod(fd, 0)
	t.Cleanup(func() { os.Chmod(fd, 0o755) })
	res, err := Scan(proc, []string{t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Uninspected) != 1 || res.Uninspected[0].PID != 700 || res.Uninspected[0].Command != "pegasus_server" {
		t.Fatalf("%+v", res)
	}
}

// Through the real /proc: this test process holding a file open under a
// temp root is found (and not when it ignores itself).
func TestScanRealProcFindsThisProcess(t *testing.T) {
	root := t.TempDir()
	p := filepath.Join(root, "slog", "log.1.0")
	os.MkdirAll(filepath.Dir(p), 0o755)
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := Scan(Proc, []string{root})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, u := range res.Uses {
		if u.PID == os.Getpid() && u.Path == p && u.Via == "fd "+strconv.Itoa(int(f.Fd())) {
			found = true
		}
	}
	if !found || res.Err() == nil {
		t.Fatalf("this process's open %s not found: %+v", p, res.Uses)
	}
	res, err = Scan(Proc, []string{root}, os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range res.Uses {
		if u.PID == os.Getpid() {
			t.Fatalf("ignored pid reported: %+v", u)
		}
	}
}
