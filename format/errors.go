package format

import (
	"errors"
	"fmt"
)

// Class says what Pegasus itself does with a damaged log, which is what an
// operator needs to know: Pegasus decides the class, not taste.
type Class int

const (
	// TornTail is an incomplete block header or body at the end of a file
	// (ERR_INCOMPLETE_DATA): Pegasus tolerates it at the end of the last file,
	// and in a middle file when the next file starts exactly where the valid
	// data ends (mutation_log::replay, src/replica/mutation_log_replay.cpp).
	TornTail Class = iota + 1
	// Corrupt is bad magic, a CRC mismatch, a bad file header, a mutation that
	// does not parse or sits at the wrong offset (ERR_INVALID_DATA or a CHECK
	// abort): Pegasus refuses to open the log and moves the replica to .err.
	Corrupt
)

func (c Class) String() string {
	switch c {
	case TornTail:
		return "torn-tail"
	case Corrupt:
		return "corrupt"
	}
	return "unknown"
}

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
)

// Error locates a failure in a log file. Offset is the file offset of the
// header of the block that failed; MutationOffset, when not -1, is the file
// offset of the mutation inside it that failed to parse.
type Error struct {
	File           string
	Offset         int64
	Block          int
	MutationOffset int64
	Class          Class
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

// Is makes errors.Is(err, ErrTornTail / ErrCorruption) test the class.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrTornTail:
		return e.Class == TornTail
	case ErrCorruption:
		return e.Class == Corrupt
	}
	return false
}

// AsError returns the *Error in err's chain, if any.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
