package dataroot

import (
	"fmt"
	"strconv"
)

// This file mirrors apache::thrift::protocol::TJSONProtocol as built into
// Pegasus (thirdparty: thrift 0.9.3, lib/cpp/src/thrift/protocol/
// TJSONProtocol.cpp), for the subset .app-info needs. The byte-level rules
// that matter:
//   - a struct is an object keyed by the field id as a quoted number, each
//     value an object {"<type>":<value>}; there is no field-stop marker;
//   - separators come from a context stack (JSONPairContext toggles ':'
//     and ','; JSONListContext writes ','); numbers are quoted exactly when
//     they are the key of a pair (escapeNum);
//   - a map is ["<ktype>","<vtype>",<count>,{k:v,...}], a list
//     ["<etype>",<count>,v,...]; bools are the integers 1 and 0;
//   - strings are written byte by byte: '"' and '\' get a backslash,
//     \b \t \n \f \r their short escapes, other bytes < 0x20 "\u00xx"
//     (lower-case hex), everything else (including '/' and UTF-8) raw;
//   - the reader accepts no whitespace anywhere, only "\u00xx" among the
//     \u escapes (0.9.3 readJSONEscapeChar), and only lower-case hex.

// TJSON type names (getTypeNameForTypeID).
const (
	tjBool   = "tf"
	tjByte   = "i8"
	tjI16    = "i16"
	tjI32    = "i32"
	tjI64    = "i64"
	tjDouble = "dbl"
	tjStruct = "rec"
	tjString = "str"
	tjMap    = "map"
	tjList   = "lst"
	tjSet    = "set"
)

// tjCtx is TJSONContext: base (no separators), pair or list.
type tjCtx struct {
	pair, list bool
	first      bool
	colon      bool
}

func pairCtx() tjCtx { return tjCtx{pair: true, first: true, colon: true} }
func listCtx() tjCtx { return tjCtx{list: true, first: true} }

// next returns the separator to put before the next item, if any, and
// advances the context (JSONPairContext::write / JSONListContext::write).
func (c *tjCtx) next() byte {
	switch {
	case c.first:
		c.first = false
		c.colon = true
		return 0
	case c.pair:
		sep := byte(',')
		if c.colon {
			sep = ':'
		}
		c.colon = !c.colon
		return sep
	case c.list:
		return ','
	}
	return 0
}

// escapeNum: a number is quoted when it is the key of a pair.
func (c *tjCtx) escapeNum() bool { return c.pair && c.colon }

type tjWriter struct {
	buf []byte
	ctx []tjCtx
}

func newTJWriter(prefix []byte) *tjWriter {
	return &tjWriter{buf: prefix, ctx: []tjCtx{{}}}
}

func (w *tjWriter) top() *tjCtx { return &w.ctx[len(w.ctx)-1] }

func (w *tjWriter) sep() {
	if s := w.top().next(); s != 0 {
		w.buf = append(w.buf, s)
	}
}

func (w *tjWriter) objectStart() {
	w.sep()
	w.buf = append(w.buf, '{')
	w.ctx = append(w.ctx, pairCtx())
}

func (w *tjWriter) objectEnd() {
	w.ctx = w.ctx[:len(w.ctx)-1]
	w.buf = append(w.buf, '}')
}

func (w *tjWriter) arrayStart() {
	w.sep()
	w.buf = append(w.buf, '[')
	w.ctx = append(w.ctx, listCtx())
}

func (w *tjWriter) arrayEnd() {
	w.ctx = w.ctx[:len(w.ctx)-1]
	w.buf = append(w.buf, ']')
}

func (w *tjWriter) integer(v int64) {
	w.sep()
	q := w.top().escapeNum()
	if q {
		w.buf = append(w.buf, '"')
	}
	w.buf = strconv.AppendInt(w.buf, v, 10)
	if q {
		w.buf = append(w.buf, '"')
	}
}

func (w *tjWriter) str(s string) {
	w.sep()
	w.buf = append(w.buf, '"')
	for i := 0; i < len(s); i++ {
		w.buf = appendTJSONChar(w.buf, s[i])
	}
	w.buf = append(w.buf, '"')
}

// appendTJSONChar is TJSONProtocol::writeJSONChar with kJSONCharTable.
func appendTJSONChar(b []byte, c byte) []byte {
	switch {
	case c == '\\':
		return append(b, '\\', '\\')
	case c == '"':
		return append(b, '\\', '"')
	case c >= 0x20:
		return append(b, c)
	}
	switch c {
	case '\b':
		return append(b, '\\', 'b')
	case '\t':
		return append(b, '\\', 't')
	case '\n':
		return append(b, '\\', 'n')
	case '\f':
		return append(b, '\\', 'f')
	case '\r':
		return append(b, '\\', 'r')
	}
	const hex = "0123456789abcdef"
	return append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
}

func (w *tjWriter) structBegin() { w.objectStart() }
func (w *tjWriter) structEnd()   { w.objectEnd() }

func (w *tjWriter) fieldBegin(id int16, typ string) {
	w.integer(int64(id))
	w.objectStart()
	w.str(typ)
}

func (w *tjWriter) fieldEnd() { w.objectEnd() }

func (w *tjWriter) mapBegin(ktype, vtype string, n int) {
	w.arrayStart()
	w.str(ktype)
	w.str(vtype)
	w.integer(int64(n))
	w.objectStart()
}

func (w *tjWriter) mapEnd() { w.objectEnd(); w.arrayEnd() }

func (w *tjWriter) boolean(v bool) {
	if v {
		w.integer(1)
	} else {
		w.integer(0)
	}
}

// errTJSON is the reader's panic value; decode functions recover only it.
type errTJSON struct{ err error }

// tjReader is the reading half of TJSONProtocol over an in-memory buffer.
// Errors panic with errTJSON (thrift throws TProtocolException) and are
// turned back into errors by catchTJSON at the API boundary.
type tjReader struct {
	b   []byte
	pos int
	ctx []tjCtx
}

func newTJReader(b []byte) *tjReader { return &tjReader{b: b, ctx: []tjCtx{{}}} }

func (r *tjReader) fail(format string, args ...any) {
	panic(errTJSON{fmt.Errorf("at byte %d: %s", r.pos, fmt.Sprintf(format, args...))})
}

func catchTJSON(err *error) {
	if v := recover(); v != nil {
		e, ok := v.(errTJSON)
		if !ok {
			panic(v)
		}
		*err = e.err
	}
}

func (r *tjReader) top() *tjCtx { return &r.ctx[len(r.ctx)-1] }

func (r *tjReader) read() byte {
	if r.pos >= len(r.b) {
		r.fail("unexpected end of data")
	}
	c := r.b[r.pos]
	r.pos++
	return c
}

// peek returns 0 at the end; no valid token starts with 0.
func (r *tjReader) peek() byte {
	if r.pos >= len(r.b) {
		return 0
	}
	return r.b[r.pos]
}

func (r *tjReader) expect(c byte) {
	if got := r.read(); got != c {
		r.pos--
		r.fail("want %q, got %q", c, got)
	}
}

func (r *tjReader) sep() {
	if s := r.top().next(); s != 0 {
		r.expect(s)
	}
}

func (r *tjReader) objectStart() {
	r.sep()
	r.expect('{')
	r.ctx = append(r.ctx, pairCtx())
}

func (r *tjReader) objectEnd() {
	r.expect('}')
	r.ctx = r.ctx[:len(r.ctx)-1]
}

func (r *tjReader) arrayStart() {
	r.sep()
	r.expect('[')
	r.ctx = append(r.ctx, listCtx())
}

func (r *tjReader) arrayEnd() {
	r.expect(']')
	r.ctx = r.ctx[:len(r.ctx)-1]
}

// numeric reads the run of [-+.0-9Ee] (readJSONNumericChars).
func (r *tjReader) numeric() string {
	start := r.pos
	for {
		switch r.peek() {
		case '+', '-', '.', 'E', 'e', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
			r.pos++
			continue
		}
		return string(r.b[start:r.pos])
	}
}

func (r *tjReader) integer(bits int) int64 {
	r.sep()
	q := r.top().escapeNum()
	if q {
		r.expect('"')
	}
	s := r.numeric()
	v, err := strconv.ParseInt(s, 10, bits)
	if err != nil {
		r.fail("want a %d-bit integer, got %q", bits, s)
	}
	if q {
		r.expect('"')
	}
	return v
}

func (r *tjReader) boolean() bool {
	switch v := r.integer(64); v {
	case 0:
		return false
	case 1:
		return true
	default:
		r.fail("want bool 0 or 1, got %d", v)
	}
	return false
}

func (r *tjReader) double() {
	r.sep()
	if r.peek() == '"' { // "NaN", "Infinity", "-Infinity", or a quoted key
		r.rawString()
		return
	}
	s := r.numeric()
	if _, err := strconv.ParseFloat(s, 64); err != nil {
		r.fail("want a double, got %q", s)
	}
}

func (r *tjReader) str() string { r.sep(); return r.rawString() }

// rawString is readJSONString(skipContext=true) of thrift 0.9.3.
func (r *tjReader) rawString() string {
	r.expect('"')
	var out []byte
	for {
		c := r.read()
		if c == '"' {
			return string(out)
		}
		if c != '\\' {
			out = append(out, c)
			continue
		}
		switch e := r.read(); e {
		case '"', '\\':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r.expect('0')
			r.expect('0')
			hi, lo := r.hexVal(), r.hexVal()
			out = append(out, hi<<4|lo)
		default:
			r.pos--
			r.fail("bad escape \\%c", e)
		}
	}
}

// hexVal accepts only [0-9a-f], like thrift's hexVal.
func (r *tjReader) hexVal() byte {
	c := r.read()
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	r.pos--
	r.fail("want a lower-case hex digit, got %q", c)
	return 0
}

// typeName is getTypeIDForTypeName, which looks at the first one or two
// characters only; it returns the canonical name.
func (r *tjReader) typeName() string {
	s := r.str()
	if len(s) > 1 {
		switch s[0] {
		case 'd':
			return tjDouble
		case 'i':
			switch s[1] {
			case '8':
				return tjByte
			case '1':
				return tjI16
			case '3':
				return tjI32
			case '6':
				return tjI64
			}
		case 'l':
			return tjList
		case 'm':
			return tjMap
		case 'r':
			return tjStruct
		case 's':
			switch s[1] {
			case 't':
				return tjString
			case 'e':
				return tjSet
			}
		case 't':
			return tjBool
		}
	}
	r.fail("unknown type name %q", s)
	return ""
}

func (r *tjReader) structBegin() { r.objectStart() }
func (r *tjReader) structEnd()   { r.objectEnd() }

// fieldBegin returns ok=false at the closing '}' (T_STOP).
func (r *tjReader) fieldBegin() (id int16, typ string, ok bool) {
	if r.peek() == '}' {
		return 0, "", false
	}
	v := r.integer(64)
	if v < 0 || v > 1<<15-1 {
		r.fail("field id %d out of range", v)
	}
	r.objectStart()
	return int16(v), r.typeName(), true
}

func (r *tjReader) fieldEnd() { r.objectEnd() }

func (r *tjReader) mapBegin() (ktype, vtype string, n int) {
	r.arrayStart()
	ktype, vtype = r.typeName(), r.typeName()
	n = r.size()
	r.objectStart()
	return ktype, vtype, n
}

func (r *tjReader) mapEnd() { r.objectEnd(); r.arrayEnd() }

func (r *tjReader) listBegin() (etype string, n int) {
	r.arrayStart()
	etype = r.typeName()
	return etype, r.size()
}

func (r *tjReader) size() int {
	v := r.integer(64)
	if v < 0 || v > 1<<32-1 {
		r.fail("container size %d out of range", v)
	}
	if v > int64(len(r.b)) { // each element takes at least one byte
		r.fail("container size %d larger than the data", v)
	}
	return int(v)
}

// maxSkipDepth bounds recursion on hostile input (newer thrift versions
// limit TProtocol::skip the same way).
const maxSkipDepth = 64

// skip is TProtocol::skip: it consumes one value of type typ.
func (r *tjReader) skip(typ string, depth int) {
	if depth > maxSkipDepth {
		r.fail("nesting deeper than %d", maxSkipDepth)
	}
	switch typ {
	case tjBool:
		r.boolean()
	case tjByte:
		r.integer(8)
	case tjI16:
		r.integer(16)
	case tjI32:
		r.integer(32)
	case tjI64:
		r.integer(64)
	case tjDouble:
		r.double()
	case tjString:
		r.str()
	case tjStruct:
		r.structBegin()
		for {
			_, t, ok := r.fieldBegin()
			if !ok {
				break
			}
			r.skip(t, depth+1)
			r.fieldEnd()
		}
		r.structEnd()
	case tjMap:
		kt, vt, n := r.mapBegin()
		for i := 0; i < n; i++ {
			r.skip(kt, depth+1)
			r.skip(vt, depth+1)
		}
		r.mapEnd()
	case tjList, tjSet:
		et, n := r.listBegin()
		for i := 0; i < n; i++ {
			r.skip(et, depth+1)
		}
		r.arrayEnd()
	}
}
