package format

import (
	"bytes"
	"sync"
	"testing"

	"github.com/waltool/waltool/gpid"
)

// benchLog is a 64 MiB file of 1 KiB PUT mutations in batches of 16, the
// shape of a busy plog. Built once.
var benchLog = sync.OnceValue(func() []byte {
	g := gpid.Gpid{App: 1, Partition: 1}
	enc, out := NewEncoder(make([]byte, 0, 65<<20), &FileHeader{Entries: []ReplicaLogInfo{{Gpid: g}}})
	var d int64
	for len(out) < 64<<20 {
		batch := make([]*Mutation, 16)
		for i := range batch {
			d++
			batch[i] = putMutation(g, 1, d, 1000)
		}
		var st EncoderState
		out, st = enc.Batch(out, batch)
		enc.Commit(st)
	}
	return out
})

// The ceiling: CRC-32C over the same bytes, no parsing.
func BenchmarkCRC32C(b *testing.B) {
	data := benchLog()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		CRC(0, data)
	}
}

// Blocks: framing, length checks and the CRC chain.
func BenchmarkReaderBlocks(b *testing.B) {
	data := benchLog()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		r := NewReader(bytes.NewReader(data), "bench", int64(len(data)))
		for _, err := r.Next(); err == nil; _, err = r.Next() {
		}
		if r.Err() != nil {
			b.Fatal(r.Err())
		}
		r.Release()
	}
}

// Scan: blocks plus every mutation decoded and offset-checked (what verify
// and replay do per file). Target: at least 50% of BenchmarkCRC32C.
func BenchmarkScan(b *testing.B) {
	data := benchLog()
	b.SetBytes(int64(len(data)))
	n := 0
	for b.Loop() {
		s, err := Scan(bytes.NewReader(data), LogFile{Path: "bench", Index: 1, Size: int64(len(data))}, func(m *Mutation, p Pos) error {
			n++
			return nil
		})
		if err != nil || s.Err != nil {
			b.Fatal(err, s.Err)
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "mutations/s")
}

func BenchmarkEncodeBatch(b *testing.B) {
	g := gpid.Gpid{App: 1, Partition: 1}
	batch := make([]*Mutation, 16)
	for i := range batch {
		batch[i] = putMutation(g, 1, int64(i+1), 1000)
	}
	enc, out := NewEncoder(nil, &FileHeader{Entries: []ReplicaLogInfo{{Gpid: g}}})
	b.SetBytes(int64(len(batch) * batch[0].Size()))
	for b.Loop() {
		out, _ = enc.Batch(out[:0], batch)
	}
}
