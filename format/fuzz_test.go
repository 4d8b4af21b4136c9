package format

import (
	"bytes"
	"testing"
)

func addFixtureSeeds(f *testing.F) {
	for _, fx := range pegasusFixtures {
		f.Add(readFixture(f, fx.name))
	}
}

// FuzzScan: any bytes give either a clean scan or an *Error inside the file,
// never a panic, and never a buffer larger than the file.
func FuzzScan(f *testing.F) {
	addFixtureSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		lf := LogFile{Path: "log.1.0", Index: 1, Size: int64(len(data))}
		r := NewReader(bytes.NewReader(data), lf.Path, lf.Size)
		for _, err := r.Next(); err == nil; _, err = r.Next() {
		}
		if cap(r.buf) > max(len(data), 1) {
			t.Fatalf("buffer of %d bytes for a %d-byte file", cap(r.buf), len(data))
		}
		s, err := Scan(bytes.NewReader(data), lf, func(m *Mutation, p Pos) error {
			if p.FileOffset+int64(p.Size) > int64(len(data)) {
				t.Fatalf("mutation at %d+%d past the end", p.FileOffset, p.Size)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if s.ValidBytes > int64(len(data)) {
			t.Fatalf("valid bytes %d > %d", s.ValidBytes, len(data))
		}
		if s.Err != nil {
			e, ok := AsError(s.Err)
			if !ok || e.Offset != s.ValidBytes || e.Offset > int64(len(data)) {
				t.Fatalf("error %v, valid bytes %d", s.Err, s.ValidBytes)
			}
		} else if s.ValidBytes != int64(len(data)) {
			t.Fatalf("clean scan stopped at %d of %d", s.ValidBytes, len(data))
		}
	})
}

// FuzzDecodeMutation: decoding never panics or reads past its input, and
// what decodes with version 0 re-encodes to the same bytes.
func FuzzDecodeMutation(f *testing.F) {
	for _, fx := range pegasusFixtures {
		data := readFixture(f, fx.name)
		f.Add(data[76:])
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var m Mutation
		n, err := DecodeMutation(b, &m)
		if err != nil {
			return
		}
		if n > len(b) || n != m.Size() {
			t.Fatalf("used %d of %d bytes, size %d", n, len(b), m.Size())
		}
		if m.Version == 0 && !bytes.Equal(m.Append(nil), b[:n]) {
			t.Fatal("re-encoding differs")
		}
	})
}

func FuzzDecodeFileHeader(f *testing.F) {
	for _, fx := range pegasusFixtures {
		f.Add(readFixture(f, fx.name)[16:60])
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		h, n, err := DecodeFileHeader(b)
		if err != nil {
			return
		}
		if n > len(b) || !bytes.Equal(h.Append(nil), b[:n]) {
			t.Fatal("header does not round-trip")
		}
	})
}
