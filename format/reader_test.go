package format

import (
	"bytes"
	"testing"

	"github.com/waltool/waltool/gpid"
)

// encodeLog is a file of n 1 KiB PUTs of one gpid, in batches of 16.
func encodeLog(n int) []byte {
	g := gpid.Gpid{App: 1, Partition: 1}
	enc, out := NewEncoder(nil, &FileHeader{Entries: []ReplicaLogInfo{{Gpid: g}}})
	for d := int64(1); d <= int64(n); d += 16 {
		var batch []*Mutation
		for i := d; i < d+16 && i <= int64(n); i++ {
			batch = append(batch, putMutation(g, 1, i, 1000))
		}
		var st EncoderState
		out, st = enc.Batch(out, batch)
		enc.Commit(st)
	}
	return out
}

// Scanning a file costs the same few allocations whatever its size and
// however many blocks it has: the read buffer is pooled for files smaller
// than a read chunk too, and blocks and mutations are decoded in place.
func TestScanAllocationsDoNotGrowWithTheFile(t *testing.T) {
	small, big := encodeLog(20), encodeLog(3000)
	if len(small) >= readChunk || len(big) <= 2*readChunk {
		t.Fatalf("files of %d and %d bytes", len(small), len(big))
	}
	allocs := func(data []byte) float64 {
		src := bytes.NewReader(data)
		lf := LogFile{Path: "log.1.0", Index: 1, Size: int64(len(data))}
		return testing.AllocsPerRun(20, func() {
			src.Reset(data)
			s, err := Scan(src, lf, func(*Mutation, Pos) error { return nil })
			if err != nil || s.Err != nil {
				t.Fatal(err, s.Err)
			}
		})
	}
	a, b := allocs(small), allocs(big)
	if a > 8 || b != a {
		t.Errorf("%v allocations scanning %d bytes, %v scanning %d bytes", a, len(small), b, len(big))
	}
}

// A block larger than the pooled chunk grows the buffer to what the file
// holds, and the grown buffer is reused.
func TestReaderGrowsForALargeBlock(t *testing.T) {
	var ms []*Mutation
	for d := int64(1); d <= 1100; d++ {
		ms = append(ms, putMutation(gpid.Gpid{App: 1, Partition: 0}, 1, d, 1024))
	}
	enc, data := NewEncoder(nil, &FileHeader{Entries: []ReplicaLogInfo{{Gpid: gpid.Gpid{App: 1, Partition: 0}}}})
	data, st := enc.Batch(data, ms)
	enc.Commit(st)
	for range 2 {
		n := 0
		s, err := Scan(bytes.NewReader(data), LogFile{Path: "log.1.0", Index: 1, Size: int64(len(data))}, func(*Mutation, Pos) error { n++; return nil })
		if err != nil || s.Err != nil || n != len(ms) || s.ValidBytes != int64(len(data)) {
			t.Fatalf("%d mutations, %d of %d bytes, %v %v", n, s.ValidBytes, len(data), err, s.Err)
		}
	}
}
