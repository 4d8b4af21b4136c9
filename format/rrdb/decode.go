package rrdb

import (
	"fmt"
	"strconv"
)

// MalformedError reports data that is not a valid request of its code.
type MalformedError struct {
	Code   string // task-code name
	Offset int    // byte offset in data where decoding failed
	Msg    string
}

func (e *MalformedError) Error() string {
	return fmt.Sprintf("rrdb: malformed %s at offset %d: %s", e.Code, e.Offset, e.Msg)
}

// UnsupportedError reports a code [Decode] does not decode (an unknown
// name, DUPLICATE, BULK_LOAD) or a serialization type other than thrift
// binary. Callers are expected to print it and continue.
type UnsupportedError struct {
	Code              string
	SerializationType int32
}

func (e *UnsupportedError) Error() string {
	if _, ok := decoders[e.Code]; ok {
		return "rrdb: " + e.Code + ": unsupported serialization type " +
			strconv.Itoa(int(e.SerializationType)) + " (only 1, thrift binary)"
	}
	return "rrdb: unsupported code " + strconv.Quote(e.Code)
}

// decoders maps each decodable code to the reader of its request value.
var decoders = map[string]func(*reader) Request{
	CodePut:            func(r *reader) Request { return readPut(r) },
	CodeRemove:         func(r *reader) Request { return readRemove(r) },
	CodeMultiPut:       func(r *reader) Request { return readMultiPut(r) },
	CodeMultiRemove:    func(r *reader) Request { return readMultiRemove(r) },
	CodeIncr:           func(r *reader) Request { return readIncr(r) },
	CodeCheckAndSet:    func(r *reader) Request { return readCheckAndSet(r) },
	CodeCheckAndMutate: func(r *reader) Request { return readCheckAndMutate(r) },
}

// Decode decodes the data of one mutation update. [CodeEmpty] yields
// *Empty whatever the data. Other codes need serializationType
// [SerializationThriftBinary]; see the package documentation for the
// result types and the error contract.
func Decode(code string, serializationType int32, data []byte) (Request, error) {
	if code == CodeEmpty {
		return &Empty{}, nil
	}
	read, ok := decoders[code]
	if !ok || serializationType != SerializationThriftBinary {
		return nil, &UnsupportedError{Code: code, SerializationType: serializationType}
	}
	// Mirror unmarshall_thrift_internal
	// (src/common/serialization_helper/thrift_helper.h): the first field,
	// whatever its id and type, holds the request; then one more field
	// header (normally STOP) is read and anything after it is ignored.
	r := &reader{buf: data}
	if typ, _ := r.field(); typ == tStop {
		r.fail("no request field")
	}
	req := read(r)
	r.field()
	if r.err != nil {
		r.err.Code = code
		return nil, r.err
	}
	return req, nil
}

func readPut(r *reader) *Put {
	p := &Put{}
	haveKey := false
	r.enter()
	for f, ok := r.next(); ok; f, ok = r.next() {
		switch f {
		case fieldKey{1, tStruct}:
			p.HashKey, p.SortKey = r.key(r.blob())
			haveKey = true
		case fieldKey{2, tStruct}:
			p.Value = r.blob()
		case fieldKey{3, tI32}:
			p.ExpireTsSeconds = r.i32()
		case fieldKey{4, tI32}:
			t := UpdateType(r.i32())
			p.Type = &t
		case fieldKey{5, tBool}:
			v := r.bool()
			p.CheckValueReturned = &v
		case fieldKey{6, tBool}:
			v := r.bool()
			p.CheckValueExist = &v
		case fieldKey{7, tStruct}:
			v := r.blob()
			p.CheckValue = &v
		default:
			r.skip(f.typ)
		}
	}
	r.leave()
	requireKey(r, haveKey)
	return p
}

// requireKey rejects a missing key: Pegasus would restore it from an empty
// blob and CHECK-fail.
func requireKey(r *reader, have bool) {
	if !have {
		r.fail("request has no key field")
	}
}

func readRemove(r *reader) *Remove {
	h, s := r.key(r.blob())
	return &Remove{HashKey: h, SortKey: s}
}

func readMultiPut(r *reader) *MultiPut {
	m := &MultiPut{}
	r.enter()
	for f, ok := r.next(); ok; f, ok = r.next() {
		switch f {
		case fieldKey{1, tStruct}:
			m.HashKey = r.blob()
		case fieldKey{2, tList}:
			m.Kvs = readList(r, 1, readKV)
		case fieldKey{3, tI32}:
			m.ExpireTsSeconds = r.i32()
		default:
			r.skip(f.typ)
		}
	}
	r.leave()
	return m
}

func readKV(r *reader) KV {
	var kv KV
	r.enter()
	for f, ok := r.next(); ok; f, ok = r.next() {
		switch f {
		case fieldKey{1, tStruct}:
			kv.SortKey = r.blob()
		case fieldKey{2, tStruct}:
			kv.Value = r.blob()
		case fieldKey{3, tI32}:
			v := r.i32()
			kv.ExpireTsSeconds = &v
		default:
			r.skip(f.typ)
		}
	}
	r.leave()
	return kv
}

func readMultiRemove(r *reader) *MultiRemove {
	m := &MultiRemove{}
	r.enter()
	for f, ok := r.next(); ok; f, ok = r.next() {
		switch f {
		case fieldKey{1, tStruct}:
			m.HashKey = r.blob()
		case fieldKey{2, tList}:
			m.SortKeys = readList(r, 4, (*reader).blob)
		case fieldKey{3, tI64}:
			m.MaxCount = r.i64()
		default:
			r.skip(f.typ)
		}
	}
	r.leave()
	return m
}

func readIncr(r *reader) *Incr {
	in := &Incr{}
	haveKey := false
	r.enter()
	for f, ok := r.next(); ok; f, ok = r.next() {
		switch f {
		case fieldKey{1, tStruct}:
			in.HashKey, in.SortKey = r.key(r.blob())
			haveKey = true
		case fieldKey{2, tI64}:
			in.Increment = r.i64()
		case fieldKey{3, tI32}:
			in.ExpireTsSeconds = r.i32()
		default:
			r.skip(f.typ)
		}
	}
	r.leave()
	requireKey(r, haveKey)
	return in
}

func readCheckAndSet(r *reader) *CheckAndSet {
	c := &CheckAndSet{}
	r.enter()
	for f, ok := r.next(); ok; f, ok = r.next() {
		switch f {
		case fieldKey{1, tStruct}:
			c.HashKey = r.blob()
		case fieldKey{2, tStruct}:
			c.CheckSortKey = r.blob()
		case fieldKey{3, tI32}:
			c.CheckType = CheckType(r.i32())
		case fieldKey{4, tStruct}:
			c.CheckOperand = r.blob()
		case fieldKey{5, tBool}:
			c.SetDiffSortKey = r.bool()
		case fieldKey{6, tStruct}:
			c.SetSortKey = r.blob()
		case fieldKey{7, tStruct}:
			c.SetValue = r.blob()
		case fieldKey{8, tI32}:
			c.SetExpireTsSeconds = r.i32()
		case fieldKey{9, tBool}:
			c.ReturnCheckValue = r.bool()
		default:
			r.skip(f.typ)
		}
	}
	r.leave()
	return c
}

func readCheckAndMutate(r *reader) *CheckAndMutate {
	c := &CheckAndMutate{}
	r.enter()
	for f, ok := r.next(); ok; f, ok = r.next() {
		switch f {
		case fieldKey{1, tStruct}:
			c.HashKey = r.blob()
		case fieldKey{2, tStruct}:
			c.CheckSortKey = r.blob()
		case fieldKey{3, tI32}:
			c.CheckType = CheckType(r.i32())
		case fieldKey{4, tStruct}:
			c.CheckOperand = r.blob()
		case fieldKey{5, tList}:
			c.MutateList = readList(r, 1, readMutate)
		case fieldKey{6, tBool}:
			c.ReturnCheckValue = r.bool()
		default:
			r.skip(f.typ)
		}
	}
	r.leave()
	return c
}

func readMutate(r *reader) Mutate {
	var m Mutate
	r.enter()
	for f, ok := r.next(); ok; f, ok = r.next() {
		switch f {
		case fieldKey{1, tI32}:
			m.Operation = MutateOperation(r.i32())
		case fieldKey{2, tStruct}:
			m.SortKey = r.blob()
		case fieldKey{3, tStruct}:
			m.Value = r.blob()
		case fieldKey{4, tI32}:
			m.SetExpireTsSeconds = r.i32()
		default:
			r.skip(f.typ)
		}
	}
	r.leave()
	return m
}
