package dataroot

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/waltool/waltool/vfs"
)

// TestParseCheckpointName mirrors chkpt_init_from_dir (v2.4.0/v2.5.0
// pegasus_server_impl.cpp): sscanf "checkpoint.%" PRId64 and the name must
// equal chkpt_get_dir_name(decree).
func TestParseCheckpointName(t *testing.T) {
	for _, tc := range []struct {
		name string
		want int64
		ok   bool
	}{
		{"checkpoint.0", 0, true},
		{"checkpoint.12345", 12345, true},
		{"checkpoint.9223372036854775807", 9223372036854775807, true},
		{"checkpoint.-5", -5, true}, // "%" PRId64 prints the sign back
		{"checkpoint.9223372036854775808", 0, false},
		{"checkpoint.+5", 0, false},
		{"checkpoint.05", 0, false},
		{"checkpoint. 5", 0, false},
		{"checkpoint.5 ", 0, false},
		{"checkpoint.5.tmp", 0, false},
		{"checkpoint.", 0, false},
		{"checkpoint", 0, false},
		{"checkpoint.tmp.1700000000000000", 0, false},
		{"Checkpoint.5", 0, false},
		{"rdb", 0, false},
	} {
		got, ok := ParseCheckpointName(tc.name)
		if ok != tc.ok || got != tc.want {
			t.Errorf("%q: got %d, %v; want %d, %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
}

// TestListCheckpoints mirrors parse_checkpoints: sub-directories only
// (get_subdirectories), sorted decrees, largest is the durable decree, and
// names containing "checkpoint" anywhere are the ones Pegasus deletes.
func TestListCheckpoints(t *testing.T) {
	data := t.TempDir()
	for _, d := range []string{"rdb", "checkpoint.200", "checkpoint.15", "checkpoint.1000", "checkpoint.tmp.17",
		"checkpoint.007", "old_checkpoint", "learn", "real.100"} {
		if err := os.Mkdir(filepath.Join(data, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(data, "checkpoint.5000"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("real.100", filepath.Join(data, "checkpoint.100")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("nowhere", filepath.Join(data, "checkpoint.9000")); err != nil {
		t.Fatal(err)
	}
	got, err := ListCheckpoints(vfs.OS, data)
	if err != nil {
		t.Fatal(err)
	}
	want := Checkpoints{
		Decrees:   []int64{15, 100, 200, 1000},
		Leftovers: []string{"checkpoint.007", "checkpoint.tmp.17", "old_checkpoint"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	if got.Durable() != 1000 {
		t.Errorf("durable %d", got.Durable())
	}
	if (Checkpoints{}).Durable() != 0 {
		t.Error("no checkpoint must give durable decree 0")
	}
	if _, err := ListCheckpoints(vfs.OS, filepath.Join(data, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing dir: %v", err)
	}
}
