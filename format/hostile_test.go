package format

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/waltool/waltool/finding"
	"github.com/waltool/waltool/vfs"
)

// Issue 9: a 512 MiB file whose block 0 claims a body of (nearly) 512 MiB
// cost 537 MB of RSS: the length was checked only against the file size.
// Above MaxBufferedBody the CRC is checked streaming, first.
func TestHugeBlockLengthIsCheckedBeforeBuffering(t *testing.T) {
	const size = 256 << 20
	p := filepath.Join(t.TempDir(), "log.1.0")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	var hdr [BlockHeaderSize]byte
	BlockHeader{Magic: Magic, Length: size - BlockHeaderSize, BodyCRC: 0x12345678}.Put(hdr[:])
	if _, err := f.Write(hdr[:]); err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(size); err != nil { // sparse: zeros
		t.Fatal(err)
	}
	f.Close()
	lf := LogFile{Path: p, Index: 1, Size: size}
	for _, read := range []func() (*FileScan, error){
		func() (*FileScan, error) { return ScanFile(vfs.ReadOnly(vfs.OS), lf, nil) },
		func() (*FileScan, error) { return ReadHeader(vfs.ReadOnly(vfs.OS), lf) },
	} {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		s, err := read()
		runtime.ReadMemStats(&after)
		if err != nil {
			t.Fatal(err)
		}
		e, ok := AsError(s.Err)
		if !ok || e.Class != finding.Corrupt || !errors.Is(s.Err, ErrCRCMismatch) || e.Offset != 0 {
			t.Fatalf("want a corrupt CRC mismatch at offset 0: %v", s.Err)
		}
		if got := after.TotalAlloc - before.TotalAlloc; got > 8<<20 {
			t.Fatalf("allocated %d bytes for a hostile length", got)
		}
	}
}

// A block above the bound whose CRC matches (a server with
// max_allowed_write_size raised) still reads.
func TestLargeValidBlockStillReads(t *testing.T) {
	body := make([]byte, MaxBufferedBody+100)
	for i := range body {
		body[i] = byte(i * 7)
	}
	b := make([]byte, BlockHeaderSize, BlockHeaderSize+len(body))
	BlockHeader{Magic: Magic, Length: int32(len(body)), BodyCRC: CRC(0, body)}.Put(b)
	b = append(b, body...)
	p := filepath.Join(t.TempDir(), "log.1.0")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := vfs.OS.OpenReadOnly(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := NewReader(f, p, int64(len(b)))
	defer r.Release()
	blk, err := r.Next()
	if err != nil || len(blk.Body) != len(body) {
		t.Fatalf("%v", err)
	}
}
