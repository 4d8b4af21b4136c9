package verify

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/waltool/waltool/finding"
	"github.com/waltool/waltool/format"
	"github.com/waltool/waltool/gpid"
)

func verifyDir(t *testing.T, dir string) *DirReport {
	t.Helper()
	done := make(chan struct{})
	var reps []*DirReport
	var err error
	go func() {
		defer close(done)
		reps, err = LogDirs([]DirSpec{{Path: dir, Kind: Plog}}, Options{})
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("verify blocked")
	}
	if err != nil {
		t.Fatal(err)
	}
	return reps[0]
}

// Issue 9: a FIFO named like a log blocked verify in open(2); a directory,
// a dangling symlink or a symlink to /dev/zero named like a log were "not
// a log file name" or an "empty file" torn tail. Each is now "not a regular
// file", never opened, classed as Pegasus's get_subfiles treats it.
func TestEntriesThatAreNotRegularFiles(t *testing.T) {
	dir := writeFiles(t, twoFiles(t, 0, -1))
	fifo := filepath.Join(dir, "log.7.0")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.Mkdir(filepath.Join(dir, "log.8.0"), 0o755))
	must(os.Symlink("/nonexistent/log", filepath.Join(dir, "log.9.0")))
	must(os.Symlink("/dev/zero", filepath.Join(dir, "log.10.0")))
	must(os.Symlink(fifo, filepath.Join(dir, "log.11.0")))
	r := verifyDir(t, dir)
	want := map[string]finding.Class{
		"log.7.0": finding.Corrupt, "log.8.0": finding.Warning, "log.9.0": finding.Warning,
		"log.10.0": finding.Corrupt, "log.11.0": finding.Corrupt,
	}
	for _, f := range r.Findings {
		name := filepath.Base(f.Path)
		c, ok := want[name]
		if !ok {
			continue
		}
		if f.Class != c || !strings.Contains(f.Message, "not a regular file") {
			t.Errorf("%s: %v, want %v \"not a regular file\"", name, f, c)
		}
		delete(want, name)
	}
	if len(want) != 0 {
		t.Errorf("no finding for %v: %v", want, r.Findings)
	}
	if len(r.Files) != 2 {
		t.Errorf("files %d, want the 2 regular ones", len(r.Files))
	}
}

// Issue 9: two valid files sharing index 2 abort Pegasus's
// mutation_log::open (CHECK "invalid log_index"); verify said so and then
// added a false "log file with index 3 is missing".
func TestDuplicateIndexHasNoChainFinding(t *testing.T) {
	files := twoFiles(t, 0, -1)
	g := gpid.Gpid{App: 1, Partition: 4}
	other := t.TempDir()
	w := format.NewLogWriter(other, 1, 1<<20, []format.ReplicaLogInfo{{Gpid: g}}, format.WriterOptions{})
	m := &format.Mutation{Gpid: g, Ballot: 1, Decree: 9, LastCommittedDecree: 8, Updates: []format.Update{{Code: "RPC_REPLICATION_WRITE_EMPTY"}}}
	if err := w.Append(m); err != nil {
		t.Fatal(err)
	}
	w.Close()
	b, err := os.ReadFile(filepath.Join(other, format.FileName(2, 1<<20)))
	if err != nil {
		t.Fatal(err)
	}
	files[format.FileName(2, 1<<20)] = b
	r := verifyDir(t, writeFiles(t, files))
	var dup bool
	for _, f := range r.Findings {
		if strings.Contains(f.Message, "missing") || strings.Contains(f.Message, "starts at global offset") {
			t.Errorf("false chain finding: %v", f)
		}
		if strings.Contains(f.Message, "share index 2") && strings.Contains(f.Message, "invalid log_index") && f.Class == finding.Corrupt {
			dup = true
		}
	}
	if !dup || r.OK {
		t.Fatalf("want the duplicate-index abort: %v", r.Findings)
	}
}
