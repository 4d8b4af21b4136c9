package rrdb

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// TestCEscape mirrors pegasus::utils::c_escape_string
// (src/base/pegasus_utils.cpp).
func TestCEscape(t *testing.T) {
	tests := []struct {
		in        string
		escapeAll bool
		want      string
	}{
		{"", false, ""},
		{"abc ~", false, "abc ~"},
		{"a\nb\rc\td", false, `a\nb\rc\td`},
		{`"'\`, false, `\"\'\\`},
		{"\x00\x1f\x7f\x80\xff", false, `\x00\x1F\x7F\x80\xFF`},
		{"é", false, `\xC3\xA9`},
		{"a\n", true, `\x61\x0A`},
	}
	for _, tt := range tests {
		if got := CEscape([]byte(tt.in), tt.escapeAll); got != tt.want {
			t.Errorf("CEscape(%q, %v) = %s, want %s", tt.in, tt.escapeAll, got, tt.want)
		}
	}
}

// TestFormatDetailed checks the lines of the mlog_dump -d callback
// (mlog_dump in src/shell/commands/debugger.cpp).
func TestFormatDetailed(t *testing.T) {
	tests := []struct {
		name string
		req  Request
		want string
	}{
		{"empty", &Empty{}, "  [EMPTY]\n"},
		{"put", &Put{HashKey: Bytes("a"), SortKey: Bytes("a"), Value: Bytes("a")},
			"  [PUT] \"a\" : \"a\" => 0 : \"a\"\n"},
		{"put escaped", &Put{HashKey: Bytes("h\"k"), SortKey: Bytes("\x00"), Value: Bytes("v\n"), ExpireTsSeconds: 42},
			"  [PUT] \"h\\\"k\" : \"\\x00\" => 42 : \"v\\n\"\n"},
		{"remove", &Remove{HashKey: Bytes("hk"), SortKey: Bytes("sk")}, "  [REMOVE] \"hk\" : \"sk\"\n"},
		{"multi_put", &MultiPut{HashKey: Bytes("hk"), ExpireTsSeconds: 7, Kvs: []KV{
			{SortKey: Bytes("s1"), Value: Bytes("v1"), ExpireTsSeconds: ptr(int32(99))},
			{SortKey: Bytes("s2"), Value: Bytes("v2")},
		}}, "  [MULTI_PUT] 2\n" +
			"    [PUT] \"hk\" : \"s1\" => 7 : \"v1\"\n" +
			"    [PUT] \"hk\" : \"s2\" => 7 : \"v2\"\n"},
		{"multi_remove", &MultiRemove{HashKey: Bytes("hk"), SortKeys: []Bytes{Bytes("a"), nil}},
			"  [MULTI_REMOVE] 2\n    [REMOVE] \"hk\" : \"a\"\n    [REMOVE] \"hk\" : \"\"\n"},
		{"multi_remove none", &MultiRemove{HashKey: Bytes("hk")}, "  [MULTI_REMOVE] 0\n"},
		{"incr", &Incr{HashKey: Bytes("h"), SortKey: Bytes("c"), Increment: -3, ExpireTsSeconds: 9},
			"  [INCR] \"h\" : \"c\" => -3\n"},
		{"check_and_set no operand", &CheckAndSet{HashKey: Bytes("h"), CheckSortKey: Bytes("c"),
			CheckType: CTValueNotExist, CheckOperand: Bytes("ignored"), SetSortKey: Bytes("ignored"),
			SetValue: Bytes("v"), SetExpireTsSeconds: 5},
			"  [CHECK_AND_SET] \"h\" : IF SORT_KEY(c) CT_VALUE_NOT_EXIST THEN SET SORT_KEY(c) => VALUE(v) [expire=5]\n"},
		{"check_and_set operand", &CheckAndSet{HashKey: Bytes("h"), CheckSortKey: Bytes("c"),
			CheckType: CTValueMatchAnywhere, CheckOperand: Bytes("o\t"), SetDiffSortKey: true,
			SetSortKey: Bytes("s"), SetValue: Bytes("v")},
			"  [CHECK_AND_SET] \"h\" : IF SORT_KEY(c) CT_VALUE_MATCH_ANYWHERE \"o\\t\" THEN SET SORT_KEY(s) => VALUE(v) [expire=0]\n"},
		{"check_and_set invalid type", &CheckAndSet{HashKey: Bytes("h"), CheckSortKey: Bytes("c"), CheckType: 99},
			"  [CHECK_AND_SET] \"h\" : IF SORT_KEY(c) INVALID=99 \"\" THEN SET SORT_KEY(c) => VALUE() [expire=0]\n"},
		{"check_and_mutate", &CheckAndMutate{HashKey: Bytes("h"), CheckSortKey: Bytes("c"),
			CheckType: CTValueIntLess, CheckOperand: Bytes("10"), MutateList: []Mutate{
				{Operation: MOPut, SortKey: Bytes("a"), Value: Bytes("1"), SetExpireTsSeconds: 3},
				{Operation: MODelete, SortKey: Bytes("b")},
				{Operation: 5, SortKey: Bytes("x")},
			}},
			"  [CHECK_AND_MUTATE] \"h\" : IF SORT_KEY(c) CT_VALUE_INT_LESS \"10\" THEN MUTATE 3\n" +
				"    [PUT] \"h\" : \"a\" => 3 : \"1\"\n" +
				"    [REMOVE] \"h\" : \"b\"\n" +
				"    [INVALID=5] \"h\" : \"x\"\n"},
	}
	for _, tt := range tests {
		data, err := Encode(tt.req, 0)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := FormatDetailed(&buf, tt.req.Code(), SerializationThriftBinary, data); err != nil {
			t.Fatal(err)
		}
		if buf.String() != tt.want {
			t.Errorf("%s:\n got %q\nwant %q", tt.name, buf.String(), tt.want)
		}
	}
}

func TestFormatEscapeAll(t *testing.T) {
	var buf bytes.Buffer
	if err := (Formatter{EscapeAll: true}).Format(&buf, CodePut, 1, realPut); err != nil {
		t.Fatal(err)
	}
	if want := "  [PUT] \"\\x61\" : \"\\x61\" => 0 : \"\\x61\"\n"; buf.String() != want {
		t.Errorf("got %q, want %q", buf.String(), want)
	}
}

func TestFormatErrors(t *testing.T) {
	tests := []struct {
		code string
		st   int32
		data []byte
		want string
	}{
		// Pegasus: "ERROR: unsupported code " << task_code << "(" << local_rpc_code << ")".
		{CodeDuplicate, 1, nil, "  ERROR: unsupported code RPC_RRDB_RRDB_DUPLICATE(-1)\n"},
		{CodeBulkLoad, 1, nil, "  ERROR: unsupported code RPC_RRDB_RRDB_BULK_LOAD(-1)\n"},
		{CodePut, 1, realPut[:5], "  ERROR: rrdb: malformed RPC_RRDB_RRDB_PUT at offset 4: need 2 bytes, have 1\n"},
		{CodePut, 3, realPut, "  ERROR: rrdb: RPC_RRDB_RRDB_PUT: unsupported serialization type 3 (only 1, thrift binary)\n"},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		if err := FormatDetailed(&buf, tt.code, tt.st, tt.data); err != nil {
			t.Fatal(err)
		}
		if buf.String() != tt.want {
			t.Errorf("%s: got %q, want %q", tt.code, buf.String(), tt.want)
		}
	}
}

func TestBytesJSON(t *testing.T) {
	tests := []struct {
		in   Bytes
		want string
	}{
		{nil, `""`},
		{Bytes("hello world"), `"hello world"`},
		{Bytes("héllo <&>"), `"héllo \u003c\u0026\u003e"`},
		{Bytes("a\nb"), `{"base64":"YQpi"}`},
		{Bytes("\xff\x00"), `{"base64":"/wA="}`},
	}
	for _, tt := range tests {
		got, err := json.Marshal(tt.in)
		if err != nil || string(got) != tt.want {
			t.Errorf("Marshal(%q) = %s, %v; want %s", tt.in, got, err, tt.want)
		}
		var back Bytes
		if err := json.Unmarshal(got, &back); err != nil || !bytes.Equal(back, tt.in) {
			t.Errorf("Unmarshal(%s) = %q, %v", got, back, err)
		}
	}
	var b Bytes
	if err := json.Unmarshal([]byte(`{"hex":"00"}`), &b); err == nil {
		t.Error("accepted an object without base64")
	}
}

// TestRequestJSON round-trips every sample through JSON, which covers the
// snake_case tags and the enum names.
func TestRequestJSON(t *testing.T) {
	for _, req := range samples() {
		data, err := json.Marshal(req)
		if err != nil {
			t.Fatal(err)
		}
		back := reflect.New(reflect.TypeOf(req).Elem()).Interface()
		if err := json.Unmarshal(data, back); err != nil {
			t.Fatalf("%s: %v", data, err)
		}
		// JSON does not keep nil apart from empty; compare re-encoded bytes.
		a, _ := Encode(req, 0)
		b, _ := Encode(back.(Request), 0)
		if !bytes.Equal(a, b) {
			t.Errorf("%s did not round-trip", data)
		}
	}
	got, _ := json.Marshal(&CheckAndSet{CheckType: CTValueExist})
	want := `{"hash_key":"","check_sort_key":"","check_type":"CT_VALUE_EXIST","check_operand":"",` +
		`"set_diff_sort_key":false,"set_sort_key":"","set_value":"","set_expire_ts_seconds":0,"return_check_value":false}`
	if string(got) != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
	var ct CheckType
	if err := json.Unmarshal([]byte(`"INVALID=42"`), &ct); err != nil || ct != 42 {
		t.Errorf("INVALID=42 -> %v, %v", ct, err)
	}
	if err := json.Unmarshal([]byte(`"CT_BOGUS"`), &ct); err == nil {
		t.Error("accepted CT_BOGUS")
	}
}
