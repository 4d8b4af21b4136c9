package dataroot

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/waltool/waltool/vfs"
)

const magic = "\x08\x00\x00\xde\xad\xbe\xef\x00"

// sample25 is written by hand as a 2.4/2.5 replica server stores a new
// replica of table "temp" (app 2, 8 partitions): replica_app_info::store
// with marshall_thrift_json, thrift 0.9.3 TJSONProtocol, optional fields
// 12 and 14 present because their __isset starts true.
const sample25 = magic + `{"0":{"rec":{"1":{"i32":1},"2":{"str":"pegasus"},"3":{"str":"temp"},` +
	`"4":{"i32":2},"5":{"i32":8},"6":{"map":["str","str",0,{}]},"7":{"tf":1},"8":{"i32":3},` +
	`"9":{"i64":0},"10":{"i64":1700000000},"11":{"i64":0},"12":{"tf":0},"13":{"i32":8},"14":{"tf":0}}}}`

// sampleHEAD: a HEAD (2.6) server, table with ingest-behind on, being
// bulk loaded; field 15 exists only there.
const sampleHEAD = magic + `{"0":{"rec":{"1":{"i32":1},"2":{"str":"pegasus"},"3":{"str":"t2"},` +
	`"4":{"i32":12},"5":{"i32":4},"6":{"map":["str","str",1,{"rocksdb.allow_ingest_behind":"true"}]},` +
	`"7":{"tf":1},"8":{"i32":3},"9":{"i64":0},"10":{"i64":1600000000},"11":{"i64":0},"12":{"tf":1},` +
	`"13":{"i32":4},"14":{"tf":1},"15":{"tf":0}}}}`

func TestAppInfoSamples(t *testing.T) {
	tru, fal := true, false
	want25 := NewAppInfo("temp", 2, 8)
	want25.CreateSecond = 1700000000
	wantHEAD := AppInfo{
		Status: AppStatusAvailable, AppType: "pegasus", AppName: "t2", AppID: 12, PartitionCount: 4,
		Envs: map[string]string{AllowIngestBehindEnv: "true"}, IsStateful: true, MaxReplicaCount: 3,
		CreateSecond: 1600000000, Duplicating: &tru, InitPartitionCount: 4, IsBulkLoading: &tru,
		AtomicIdempotent: &fal,
	}
	for _, tc := range []struct {
		name string
		raw  string
		want AppInfo
	}{
		{"v2.5", sample25, want25},
		{"HEAD", sampleHEAD, wantHEAD},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DecodeAppInfo([]byte(tc.raw))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*got, tc.want) {
				t.Errorf("decode:\n got %+v\nwant %+v", *got, tc.want)
			}
			if enc := EncodeAppInfo(tc.want); string(enc) != tc.raw {
				t.Errorf("encode:\n got %q\nwant %q", enc, tc.raw)
			}
		})
	}
}

// TestAppInfoTolerant: the generated app_info::read skips unknown ids and
// known ids of the wrong type, and leaves absent fields at their IDL
// defaults (init_partition_count = -1).
func TestAppInfoTolerant(t *testing.T) {
	for _, tc := range []struct {
		name string
		body string
		want func(*AppInfo)
	}{
		{
			name: "pre-1.12 file without 12, 13, 14",
			body: `{"1":{"i32":1},"2":{"str":"pegasus"},"3":{"str":"a"},"4":{"i32":1},"5":{"i32":4},` +
				`"6":{"map":["str","str",0,{}]},"7":{"tf":1},"8":{"i32":3},"9":{"i64":0},"10":{"i64":0},"11":{"i64":0}}`,
			want: func(a *AppInfo) {},
		},
		{
			name: "unknown fields of every shape",
			body: `{"2":{"str":"pegasus"},"16":{"lst":["i32",2,7,8]},"17":{"rec":{"1":{"map":["i32","str",1,{"5":"x"}]}}},` +
				`"18":{"dbl":"NaN"},"19":{"dbl":1.5e3},"20":{"set":["str",1,"s"]},"21":{"i8":-3},"22":{"i16":300},"4":{"i32":1},"5":{"i32":4}}`,
			want: func(a *AppInfo) { a.Skipped = []int16{16, 17, 18, 19, 20, 21, 22} },
		},
		{
			name: "known id with another type is skipped",
			body: `{"2":{"str":"pegasus"},"4":{"i64":1},"5":{"str":"4"}}`,
			want: func(a *AppInfo) { a.AppID, a.PartitionCount, a.Skipped = 0, 0, []int16{4, 5} },
		},
		{
			name: "fields out of order, later wins",
			body: `{"5":{"i32":9},"4":{"i32":1},"2":{"str":"pegasus"},"5":{"i32":4}}`,
			want: func(a *AppInfo) {},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DecodeAppInfo([]byte(magic + `{"0":{"rec":` + tc.body + `}}`))
			if err != nil {
				t.Fatal(err)
			}
			if got.AppType != "pegasus" || got.InitPartitionCount != -1 || got.Duplicating != nil || got.IsBulkLoading != nil {
				t.Errorf("defaults: %+v", got)
			}
			want := *got
			want.AppID, want.PartitionCount, want.Skipped = 1, 4, nil
			tc.want(&want)
			if got.AppID != want.AppID || got.PartitionCount != want.PartitionCount || !reflect.DeepEqual(got.Skipped, want.Skipped) {
				t.Errorf("got app %d partitions %d skipped %v, want %d %d %v",
					got.AppID, got.PartitionCount, got.Skipped, want.AppID, want.PartitionCount, want.Skipped)
			}
		})
	}
}

func TestAppInfoStrings(t *testing.T) {
	a := NewAppInfo("a\"b\\c/d\x01\x1f\n\t\b\f\ré", 1, 1)
	a.Envs = map[string]string{"z": "1", "a": "2", AllowIngestBehindEnv: "false"}
	enc := string(EncodeAppInfo(a))
	for _, want := range []string{
		`"3":{"str":"a\"b\\c/d\u0001\u001f\n\t\b\f\ré"}`,
		`"6":{"map":["str","str",3,{"a":"2","rocksdb.allow_ingest_behind":"false","z":"1"}]}`,
	} {
		if !strings.Contains(enc, want) {
			t.Errorf("encoding lacks %s:\n%s", want, enc)
		}
	}
	got, err := DecodeAppInfo([]byte(enc))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(*got, a) {
		t.Errorf("round trip:\n got %+v\nwant %+v", *got, a)
	}
}

// TestAppInfoErrors: what replica_app_info::load rejects (bad magic) or
// what makes thrift 0.9.3's TJSONProtocol throw.
func TestAppInfoErrors(t *testing.T) {
	body := sample25[len(magic):]
	for _, tc := range []struct {
		name string
		raw  string
		want error
	}{
		{"empty", "", ErrBadMagic},
		{"short", magic[:5], ErrBadMagic},
		{"other magic", "\x08\x00\x00\xde\xad\xbe\xee\x00" + body, ErrBadMagic},
		{"other wrapper type", "\x0a\x00\x00\xde\xad\xbe\xef\x00" + body, ErrBadMagic},
		{"magic only", magic, ErrBadAppInfo},
		{"truncated", sample25[:len(sample25)-3], ErrBadAppInfo},
		{"whitespace", strings.Replace(sample25, `"3":{"str":"temp"}`, `"3": {"str":"temp"}`, 1), ErrBadAppInfo},
		{"map count too small", strings.Replace(sampleHEAD, `"str",1,{`, `"str",0,{`, 1), ErrBadAppInfo},
		{"map count too large", strings.Replace(sample25, `"str",0,{`, `"str",1,{`, 1), ErrBadAppInfo},
		{"bool 2", strings.Replace(sample25, `"7":{"tf":1}`, `"7":{"tf":2}`, 1), ErrBadAppInfo},
		{"i32 overflow", strings.Replace(sample25, `"4":{"i32":2}`, `"4":{"i32":2147483648}`, 1), ErrBadAppInfo},
		{"unquoted field id", strings.Replace(sample25, `"4":{`, `4:{`, 1), ErrBadAppInfo},
		{"upper-case hex escape", strings.Replace(sample25, `"temp"`, `"te\u001Fmp"`, 1), ErrBadAppInfo},
		{"non-00 unicode escape", strings.Replace(sample25, `"temp"`, `"te\u0100mp"`, 1), ErrBadAppInfo},
		{"slash escape", strings.Replace(sample25, `"temp"`, `"te\/mp"`, 1), ErrBadAppInfo},
		{"unknown type name", strings.Replace(sample25, `{"i64":0}`, `{"x":0}`, 1), ErrBadAppInfo},
		{"second wrapper field", sample25[:len(sample25)-1] + `,"1":{"i32":0}}`, ErrBadAppInfo},
		{"deep nesting", magic + `{"0":{"rec":{"16":{"lst":["lst",1,` + strings.Repeat(`["lst",1,`, 100) + `["i32",0]` +
			strings.Repeat(`]`, 101) + `}}}}`, ErrBadAppInfo},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := DecodeAppInfo([]byte(tc.raw))
			t.Log(err)
			if !errors.Is(err, tc.want) || a != nil {
				t.Errorf("got %v, %v; want %v", a, err, tc.want)
			}
		})
	}
}

// TestAppInfoTrailingBytes: Pegasus stops reading after the wrapper.
func TestAppInfoTrailingBytes(t *testing.T) {
	if _, err := DecodeAppInfo([]byte(sample25 + "\n\x00junk")); err != nil {
		t.Fatal(err)
	}
}

// TestWriteAppInfo: replica_app_info::store keeps only
// rocksdb.allow_ingest_behind of the envs, and publishes via .tmp.
func TestWriteAppInfo(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, AppInfoFile)
	a := NewAppInfo("temp", 2, 8)
	a.CreateSecond = 1700000000
	a.Envs = map[string]string{"replica.deny_client_request": "timeout*all"}
	if err := WriteAppInfo(vfs.OS, path, a); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != sample25 {
		t.Errorf("file:\n got %q\nwant %q", b, sample25)
	}
	a.Envs[AllowIngestBehindEnv] = "true"
	if err := WriteAppInfo(vfs.OS, path, a); err != nil {
		t.Fatal(err)
	}
	got, err := ReadAppInfo(vfs.OS, path)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{AllowIngestBehindEnv: "true"}; !reflect.DeepEqual(got.Envs, want) {
		t.Errorf("envs %v, want %v", got.Envs, want)
	}
	if _, err := os.Stat(path + ".tmp"); !os.IsNotExist(err) {
		t.Errorf(".tmp left behind: %v", err)
	}
	if err := WriteAppInfo(vfs.OS, filepath.Join(dir, "nope", AppInfoFile), a); err == nil {
		t.Error("write into a missing dir succeeded")
	}
}

func TestAppStatusString(t *testing.T) {
	if s := AppStatusDropped.String(); s != "AS_DROPPED" {
		t.Error(s)
	}
	if s := AppStatus(9).String(); s != "app_status(9)" {
		t.Error(s)
	}
}

// FuzzDecodeAppInfo: no panic on any input, and whatever decodes survives
// an encode/decode round trip.
func FuzzDecodeAppInfo(f *testing.F) {
	f.Add([]byte(sample25))
	f.Add([]byte(sampleHEAD))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := DecodeAppInfo(b)
		if err != nil {
			return
		}
		a.Skipped = nil
		back, err := DecodeAppInfo(EncodeAppInfo(*a))
		if err != nil || !reflect.DeepEqual(back, a) {
			t.Fatalf("round trip of %q: %+v, %v", b, back, err)
		}
	})
}
