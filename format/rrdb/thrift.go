package rrdb

import (
	"encoding/binary"
	"fmt"
)

// Thrift binary protocol type ids (TType of Apache Thrift).
const (
	tStop   byte = 0
	tBool   byte = 2
	tByte   byte = 3
	tDouble byte = 4
	tI16    byte = 6
	tI32    byte = 8
	tI64    byte = 10
	tString byte = 11
	tStruct byte = 12
	tMap    byte = 13
	tSet    byte = 14
	tList   byte = 15
	tUUID   byte = 16
)

// maxDepth is Thrift's default recursion limit (TProtocol::recursion_limit_),
// which keeps hostile nesting from exhausting the stack.
const maxDepth = 64

var be = binary.BigEndian

// reader decodes thrift binary with a sticky error: after the first failure
// every read returns zero values and field() returns STOP, so decoders can
// be written straight-line and check r.err once.
type reader struct {
	buf   []byte
	off   int
	depth int
	err   *MalformedError
}

func (r *reader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = &MalformedError{Offset: r.off, Msg: fmt.Sprintf(format, args...)}
	}
}

// take returns the next n bytes, capped so that appending to the result
// cannot overwrite the caller's buffer.
func (r *reader) take(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > len(r.buf)-r.off {
		r.fail("need %d bytes, have %d", n, len(r.buf)-r.off)
		return nil
	}
	b := r.buf[r.off : r.off+n : r.off+n]
	r.off += n
	return b
}

func (r *reader) u8() byte {
	if b := r.take(1); b != nil {
		return b[0]
	}
	return 0
}

func (r *reader) i16() int16 {
	if b := r.take(2); b != nil {
		return int16(be.Uint16(b))
	}
	return 0
}

func (r *reader) i32() int32 {
	if b := r.take(4); b != nil {
		return int32(be.Uint32(b))
	}
	return 0
}

func (r *reader) i64() int64 {
	if b := r.take(8); b != nil {
		return int64(be.Uint64(b))
	}
	return 0
}

// bool mirrors TBinaryProtocol::readBool: any non-zero byte is true.
func (r *reader) bool() bool { return r.u8() != 0 }

// size reads a string or container length; negative ones are rejected like
// TBinaryProtocol's NEGATIVE_SIZE.
func (r *reader) size() int {
	n := r.i32()
	if n < 0 {
		r.fail("negative size %d", n)
		return 0
	}
	return int(n)
}

// blob reads a dsn.blob (thrift binary). Empty blobs decode as nil so that
// decoded and freshly built requests compare equal.
func (r *reader) blob() Bytes {
	b := r.take(r.size())
	if len(b) == 0 {
		return nil
	}
	return b
}

// key splits a Pegasus key blob like pegasus_restore_key
// (src/base/pegasus_key_schema.h), which CHECK-fails on keys shorter than
// 2 bytes or with an overlong hash key length; we report those instead.
func (r *reader) key(raw Bytes) (hashKey, sortKey Bytes) {
	if r.err != nil {
		return nil, nil
	}
	if len(raw) < 2 {
		r.fail("pegasus key of %d bytes, need at least 2", len(raw))
		return nil, nil
	}
	n := int(be.Uint16(raw))
	if 2+n > len(raw) {
		r.fail("pegasus key of %d bytes with hash key length %d", len(raw), n)
		return nil, nil
	}
	hashKey, sortKey = raw[2:2+n:2+n], raw[2+n:]
	if len(hashKey) == 0 {
		hashKey = nil
	}
	if len(sortKey) == 0 {
		sortKey = nil
	}
	return hashKey, sortKey
}

// field reads a field header; STOP carries no id.
func (r *reader) field() (typ byte, id int16) {
	typ = r.u8()
	if r.err != nil || typ == tStop {
		return tStop, 0
	}
	return typ, r.i16()
}

// enter and leave bracket every struct and container: past maxDepth the
// reader fails, which also ends the caller's loop.
func (r *reader) enter() {
	r.depth++
	if r.depth > maxDepth {
		r.fail("nesting deeper than %d", maxDepth)
	}
}

func (r *reader) leave() { r.depth-- }

// fieldKey identifies a struct field by id and wire type. Like the
// generated C++ read(), decoders decode a field only if both match the IDL
// and skip anything else.
type fieldKey struct {
	id  int16
	typ byte
}

// next reads the next field header of the current struct; it reports
// false at STOP or on error. Decoders loop on it between enter and leave.
func (r *reader) next() (fieldKey, bool) {
	if r.err != nil {
		return fieldKey{}, false
	}
	typ, id := r.field()
	return fieldKey{id, typ}, typ != tStop
}

// readList reads a list whose elements take at least minSize bytes each;
// an empty list is nil. The element type is not checked, as in the
// generated C++ code. Capacity comes from the count bounded by what the
// remaining input can hold, so a lying count costs nothing while an honest
// one gets one exact allocation instead of repeated growth (which totals
// ~5x the final size for large slices).
func readList[T any](r *reader, minSize int, elem func(*reader) T) []T {
	r.u8() // element type
	n := r.size()
	r.enter()
	defer r.leave()
	if n == 0 || r.err != nil {
		return nil
	}
	out := make([]T, 0, min(n, (len(r.buf)-r.off)/minSize))
	for len(out) < n {
		e := elem(r)
		if r.err != nil {
			return nil
		}
		out = append(out, e)
	}
	return out
}

// skip consumes one value of type typ, mirroring TProtocolUtil::skip.
// It cannot know about STRUCT-tagged blobs; only use it for fields the IDL
// does not describe.
func (r *reader) skip(typ byte) {
	switch typ {
	case tBool, tByte:
		r.take(1)
	case tI16:
		r.take(2)
	case tI32:
		r.take(4)
	case tDouble, tI64:
		r.take(8)
	case tUUID:
		r.take(16)
	case tString:
		r.take(r.size())
	case tStruct:
		r.enter()
		for f, ok := r.next(); ok; f, ok = r.next() {
			r.skip(f.typ)
		}
		r.leave()
	case tMap:
		kt, vt := r.u8(), r.u8()
		n := r.size()
		r.enter()
		for i := 0; i < n && r.err == nil; i++ {
			r.skip(kt)
			r.skip(vt)
		}
		r.leave()
	case tSet, tList:
		et := r.u8()
		n := r.size()
		r.enter()
		for i := 0; i < n && r.err == nil; i++ {
			r.skip(et)
		}
		r.leave()
	default:
		r.fail("unknown thrift type %d", typ)
	}
}

// writer appends thrift binary. Blob fields are tagged STRUCT but written
// as binary, which is what rDSN's dsn::blob::write produces.
type writer struct{ b []byte }

func (w *writer) field(typ byte, id int16) { w.b = append(w.b, typ, byte(id>>8), byte(id)) }
func (w *writer) stop()                    { w.b = append(w.b, tStop) }
func (w *writer) i32(v int32)              { w.b = be.AppendUint32(w.b, uint32(v)) }
func (w *writer) i64(v int64)              { w.b = be.AppendUint64(w.b, uint64(v)) }

func (w *writer) bool(v bool) {
	if v {
		w.b = append(w.b, 1)
	} else {
		w.b = append(w.b, 0)
	}
}

func (w *writer) blob(b []byte) {
	w.i32(int32(len(b)))
	w.b = append(w.b, b...)
}

// key writes a Pegasus key blob like pegasus_generate_key.
func (w *writer) key(hashKey, sortKey []byte) {
	checkHashKey(hashKey)
	w.i32(int32(2 + len(hashKey) + len(sortKey)))
	w.b = be.AppendUint16(w.b, uint16(len(hashKey)))
	w.b = append(w.b, hashKey...)
	w.b = append(w.b, sortKey...)
}

func (w *writer) blobField(id int16, b []byte) {
	w.field(tStruct, id)
	w.blob(b)
}

func (w *writer) i32Field(id int16, v int32) {
	w.field(tI32, id)
	w.i32(v)
}

func (w *writer) i64Field(id int16, v int64) {
	w.field(tI64, id)
	w.i64(v)
}

func (w *writer) boolField(id int16, v bool) {
	w.field(tBool, id)
	w.bool(v)
}

// listField writes a list field header; element type STRUCT is what the
// generated code uses both for structs and for blobs.
func (w *writer) listField(id int16, n int) {
	w.field(tList, id)
	w.b = append(w.b, tStruct)
	w.i32(int32(n))
}
