package dataroot

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/waltool/waltool/vfs"
)

// TestParseDataDirsTagged mirrors replication_options::get_data_dir_and_tag
// (v2.5.0 replication_common.cpp) and utils::split_args.
func TestParseDataDirsTagged(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    []DataDir
		wantErr bool
	}{
		{in: "", want: nil},
		{in: " , ,\t", want: nil},
		{in: "ssd1:/home/work/ssd1/pegasus", want: []DataDir{{"ssd1", "/home/work/ssd1/pegasus/replica/reps"}}},
		{in: " ssd1 : /d1/ ,ssd2:/d2\n", want: []DataDir{{"ssd1", "/d1/replica/reps"}, {"ssd2", "/d2/replica/reps"}}},
		{in: "a:/d1,,b:/d2,", want: []DataDir{{"a", "/d1/replica/reps"}, {"b", "/d2/replica/reps"}}},
		{in: "a::/d1", want: []DataDir{{"a", "/d1/replica/reps"}}}, // split_args drops the empty piece
		{in: "a:", wantErr: true},
		{in: ":/d1", wantErr: true},
		{in: "a:/d1:x", wantErr: true},
		{in: "a:/d1,a:/d2", wantErr: true},
		{in: "a:/d1,b:/d1/", wantErr: true},
		{in: "a:/d1,/d2", wantErr: true},
	} {
		got, err := ParseDataDirs(vfs.OS, tc.in)
		if (err != nil) != tc.wantErr || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q: got %v, %v; want %v, err=%v", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}

// TestParseDataDirsPlain covers the resolution of untagged paths.
func TestParseDataDirsPlain(t *testing.T) {
	base := t.TempDir()
	mk := func(p string) string {
		t.Helper()
		p = filepath.Join(base, p)
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	reps := mk("a/reps")
	mk("a/reps/1.0.pegasus")
	errOnly := mk("b/reps")
	mk("b/reps/1.0.pegasus.1700000000.err")
	root := mk("c")
	nested := mk("c/replica/reps")
	empty := mk("d")
	missing := filepath.Join(base, "e")
	for _, tc := range []struct {
		name, in, want string
	}{
		{"holds replica dirs", reps, reps},
		{"holds only suffixed replica dirs", errOnly, errOnly},
		{"core data_dir or data_dirs path", root, nested},
		{"trailing slash", root + "/", nested},
		{"empty dir", empty, empty},
		{"missing", missing, missing},
	} {
		got, err := ParseDataDirs(vfs.OS, tc.in)
		if err != nil || len(got) != 1 || got[0] != (DataDir{Path: tc.want}) {
			t.Errorf("%s: got %v, %v; want path %s", tc.name, got, err, tc.want)
		}
	}
	if _, err := ParseDataDirs(vfs.OS, root+","+nested); err == nil {
		t.Error("two spellings of one reps dir accepted")
	}
	got, err := ParseDataDirs(vfs.OS, reps+" , "+root)
	if want := []DataDir{{Path: reps}, {Path: nested}}; err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("list: got %v, %v; want %v", got, err, want)
	}
}
