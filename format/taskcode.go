package format

import "github.com/waltool/waltool/format/rrdb"

// codeIntern maps each registered write code (rrdb.KnownCodes) to one
// shared string, so that decoding a mutation does not allocate its names.
var codeIntern = func() map[string]string {
	m := make(map[string]string, len(rrdb.KnownCodes))
	for _, c := range rrdb.KnownCodes {
		m[c] = c
	}
	return m
}()

// internCode returns the shared string for a known name without allocating
// (the compiler elides the conversion in a map index); unknown names are
// copied so that they do not pin the block buffer.
func internCode(b []byte) string {
	if s, ok := codeIntern[string(b)]; ok {
		return s
	}
	return string(b)
}
