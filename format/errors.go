package format

import (
	"errors"
	"fmt"

	"github.com/waltool/waltool/finding"
)

// Sentinel causes; match them with errors.Is through any wrapping.
var (
	ErrTornTail       = errors.New("torn tail")
	ErrCorruption     = errors.New("corruption")
	ErrBadMagic       = errors.New("bad block magic")
	ErrCRCMismatch    = errors.New("crc mismatch")
	ErrBadFileHeader  = errors.New("bad file header")
	ErrBadMutation    = errors.New("bad mutation")
	ErrOffsetMismatch = errors.New("log_offset mismatch")
	ErrEmptyFile      = errors.New("empty file")
	ErrBlockTooLarge  = errors.New("block too large to check")
)

// Error locates a failure in a log file. Offset is the file offset of the
// header of the block that failed; MutationOffset, when not -1, is the file
// offset of the mutation inside it that failed to parse.
type Error struct {
	File           string
	Offset         int64
	Block          int
	MutationOffset int64
	Class          finding.Class
	Err            error
}

func (e *Error) Error() string {
	s := fmt.Sprintf("%s: block %d at offset %d", e.File, e.Block, e.Offset)
	if e.MutationOffset >= 0 {
		s += fmt.Sprintf(", mutation at offset %d", e.MutationOffset)
	}
	return s + ": " + e.Class.String() + ": " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// Finding is e as a finding: at the offset of the failed block, with the
// block and mutation in the message.
func (e *Error) Finding() finding.Finding {
	msg := fmt.Sprintf("block %d: %v", e.Block, e.Err)
	if e.MutationOffset >= 0 {
		msg = fmt.Sprintf("block %d, mutation at offset %d: %v", e.Block, e.MutationOffset, e.Err)
	}
	return finding.Finding{Class: e.Class, Path: e.File, Offset: e.Offset, Message: msg, Err: e}
}

// Is makes errors.Is(err, ErrTornTail / ErrCorruption) test the class.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrTornTail:
		return e.Class == finding.TornTail
	case ErrCorruption:
		return e.Class == finding.Corrupt
	}
	return false
}

// AsError returns the *Error in err's chain, if any.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
