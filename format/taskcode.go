package format

import "github.com/waltool/waltool/format/rrdb"

// internCode returns the shared constant for a registered write code
// (rrdb.KnownCodes), so that decoding a mutation does not allocate its
// names; the switch compares bytes without converting them (no hashing, no
// allocation). Unknown names are copied so that they do not pin the block
// buffer. TestInternCoversKnownCodes keeps this list in step with rrdb.
func internCode(b []byte) string {
	switch string(b) {
	case rrdb.CodePut:
		return rrdb.CodePut
	case rrdb.CodeEmpty:
		return rrdb.CodeEmpty
	case rrdb.CodeMultiPut:
		return rrdb.CodeMultiPut
	case rrdb.CodeRemove:
		return rrdb.CodeRemove
	case rrdb.CodeMultiRemove:
		return rrdb.CodeMultiRemove
	case rrdb.CodeIncr:
		return rrdb.CodeIncr
	case rrdb.CodeCheckAndSet:
		return rrdb.CodeCheckAndSet
	case rrdb.CodeCheckAndMutate:
		return rrdb.CodeCheckAndMutate
	case rrdb.CodeDuplicate:
		return rrdb.CodeDuplicate
	case rrdb.CodeBulkLoad:
		return rrdb.CodeBulkLoad
	}
	return string(b)
}
