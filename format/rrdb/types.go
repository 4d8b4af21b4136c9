package rrdb

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Bytes is a byte string (a dsn.blob or part of a Pegasus key) that
// marshals to readable JSON: a JSON string when it is valid UTF-8 made only
// of printable characters, otherwise {"base64": "..."} (standard encoding).
// nil and empty both marshal to "".
type Bytes []byte

// MarshalJSON implements json.Marshaler.
func (b Bytes) MarshalJSON() ([]byte, error) {
	if isPrintable(b) {
		return json.Marshal(string(b))
	}
	return json.Marshal(struct {
		Base64 string `json:"base64"`
	}{base64.StdEncoding.EncodeToString(b)})
}

// UnmarshalJSON implements json.Unmarshaler for both forms MarshalJSON
// writes, so that JSON fixtures can be turned back into requests.
func (b *Bytes) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err == nil {
		*b = Bytes(s)
		return nil
	}
	var obj struct {
		Base64 *string `json:"base64"`
	}
	if err := json.Unmarshal(data, &obj); err != nil || obj.Base64 == nil {
		return errors.New(`rrdb: Bytes must be a JSON string or {"base64": "..."}`)
	}
	raw, err := base64.StdEncoding.DecodeString(*obj.Base64)
	if err != nil {
		return fmt.Errorf("rrdb: Bytes: %w", err)
	}
	*b = raw
	return nil
}

func isPrintable(b []byte) bool {
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n <= 1 || !unicode.IsPrint(r) {
			return false
		}
		b = b[n:]
	}
	return true
}

// CheckType is cas_check_type of idl/rrdb.thrift.
type CheckType int32

// cas_check_type values.
const (
	CTNoCheck CheckType = iota
	CTValueNotExist
	CTValueNotExistOrEmpty
	CTValueExist
	CTValueNotEmpty
	CTValueMatchAnywhere
	CTValueMatchPrefix
	CTValueMatchPostfix
	CTValueBytesLess
	CTValueBytesLessOrEqual
	CTValueBytesEqual
	CTValueBytesGreaterOrEqual
	CTValueBytesGreater
	CTValueIntLess
	CTValueIntLessOrEqual
	CTValueIntEqual
	CTValueIntGreaterOrEqual
	CTValueIntGreater
)

var checkTypeNames = []string{
	"CT_NO_CHECK", "CT_VALUE_NOT_EXIST", "CT_VALUE_NOT_EXIST_OR_EMPTY", "CT_VALUE_EXIST",
	"CT_VALUE_NOT_EMPTY", "CT_VALUE_MATCH_ANYWHERE", "CT_VALUE_MATCH_PREFIX",
	"CT_VALUE_MATCH_POSTFIX", "CT_VALUE_BYTES_LESS", "CT_VALUE_BYTES_LESS_OR_EQUAL",
	"CT_VALUE_BYTES_EQUAL", "CT_VALUE_BYTES_GREATER_OR_EQUAL", "CT_VALUE_BYTES_GREATER",
	"CT_VALUE_INT_LESS", "CT_VALUE_INT_LESS_OR_EQUAL", "CT_VALUE_INT_EQUAL",
	"CT_VALUE_INT_GREATER_OR_EQUAL", "CT_VALUE_INT_GREATER",
}

// String returns the IDL name, or "INVALID=<n>" like Pegasus's
// cas_check_type_to_string (src/base/idl_utils.h).
func (t CheckType) String() string { return enumName(checkTypeNames, int32(t)) }

// MarshalText implements encoding.TextMarshaler.
func (t CheckType) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// UnmarshalText accepts what MarshalText writes, or a decimal number.
func (t *CheckType) UnmarshalText(b []byte) error {
	v, err := parseEnum(checkTypeNames, string(b))
	*t = CheckType(v)
	return err
}

// operandNeeded mirrors cas_is_check_operand_needed (src/base/idl_utils.h).
func (t CheckType) operandNeeded() bool { return t >= CTValueMatchAnywhere }

// MutateOperation is mutate_operation of idl/rrdb.thrift.
type MutateOperation int32

// mutate_operation values.
const (
	MOPut MutateOperation = iota
	MODelete
)

var mutateOperationNames = []string{"MO_PUT", "MO_DELETE"}

// String returns the IDL name, or "INVALID=<n>".
func (o MutateOperation) String() string { return enumName(mutateOperationNames, int32(o)) }

// MarshalText implements encoding.TextMarshaler.
func (o MutateOperation) MarshalText() ([]byte, error) { return []byte(o.String()), nil }

// UnmarshalText accepts what MarshalText writes, or a decimal number.
func (o *MutateOperation) UnmarshalText(b []byte) error {
	v, err := parseEnum(mutateOperationNames, string(b))
	*o = MutateOperation(v)
	return err
}

// UpdateType is update_type of idl/rrdb.thrift (Pegasus HEAD): it marks puts
// that the primary translated from atomic writes (incr, check_and_set,
// check_and_mutate) when idempotent atomic writes are enabled.
type UpdateType int32

// update_type values.
const (
	UTPut UpdateType = iota
	UTIncr
	UTCheckAndSet
	UTCheckAndMutatePut
	UTCheckAndMutateRemove
)

var updateTypeNames = []string{
	"UT_PUT", "UT_INCR", "UT_CHECK_AND_SET", "UT_CHECK_AND_MUTATE_PUT", "UT_CHECK_AND_MUTATE_REMOVE",
}

// String returns the IDL name, or "INVALID=<n>".
func (u UpdateType) String() string { return enumName(updateTypeNames, int32(u)) }

// MarshalText implements encoding.TextMarshaler.
func (u UpdateType) MarshalText() ([]byte, error) { return []byte(u.String()), nil }

// UnmarshalText accepts what MarshalText writes, or a decimal number.
func (u *UpdateType) UnmarshalText(b []byte) error {
	v, err := parseEnum(updateTypeNames, string(b))
	*u = UpdateType(v)
	return err
}

func enumName(names []string, v int32) string {
	if v >= 0 && int(v) < len(names) {
		return names[v]
	}
	return "INVALID=" + strconv.Itoa(int(v))
}

// parseEnum is the inverse of enumName; it also takes bare numbers so that
// out-of-range values written by a buggy client survive a JSON round trip.
func parseEnum(names []string, s string) (int32, error) {
	for i, n := range names {
		if s == n {
			return int32(i), nil
		}
	}
	v, err := strconv.ParseInt(strings.TrimPrefix(s, "INVALID="), 10, 32)
	if err != nil {
		return 0, fmt.Errorf("rrdb: unknown enum value %q", s)
	}
	return int32(v), nil
}

// Request is a decoded write request: one of *Empty, *Put, *Remove,
// *MultiPut, *MultiRemove, *Incr, *CheckAndSet, *CheckAndMutate.
type Request interface {
	// Code returns the task-code name the request is logged under.
	Code() string
}

// Empty is RPC_REPLICATION_WRITE_EMPTY, the update of a mutation without
// client requests; its data is ignored.
type Empty struct{}

// Put is update_request (RPC_RRDB_RRDB_PUT), with its key split into hash
// and sort key. The optional fields (nil when absent) only appear at Pegasus
// HEAD, in puts translated from atomic writes.
type Put struct {
	HashKey         Bytes `json:"hash_key"`
	SortKey         Bytes `json:"sort_key"`
	Value           Bytes `json:"value"`
	ExpireTsSeconds int32 `json:"expire_ts_seconds"`

	Type               *UpdateType `json:"type,omitempty"`
	CheckValueReturned *bool       `json:"check_value_returned,omitempty"`
	CheckValueExist    *bool       `json:"check_value_exist,omitempty"`
	CheckValue         *Bytes      `json:"check_value,omitempty"`
}

// Remove is RPC_RRDB_RRDB_REMOVE, whose request is a bare key blob.
type Remove struct {
	HashKey Bytes `json:"hash_key"`
	SortKey Bytes `json:"sort_key"`
}

// KV is key_value; within multi_put_request its key is the sort key.
type KV struct {
	SortKey         Bytes  `json:"sort_key"`
	Value           Bytes  `json:"value"`
	ExpireTsSeconds *int32 `json:"expire_ts_seconds,omitempty"` // optional, unused by the server
}

// MultiPut is multi_put_request (RPC_RRDB_RRDB_MULTI_PUT).
type MultiPut struct {
	HashKey         Bytes `json:"hash_key"`
	Kvs             []KV  `json:"kvs"`
	ExpireTsSeconds int32 `json:"expire_ts_seconds"`
}

// MultiRemove is multi_remove_request (RPC_RRDB_RRDB_MULTI_REMOVE).
type MultiRemove struct {
	HashKey  Bytes   `json:"hash_key"`
	SortKeys []Bytes `json:"sort_keys"`
	MaxCount int64   `json:"max_count"` // deprecated in the IDL
}

// Incr is incr_request (RPC_RRDB_RRDB_INCR), with its key split.
type Incr struct {
	HashKey         Bytes `json:"hash_key"`
	SortKey         Bytes `json:"sort_key"`
	Increment       int64 `json:"increment"`
	ExpireTsSeconds int32 `json:"expire_ts_seconds"`
}

// CheckAndSet is check_and_set_request (RPC_RRDB_RRDB_CHECK_AND_SET).
type CheckAndSet struct {
	HashKey            Bytes     `json:"hash_key"`
	CheckSortKey       Bytes     `json:"check_sort_key"`
	CheckType          CheckType `json:"check_type"`
	CheckOperand       Bytes     `json:"check_operand"`
	SetDiffSortKey     bool      `json:"set_diff_sort_key"`
	SetSortKey         Bytes     `json:"set_sort_key"`
	SetValue           Bytes     `json:"set_value"`
	SetExpireTsSeconds int32     `json:"set_expire_ts_seconds"`
	ReturnCheckValue   bool      `json:"return_check_value"`
}

// Mutate is one mutate of a check_and_mutate_request.
type Mutate struct {
	Operation          MutateOperation `json:"operation"`
	SortKey            Bytes           `json:"sort_key"`
	Value              Bytes           `json:"value"`
	SetExpireTsSeconds int32           `json:"set_expire_ts_seconds"`
}

// CheckAndMutate is check_and_mutate_request (RPC_RRDB_RRDB_CHECK_AND_MUTATE).
type CheckAndMutate struct {
	HashKey          Bytes     `json:"hash_key"`
	CheckSortKey     Bytes     `json:"check_sort_key"`
	CheckType        CheckType `json:"check_type"`
	CheckOperand     Bytes     `json:"check_operand"`
	MutateList       []Mutate  `json:"mutate_list"`
	ReturnCheckValue bool      `json:"return_check_value"`
}

// Code implements Request.
func (*Empty) Code() string { return CodeEmpty }

// Code implements Request.
func (*Put) Code() string { return CodePut }

// Code implements Request.
func (*Remove) Code() string { return CodeRemove }

// Code implements Request.
func (*MultiPut) Code() string { return CodeMultiPut }

// Code implements Request.
func (*MultiRemove) Code() string { return CodeMultiRemove }

// Code implements Request.
func (*Incr) Code() string { return CodeIncr }

// Code implements Request.
func (*CheckAndSet) Code() string { return CodeCheckAndSet }

// Code implements Request.
func (*CheckAndMutate) Code() string { return CodeCheckAndMutate }
