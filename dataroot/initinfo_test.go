package dataroot

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/waltool/waltool/vfs"
)

// TestEncodeInitInfo: json_forwarder<replica_init_info>::encode with
// rapidjson's compact Writer, members in DEFINE_JSON_SERIALIZATION order.
func TestEncodeInitInfo(t *testing.T) {
	for _, tc := range []struct {
		in   InitInfo
		want string
	}{
		{InitInfo{InitBallot: 3}, `{"init_ballot":3,"init_durable_decree":0,"init_offset_in_shared_log":0,"init_offset_in_private_log":0}`},
		{InitInfo{7, 1234, 987654321, -1}, `{"init_ballot":7,"init_durable_decree":1234,"init_offset_in_shared_log":987654321,"init_offset_in_private_log":-1}`},
		{InitInfo{-9223372036854775808, 9223372036854775807, 0, 0}, `{"init_ballot":-9223372036854775808,"init_durable_decree":9223372036854775807,"init_offset_in_shared_log":0,"init_offset_in_private_log":0}`},
	} {
		if got := string(EncodeInitInfo(tc.in)); got != tc.want {
			t.Errorf("got  %s\nwant %s", got, tc.want)
		}
		if back, err := DecodeInitInfo([]byte(tc.want)); err != nil || back != tc.in {
			t.Errorf("decode %s: %+v, %v", tc.want, back, err)
		}
	}
}

// TestDecodeInitInfo mirrors JSON_DECODE_ENTRIES (json_helper.h): members
// must be IsInt64; absent ones are tolerated only without unknown ones.
func TestDecodeInitInfo(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want InitInfo
		ok   bool
	}{
		{"pretty printed", "{\n  \"init_ballot\": 5,\n  \"init_durable_decree\": 6,\n  \"init_offset_in_shared_log\": 7,\n  \"init_offset_in_private_log\": 8\n}\n", InitInfo{5, 6, 7, 8}, true},
		{"other order", `{"init_offset_in_private_log":8,"init_ballot":5,"init_offset_in_shared_log":7,"init_durable_decree":6}`, InitInfo{5, 6, 7, 8}, true},
		{"all four plus unknown", `{"init_ballot":5,"init_durable_decree":6,"init_offset_in_shared_log":7,"init_offset_in_private_log":8,"x":1}`, InitInfo{5, 6, 7, 8}, true},
		{"missing one, nothing unknown", `{"init_ballot":5,"init_durable_decree":6,"init_offset_in_private_log":8}`, InitInfo{5, 6, 0, 8}, true},
		{"empty object", `{}`, InitInfo{}, true},
		{"missing one plus unknown", `{"init_ballot":5,"init_durable_decree":6,"init_offset_in_private_log":8,"x":1}`, InitInfo{}, false},
		{"repeated key counts as a member", `{"init_ballot":5,"init_ballot":6}`, InitInfo{}, false},
		{"float", `{"init_ballot":1.0}`, InitInfo{}, false},
		{"exponent", `{"init_ballot":1e3}`, InitInfo{}, false},
		{"string", `{"init_ballot":"1"}`, InitInfo{}, false},
		{"overflow", `{"init_ballot":9223372036854775808}`, InitInfo{}, false},
		{"array", `[1,2,3,4]`, InitInfo{}, false},
		{"trailing data", `{"init_ballot":1}x`, InitInfo{}, false},
		{"truncated", `{"init_ballot":1,"init_dur`, InitInfo{}, false},
		{"empty file", ``, InitInfo{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DecodeInitInfo([]byte(tc.in))
			if tc.ok != (err == nil) {
				t.Fatalf("err = %v, want ok=%v", err, tc.ok)
			}
			if !tc.ok && !errors.Is(err, ErrBadInitInfo) {
				t.Errorf("err %v does not wrap ErrBadInitInfo", err)
			}
			if tc.ok && got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestWriteInitInfo: the write_blob_to_file / write_data_to_file steps,
// seen from outside: final content, no .tmp left, old content replaced.
func TestWriteInitInfo(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, InitInfoFile)
	if _, err := ReadInitInfo(vfs.OS, path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
	if err := os.WriteFile(path, []byte("old and longer than the new content, which must not survive"), 0o644); err != nil {
		t.Fatal(err)
	}
	want := InitInfo{InitBallot: 4, InitDurableDecree: 100, InitOffsetInPrivateLog: 4096}
	if err := WriteInitInfo(vfs.OS, path, want); err != nil {
		t.Fatal(err)
	}
	got, err := ReadInitInfo(vfs.OS, path)
	if err != nil || *got != want {
		t.Fatalf("read back %+v, %v", got, err)
	}
	if b, _ := os.ReadFile(path); string(b) != string(EncodeInitInfo(want)) {
		t.Errorf("file %q", b)
	}
	if _, err := os.Stat(path + ".tmp"); !os.IsNotExist(err) {
		t.Errorf(".tmp left behind: %v", err)
	}
	if err := os.WriteFile(path, []byte(`{"init_ballot":x}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadInitInfo(vfs.OS, path); !errors.Is(err, ErrBadInitInfo) {
		t.Errorf("corrupt file: %v", err)
	}
}
