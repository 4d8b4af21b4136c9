package rrdb

import (
	"bytes"
	"encoding/hex"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// realPut is RPC_RRDB_RRDB_PUT data from a real Pegasus log: the C++
// marshall_thrift_internal wrapper {0: update_request} around
// update_request{key: "\x00\x01aa", value: "a", expire_ts_seconds: 0}.
var realPut = mustHex(
	"0c0000" + // wrapper field 0, STRUCT
		"0c0001" + "00000004" + "0001" + "61" + "61" + // key: blob tagged STRUCT
		"0c0002" + "00000001" + "61" + // value
		"080003" + "00000000" + // expire_ts_seconds
		"00" + // STOP update_request
		"00") // STOP wrapper

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func ptr[T any](v T) *T { return &v }

// samples covers every decodable type, with binary and empty bytes and the
// HEAD-only optional fields; empty byte fields are nil because that is how
// Decode returns them.
func samples() []Request {
	return []Request{
		&Put{HashKey: Bytes("a"), SortKey: Bytes("a"), Value: Bytes("a")},
		&Put{HashKey: Bytes("user\x00\xff"), Value: Bytes("v\n"), ExpireTsSeconds: -1},
		&Put{HashKey: Bytes("h"), SortKey: Bytes("s"), Value: Bytes("11"), ExpireTsSeconds: 100,
			Type: ptr(UTCheckAndMutatePut), CheckValueReturned: ptr(true), CheckValueExist: ptr(true),
			CheckValue: ptr(Bytes("old"))},
		&Put{HashKey: Bytes("h"), SortKey: Bytes("s"), Type: ptr(UTIncr), CheckValue: ptr(Bytes(nil))},
		&Remove{HashKey: Bytes("hk"), SortKey: Bytes("sk")},
		&Remove{},
		&MultiPut{HashKey: Bytes("hk"), ExpireTsSeconds: 7, Kvs: []KV{
			{SortKey: Bytes("s1"), Value: Bytes("v1")},
			{SortKey: Bytes("s2"), Value: Bytes("\x01\x02"), ExpireTsSeconds: ptr(int32(9))},
		}},
		&MultiPut{HashKey: Bytes("hk")},
		&MultiRemove{HashKey: Bytes("hk"), SortKeys: []Bytes{Bytes("a"), nil, Bytes("c")}, MaxCount: 3},
		&MultiRemove{HashKey: Bytes("hk")},
		&Incr{HashKey: Bytes("h"), SortKey: Bytes("cnt"), Increment: -5, ExpireTsSeconds: 60},
		&CheckAndSet{HashKey: Bytes("h"), CheckSortKey: Bytes("c"), CheckType: CTValueBytesEqual,
			CheckOperand: Bytes("x"), SetDiffSortKey: true, SetSortKey: Bytes("s"), SetValue: Bytes("v"),
			SetExpireTsSeconds: 5, ReturnCheckValue: true},
		&CheckAndMutate{HashKey: Bytes("h"), CheckSortKey: Bytes("c"), CheckType: CTValueNotExist,
			MutateList: []Mutate{
				{Operation: MOPut, SortKey: Bytes("a"), Value: Bytes("1"), SetExpireTsSeconds: 2},
				{Operation: MODelete, SortKey: Bytes("b")},
			}, ReturnCheckValue: true},
	}
}

func TestDecodeRealPut(t *testing.T) {
	got, err := Decode(CodePut, SerializationThriftBinary, realPut)
	if err != nil {
		t.Fatal(err)
	}
	want := &Put{HashKey: Bytes("a"), SortKey: Bytes("a"), Value: Bytes("a"), ExpireTsSeconds: 0}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	if enc := EncodePut(*want, 0); !bytes.Equal(enc, realPut) {
		t.Fatalf("EncodePut = %x, want the real bytes %x", enc, realPut)
	}
}

// TestDecodeArgsForm decodes hand-written client (*_args, field id 1)
// bytes, as the Java/Go clients' generated code writes them.
func TestDecodeArgsForm(t *testing.T) {
	tests := []struct {
		code string
		hex  string
		want Request
	}{
		{CodePut, "0c0001" + "0c0001000000050002686b73" + "0c00020000000176" + "0800030000000a" + "00" + "00",
			&Put{HashKey: Bytes("hk"), SortKey: Bytes("s"), Value: Bytes("v"), ExpireTsSeconds: 10}},
		// remove_args{1: key}: the blob is the args field itself.
		{CodeRemove, "0c0001" + "000000050002686b73" + "00",
			&Remove{HashKey: Bytes("hk"), SortKey: Bytes("s")}},
		// multi_remove_args{1: {hash_key, sort_keys: list<STRUCT>[2], max_count}}
		{CodeMultiRemove, "0c0001" + "0c000100000002686b" + "0f00020c00000002" + "0000000161" + "0000000162" +
			"0a00030000000000000000" + "00" + "00",
			&MultiRemove{HashKey: Bytes("hk"), SortKeys: []Bytes{Bytes("a"), Bytes("b")}}},
	}
	for _, tt := range tests {
		got, err := Decode(tt.code, 1, mustHex(tt.hex))
		if err != nil {
			t.Fatalf("%s: %v", tt.code, err)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: got %+v, want %+v", tt.code, got, tt.want)
		}
	}
}

// TestRoundTrip encodes every sample in both envelope forms (and an odd
// field id, which unmarshall_thrift_internal ignores too) and decodes it.
func TestRoundTrip(t *testing.T) {
	for _, req := range samples() {
		for _, id := range []int16{0, 1, 42} {
			data, err := Encode(req, id)
			if err != nil {
				t.Fatal(err)
			}
			if data[0] != tStruct || int16(be.Uint16(data[1:])) != id || data[len(data)-1] != tStop {
				t.Fatalf("%s id %d: bad envelope % x", req.Code(), id, data)
			}
			got, err := Decode(req.Code(), SerializationThriftBinary, data)
			if err != nil {
				t.Fatalf("%s id %d: %v", req.Code(), id, err)
			}
			if !reflect.DeepEqual(got, req) {
				t.Errorf("%s id %d: got %+v, want %+v", req.Code(), id, got, req)
			}
		}
	}
}

// TestDecodeSkipsUnknown checks that fields the IDL does not know, and
// known ids with an unexpected wire type, are skipped the way the
// generated C++ read() skips them (TProtocolUtil::skip).
func TestDecodeSkipsUnknown(t *testing.T) {
	unknown := "" +
		"0b0063" + "00000003616263" + // 99: string "abc"
		"0c0064" + "08000100000001" + "0c0002" + "00" + "00" + // 100: struct{1: i32, 2: struct{}}
		"0f0065" + "08" + "00000002" + "0000000100000002" + // 101: list<i32>[2]
		"0d0066" + "0b08" + "00000001" + "000000016b" + "00000005" + // 102: map<string,i32>{"k": 5}
		"0e0067" + "02" + "00000001" + "01" + // 103: set<bool>{true}
		"020068" + "01" + "030069" + "7f" + "06006a" + "0001" + "04006b" + "0000000000000000" +
		"10006c" + strings.Repeat("ab", 16) + // 108: uuid
		"0a0003" + "0000000000000001" // 3 (expire_ts_seconds) but as i64: skipped
	data := mustHex("0c0000" + "0c0001000000050002686b73" + unknown +
		"0c00020000000176" + "0800030000000a" + "00" + "00")
	got, err := Decode(CodePut, 1, data)
	if err != nil {
		t.Fatal(err)
	}
	want := &Put{HashKey: Bytes("hk"), SortKey: Bytes("s"), Value: Bytes("v"), ExpireTsSeconds: 10}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}

	// Unknown fields inside list elements (key_value) are skipped too.
	mp := mustHex("0c0000" + "0c000100000001" + "68" +
		"0f00020c00000001" + "0c00010000000173" + "0b00090000000178" + "0c00020000000176" + "00" +
		"08000300000000" + "00" + "00")
	got, err = Decode(CodeMultiPut, 1, mp)
	if err != nil {
		t.Fatal(err)
	}
	wantMP := &MultiPut{HashKey: Bytes("h"), Kvs: []KV{{SortKey: Bytes("s"), Value: Bytes("v")}}}
	if !reflect.DeepEqual(got, wantMP) {
		t.Fatalf("got %+v, want %+v", got, wantMP)
	}
}

// TestDecodeTrailing mirrors unmarshall_thrift_internal, which reads one
// field header after the request and ignores the rest.
func TestDecodeTrailing(t *testing.T) {
	data := append(append([]byte(nil), realPut...), 0xde, 0xad)
	if _, err := Decode(CodePut, 1, data); err != nil {
		t.Fatal(err)
	}
	if _, err := Decode(CodePut, 1, realPut[:len(realPut)-1]); err == nil {
		t.Fatal("missing final field header accepted")
	}
}

func TestDecodeMalformed(t *testing.T) {
	tests := []struct {
		name, code, hex, msg string
	}{
		{"empty", CodePut, "", "need 1 bytes"},
		{"stop first", CodePut, "00", "no request field"},
		{"negative blob", CodeRemove, "0c0000ffffffff00", "negative size"},
		{"blob too long", CodeRemove, "0c00000000ffff00", "need 65535 bytes"},
		{"short key", CodeRemove, "0c0000000000016100", "at least 2"},
		{"hash key overflow", CodeRemove, "0c000000000003000561" + "00", "hash key length 5"},
		{"missing key", CodePut, "0c0000" + "0c00020000000176" + "00" + "00", "no key field"},
		{"unknown type", CodePut, "0c0000" + "090001" + "00" + "00", "unknown thrift type 9"},
		{"negative list", CodeMultiRemove, "0c0000" + "0f00020cffffffff" + "00" + "00", "negative size"},
		{"huge list", CodeMultiRemove, "0c0000" + "0f00020c7fffffff" + "00", "need 4 bytes"},
		{"deep nesting", CodePut, "0c0000" + strings.Repeat("0c0063", 100), "nesting deeper than 64"},
		{"deep lists", CodePut, "0c0000" + "0f0063" + strings.Repeat("0f00000001", 100), "nesting deeper than 64"},
	}
	for _, tt := range tests {
		_, err := Decode(tt.code, SerializationThriftBinary, mustHex(tt.hex))
		var me *MalformedError
		if !errors.As(err, &me) || me.Code != tt.code || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("%s: err = %v, want *MalformedError containing %q", tt.name, err, tt.msg)
		}
	}
}

// TestDecodeTruncated checks every proper prefix of every sample fails
// cleanly.
func TestDecodeTruncated(t *testing.T) {
	for _, req := range samples() {
		data, _ := Encode(req, 0)
		for n := 0; n < len(data); n++ {
			if _, err := Decode(req.Code(), 1, data[:n]); err == nil {
				t.Fatalf("%s: prefix of %d/%d bytes accepted", req.Code(), n, len(data))
			}
		}
	}
}

func TestDecodeUnsupported(t *testing.T) {
	tests := []struct {
		code string
		st   int32
		msg  string
	}{
		{CodeDuplicate, 1, `unsupported code "RPC_RRDB_RRDB_DUPLICATE"`},
		{CodeBulkLoad, 1, `unsupported code "RPC_RRDB_RRDB_BULK_LOAD"`},
		{"RPC_FOO", 1, `unsupported code "RPC_FOO"`},
		{CodePut, 3, "RPC_RRDB_RRDB_PUT: unsupported serialization type 3"},
	}
	for _, tt := range tests {
		_, err := Decode(tt.code, tt.st, realPut)
		var ue *UnsupportedError
		if !errors.As(err, &ue) || ue.Code != tt.code || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("%s: err = %v, want *UnsupportedError containing %q", tt.code, err, tt.msg)
		}
	}
}

func TestDecodeEmpty(t *testing.T) {
	for _, data := range [][]byte{nil, {1, 2, 3}} {
		got, err := Decode(CodeEmpty, 0, data)
		if err != nil || !reflect.DeepEqual(got, &Empty{}) {
			t.Fatalf("got %v, %v", got, err)
		}
	}
}

// TestDecodeAliasing checks decoded bytes alias data but are capped, so an
// append by the caller cannot overwrite the following bytes.
func TestDecodeAliasing(t *testing.T) {
	data := append([]byte(nil), realPut...)
	got, _ := Decode(CodePut, 1, data)
	p := got.(*Put)
	_ = append(p.HashKey, 'X')
	_ = append(p.Value, 'X')
	if !bytes.Equal(data, realPut) {
		t.Fatalf("append to decoded bytes modified data: % x", data)
	}
}

func TestIsKnownCode(t *testing.T) {
	for _, c := range KnownCodes {
		if !IsKnownCode(c) {
			t.Errorf("IsKnownCode(%q) = false", c)
		}
	}
	for _, c := range []string{"", "RPC_RRDB_RRDB_GET", "rpc_rrdb_rrdb_put"} {
		if IsKnownCode(c) {
			t.Errorf("IsKnownCode(%q) = true", c)
		}
	}
	if len(KnownCodes) != 10 {
		t.Errorf("len(KnownCodes) = %d, want 10", len(KnownCodes))
	}
}

func TestEncodeErrors(t *testing.T) {
	long := Bytes(strings.Repeat("h", MaxHashKeyLen+1))
	if _, err := Encode(&MultiPut{HashKey: long}, 0); err == nil {
		t.Error("Encode accepted an overlong hash key")
	}
	if _, err := Encode(&Put{HashKey: long[:MaxHashKeyLen]}, 0); err != nil {
		t.Errorf("Encode rejected a hash key of MaxHashKeyLen: %v", err)
	}
	var ue *UnsupportedError
	if _, err := Encode(nil, 0); !errors.As(err, &ue) {
		t.Errorf("Encode(nil) err = %v", err)
	}
	if data, err := Encode(&Empty{}, 0); data != nil || err != nil {
		t.Errorf("Encode(Empty) = %x, %v", data, err)
	}
	defer func() {
		if recover() == nil {
			t.Error("EncodePut did not panic on an overlong hash key")
		}
	}()
	EncodePut(Put{HashKey: long}, 0)
}
