package format

import (
	"fmt"
	"io"

	"github.com/waltool/waltool/finding"
	"github.com/waltool/waltool/vfs"
)

// LogFile is a log file found in a log directory.
type LogFile struct {
	Path        string
	Index       int32
	StartOffset int64 // from the name; the header must agree
	Size        int64
}

// Name is the file's base name.
func (f LogFile) Name() string { return FileName(f.Index, f.StartOffset) }

// Pos locates a mutation.
type Pos struct {
	Block       int   // index of the block holding it
	BlockOffset int64 // file offset of that block's header
	FileOffset  int64 // file offset of the mutation
	Size        int   // encoded size (log_length)
}

// MutationFunc receives each mutation in file order. m and its update data
// are reused after it returns; keep a Clone to retain them. Returning an
// error stops the scan with that error.
type MutationFunc func(m *Mutation, pos Pos) error

// FileScan is what reading one log file found.
type FileScan struct {
	File      LogFile
	Header    *FileHeader // nil when block 0 did not parse
	Blocks    int         // valid blocks, block 0 included
	Mutations int
	// ValidBytes is the length of the valid prefix: the file offset just
	// past the last block that passed every check.
	ValidBytes int64
	// Err is nil for a clean file, otherwise an *Error saying where the
	// first damage is and whether Pegasus treats it as a torn tail.
	Err error
}

// EndOffset is the global offset just past the valid prefix: where Pegasus's
// replay of this file ends and where it would start the next file.
func (s *FileScan) EndOffset() int64 { return s.File.StartOffset + s.ValidBytes }

// ScanFile opens lf read-only through fsys and scans it; see Scan.
func ScanFile(fsys vfs.FS, lf LogFile, fn MutationFunc) (*FileScan, error) {
	f, err := fsys.OpenReadOnly(lf.Path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if lf.Size < 0 {
		st, err := f.Stat()
		if err != nil {
			return nil, err
		}
		lf.Size = st.Size()
	}
	return Scan(f, lf, fn)
}

// Scan reads one log file from src the way mutation_log::replay_block does:
// block 0 carries the file header (whose start offset must match the name),
// and every mutation's log_offset must equal its global offset. Damage ends
// the scan and is reported in FileScan.Err; the returned error is only for
// I/O failures and errors from fn.
func Scan(src io.Reader, lf LogFile, fn MutationFunc) (*FileScan, error) {
	s := &FileScan{File: lf}
	r := NewReader(src, lf.Path, lf.Size)
	defer r.Release()
	var m Mutation
	var blk Block
	b := &blk
	for {
		err := r.next(b)
		if err == io.EOF {
			break
		}
		if err != nil {
			if _, ok := AsError(err); ok {
				s.Err = err
				break
			}
			return s, err
		}
		body := b.Body
		mutOff := b.Offset + BlockHeaderSize
		if b.Index == 0 {
			h, n, err := DecodeFileHeader(body)
			if err == nil && h.StartOffset != lf.StartOffset {
				err = fmt.Errorf("%w: start_global_offset %d, file name says %d", ErrBadFileHeader, h.StartOffset, lf.StartOffset)
			}
			if err != nil {
				s.Err = &Error{File: lf.Path, Offset: b.Offset, Block: 0, MutationOffset: -1, Class: finding.Corrupt, Err: err}
				break
			}
			s.Header = &h
			body = body[n:]
			mutOff += int64(n)
		}
		ok := true
		for len(body) > 0 {
			n, err := DecodeMutation(body, &m)
			if err == nil && m.LogOffset != lf.StartOffset+mutOff {
				err = fmt.Errorf("%w: mutation says %d, its global offset is %d", ErrOffsetMismatch, m.LogOffset, lf.StartOffset+mutOff)
			}
			if err != nil {
				s.Err = &Error{File: lf.Path, Offset: b.Offset, Block: b.Index, MutationOffset: mutOff, Class: finding.Corrupt, Err: err}
				ok = false
				break
			}
			if fn != nil {
				if err := fn(&m, Pos{Block: b.Index, BlockOffset: b.Offset, FileOffset: mutOff, Size: n}); err != nil {
					return s, err
				}
			}
			s.Mutations++
			body = body[n:]
			mutOff += int64(n)
		}
		if !ok {
			break
		}
		s.Blocks++
		s.ValidBytes = b.End()
	}
	return s, nil
}

// ReadHeader reads and checks only block 0 of lf, through fsys. The scan's
// Header is nil when block 0 is damaged, and its Err says why; the error is
// for I/O failures.
func ReadHeader(fsys vfs.FS, lf LogFile) (*FileScan, error) {
	f, err := fsys.OpenReadOnly(lf.Path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	s := &FileScan{File: lf}
	r := NewReader(f, lf.Path, lf.Size)
	r.headerOnly = true
	defer r.Release()
	var b Block
	if err := r.next(&b); err != nil {
		if _, ok := AsError(err); ok {
			s.Err = err
			return s, nil
		}
		return nil, err
	}
	h, _, err := DecodeFileHeader(b.Body)
	if err == nil && h.StartOffset != lf.StartOffset {
		err = fmt.Errorf("%w: start_global_offset %d, file name says %d", ErrBadFileHeader, h.StartOffset, lf.StartOffset)
	}
	if err != nil {
		s.Err = &Error{File: lf.Path, Offset: 0, MutationOffset: -1, Class: finding.Corrupt, Err: err}
		return s, nil
	}
	s.Header = &h
	s.Blocks = 1
	s.ValidBytes = b.End()
	return s, nil
}

// Clone returns a deep copy of m that does not alias any reader buffer.
func (m *Mutation) Clone() *Mutation {
	c := *m
	c.Updates = make([]Update, len(m.Updates))
	n := 0
	for _, u := range m.Updates {
		n += len(u.Data)
	}
	data := make([]byte, 0, n)
	for i, u := range m.Updates {
		data = append(data, u.Data...)
		c.Updates[i] = Update{Code: u.Code, SerializationType: u.SerializationType, Data: data[len(data)-len(u.Data) : len(data) : len(data)]}
	}
	return &c
}
