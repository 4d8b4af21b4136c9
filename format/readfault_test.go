package format

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/waltool/waltool/gpid"
	"github.com/waltool/waltool/vfs"
)

// A read that fails part-way (a bad sector) is an I/O error naming the
// file and the offset, never a finding about the log's contents: the
// bytes were not seen, so nothing can be said about what Pegasus would do.
func TestReadFaultIsAnIOErrorWithFileAndOffset(t *testing.T) {
	dir := t.TempDir()
	g := gpid.Gpid{App: 1, Partition: 2}
	w := NewLogWriter(dir, 0, 0, []ReplicaLogInfo{{Gpid: g}}, WriterOptions{})
	for d := int64(1); d <= 50; d++ {
		if err := w.Append(putMutation(g, 1, d, 100)); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	fsys := vfs.NewFaulty(vfs.OS)
	// A bad sector: every read from byte 1000 on fails.
	fsys.Inject(vfs.Fault{Op: vfs.OpRead, Short: 1000, Times: -1})
	d, err := OpenDir(fsys, dir)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ScanFile(fsys, d.Files[0], nil)
	if err == nil || !errors.Is(err, vfs.ErrInjected) {
		t.Fatalf("scan %+v, err %v: want the injected read error", s, err)
	}
	if _, located := AsError(err); located {
		t.Fatalf("a read error was classed as damage: %v", err)
	}
	if p := filepath.Join(dir, "log.1.0"); !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "offset 1000") {
		t.Fatalf("error %q does not name %s and offset 1000", err, p)
	}
}
