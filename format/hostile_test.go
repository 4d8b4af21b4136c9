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

// A block whose CRC matches but which is larger than waltool reads into
// memory (MaxBlockBody) is an Error-class failure at its offset: the CRC
// was checked streaming, the mutations cannot be, and nothing past the
// bound is allocated.
func TestValidBlockBeyondTheMemoryBoundIsAnError(t *testing.T) {
	const length = MaxBlockBody + 1
	body := make([]byte, 1<<20)
	for i := range body {
		body[i] = byte(i * 13)
	}
	crc := uint32(0)
	for n := 0; n < length; n += len(body) {
		crc = CRC(crc, body[:min(len(body), length-n)])
	}
	p := filepath.Join(t.TempDir(), "log.1.0")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	var hdr [BlockHeaderSize]byte
	BlockHeader{Magic: Magic, Length: length, BodyCRC: crc}.Put(hdr[:])
	f.Write(hdr[:])
	for n := 0; n < length; n += len(body) {
		if _, err := f.Write(body[:min(len(body), length-n)]); err != nil {
			t.Fatal(err)
		}
	}
	f.Close()
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	s, err := ScanFile(vfs.ReadOnly(vfs.OS), LogFile{Path: p, Index: 1, Size: BlockHeaderSize + length}, nil)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	e, ok := AsError(s.Err)
	if !ok || e.Class != finding.Error || !errors.Is(s.Err, ErrBlockTooLarge) || e.Offset != 0 {
		t.Fatalf("want an error-class ErrBlockTooLarge at offset 0: %v", s.Err)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 8<<20 {
		t.Fatalf("allocated %d bytes for a block beyond the bound", got)
	}
}
