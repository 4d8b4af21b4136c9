package rrdb

import (
	"errors"
	"fmt"
	"io"
)

// indent is INDENT of src/shell/commands.h.
const indent = "  "

// Formatter prints updates as the Pegasus shell's "mlog_dump -d" callback
// does (mlog_dump in src/shell/commands/debugger.cpp). EscapeAll mirrors
// the shell's escape_all switch: every byte of keys and values as \xNN.
//
// Deviations, since Pegasus aborts or has no data for them: a code it does
// not decode prints "ERROR: unsupported code <name>(-1)" (the numeric code
// is process-local and not in the log); data that fails to decode prints
// "ERROR: <error>"; CHECK_AND_MUTATE, unsupported in Pegasus, prints
//
//	[CHECK_AND_MUTATE] "hk" : IF SORT_KEY(ck) <CHECK_TYPE> ["operand" ]THEN MUTATE <n>
//	  [PUT] "hk" : "sk" => <set_expire_ts_seconds> : "value"    (MO_PUT)
//	  [REMOVE] "hk" : "sk"                                      (MO_DELETE)
//	  [INVALID=<op>] "hk" : "sk"                                (other operations)
//
// with the nested lines indented twice, like MULTI_PUT's.
type Formatter struct {
	EscapeAll bool
}

// FormatDetailed writes the "mlog_dump -d" line(s) for one update with
// Pegasus's default escaping. It returns only write errors.
func FormatDetailed(w io.Writer, code string, serializationType int32, data []byte) error {
	return Formatter{}.Format(w, code, serializationType, data)
}

// IsUnsupported reports whether err, from Decode of code, only says that
// no decoder exists for the code (mlog_dump prints "unsupported code"),
// as opposed to a payload of a known write that does not decode.
func IsUnsupported(code string, err error) bool {
	var ue *UnsupportedError
	_, decodable := decoders[code]
	return errors.As(err, &ue) && !decodable
}

// Format decodes one update and writes its line(s); see [Formatter]. It
// returns only write errors.
func (f Formatter) Format(w io.Writer, code string, serializationType int32, data []byte) error {
	req, err := Decode(code, serializationType, data)
	if err != nil {
		if IsUnsupported(code, err) {
			_, err = fmt.Fprintf(w, "%sERROR: unsupported code %s(-1)\n", indent, code)
		} else {
			_, err = fmt.Fprintf(w, "%sERROR: %v\n", indent, err)
		}
		return err
	}
	return f.WriteRequest(w, req)
}

// WriteRequest writes the line(s) for an already decoded request.
func (f Formatter) WriteRequest(w io.Writer, r Request) error {
	var b []byte
	q := func(s []byte) string { return CEscape(s, f.EscapeAll) }
	put := func(ind string, hk, sk []byte, expire int32, value []byte) {
		b = fmt.Appendf(b, "%s[PUT] \"%s\" : \"%s\" => %d : \"%s\"\n", ind, q(hk), q(sk), expire, q(value))
	}
	remove := func(ind string, hk, sk []byte) {
		b = fmt.Appendf(b, "%s[REMOVE] \"%s\" : \"%s\"\n", ind, q(hk), q(sk))
	}
	// check renders the condition shared by CHECK_AND_SET and
	// CHECK_AND_MUTATE; the operand is printed only when
	// cas_is_check_operand_needed says the check type uses it.
	check := func(hk, ck []byte, ct CheckType, operand []byte) string {
		op := ""
		if ct.operandNeeded() {
			op = "\"" + q(operand) + "\" "
		}
		return fmt.Sprintf("\"%s\" : IF SORT_KEY(%s) %s %s", q(hk), q(ck), ct, op)
	}

	switch r := r.(type) {
	case *Empty:
		b = append(b, indent+"[EMPTY]\n"...)
	case *Put:
		put(indent, r.HashKey, r.SortKey, r.ExpireTsSeconds, r.Value)
	case *Remove:
		remove(indent, r.HashKey, r.SortKey)
	case *MultiPut:
		b = fmt.Appendf(b, "%s[MULTI_PUT] %d\n", indent, len(r.Kvs))
		for _, kv := range r.Kvs {
			// Pegasus prints the request's expire_ts_seconds, not the kv's.
			put(indent+indent, r.HashKey, kv.SortKey, r.ExpireTsSeconds, kv.Value)
		}
	case *MultiRemove:
		b = fmt.Appendf(b, "%s[MULTI_REMOVE] %d\n", indent, len(r.SortKeys))
		for _, sk := range r.SortKeys {
			remove(indent+indent, r.HashKey, sk)
		}
	case *Incr:
		b = fmt.Appendf(b, "%s[INCR] \"%s\" : \"%s\" => %d\n", indent, q(r.HashKey), q(r.SortKey), r.Increment)
	case *CheckAndSet:
		setSortKey := r.CheckSortKey
		if r.SetDiffSortKey {
			setSortKey = r.SetSortKey
		}
		b = fmt.Appendf(b, "%s[CHECK_AND_SET] %sTHEN SET SORT_KEY(%s) => VALUE(%s) [expire=%d]\n",
			indent, check(r.HashKey, r.CheckSortKey, r.CheckType, r.CheckOperand),
			q(setSortKey), q(r.SetValue), r.SetExpireTsSeconds)
	case *CheckAndMutate:
		b = fmt.Appendf(b, "%s[CHECK_AND_MUTATE] %sTHEN MUTATE %d\n",
			indent, check(r.HashKey, r.CheckSortKey, r.CheckType, r.CheckOperand), len(r.MutateList))
		for _, m := range r.MutateList {
			switch m.Operation {
			case MOPut:
				put(indent+indent, r.HashKey, m.SortKey, m.SetExpireTsSeconds, m.Value)
			case MODelete:
				remove(indent+indent, r.HashKey, m.SortKey)
			default:
				b = fmt.Appendf(b, "%s[%s] \"%s\" : \"%s\"\n", indent+indent, m.Operation, q(r.HashKey), q(m.SortKey))
			}
		}
	default:
		return fmt.Errorf("rrdb: cannot format %T", r)
	}
	_, err := w.Write(b)
	return err
}

// CEscape escapes bytes like pegasus::utils::c_escape_string
// (src/base/pegasus_utils.cpp): \n \r \t \" \' \\ get backslash escapes,
// other bytes outside ' '..'~' become \xNN (upper-case hex); with
// escapeAll every byte becomes \xNN.
func CEscape(b []byte, escapeAll bool) string {
	const hex = "0123456789ABCDEF"
	out := make([]byte, 0, len(b))
	for _, c := range b {
		if escapeAll {
			out = append(out, '\\', 'x', hex[c>>4], hex[c&15])
			continue
		}
		switch c {
		case '\n':
			out = append(out, '\\', 'n')
		case '\r':
			out = append(out, '\\', 'r')
		case '\t':
			out = append(out, '\\', 't')
		case '"', '\'', '\\':
			out = append(out, '\\', c)
		default:
			if c < ' ' || c > '~' {
				out = append(out, '\\', 'x', hex[c>>4], hex[c&15])
			} else {
				out = append(out, c)
			}
		}
	}
	return string(out)
}
