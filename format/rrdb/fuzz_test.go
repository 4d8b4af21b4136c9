package rrdb

import (
	"io"
	"reflect"
	"testing"
)

// FuzzDecode feeds arbitrary data to every decodable code. Decode must not
// panic; whatever it accepts must re-encode to something that decodes to
// the same request, and must format without error.
func FuzzDecode(f *testing.F) {
	f.Add(realPut)
	for _, req := range samples() {
		for _, id := range []int16{0, 1} {
			data, _ := Encode(req, id)
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for code := range decoders {
			req, err := Decode(code, SerializationThriftBinary, data)
			if err != nil {
				continue
			}
			if err := FormatDetailed(io.Discard, code, SerializationThriftBinary, data); err != nil {
				t.Fatal(err)
			}
			enc, err := Encode(req, 0)
			if err != nil {
				continue // e.g. a raw hash key longer than MaxHashKeyLen
			}
			again, err := Decode(code, SerializationThriftBinary, enc)
			if err != nil {
				t.Fatalf("%s: re-encoded %x: %v", code, enc, err)
			}
			if !reflect.DeepEqual(req, again) {
				t.Fatalf("%s: %+v re-decoded as %+v", code, req, again)
			}
		}
	})
}
