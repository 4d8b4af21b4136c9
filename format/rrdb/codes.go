package rrdb

// Task-code names of Pegasus writes, as stored in mutation updates.
const (
	CodeEmpty          = "RPC_REPLICATION_WRITE_EMPTY"
	CodePut            = "RPC_RRDB_RRDB_PUT"
	CodeMultiPut       = "RPC_RRDB_RRDB_MULTI_PUT"
	CodeRemove         = "RPC_RRDB_RRDB_REMOVE"
	CodeMultiRemove    = "RPC_RRDB_RRDB_MULTI_REMOVE"
	CodeIncr           = "RPC_RRDB_RRDB_INCR"
	CodeCheckAndSet    = "RPC_RRDB_RRDB_CHECK_AND_SET"
	CodeCheckAndMutate = "RPC_RRDB_RRDB_CHECK_AND_MUTATE"
	CodeDuplicate      = "RPC_RRDB_RRDB_DUPLICATE"
	CodeBulkLoad       = "RPC_RRDB_RRDB_BULK_LOAD"
)

// SerializationThriftBinary is dsn_msg_serialize_format DSF_THRIFT_BINARY
// (src/task/task_spec.h), the only format [Decode] handles.
const SerializationThriftBinary int32 = 1

// KnownCodes lists every write code a Pegasus server registers
// (src/include/rrdb/rrdb.code.definition.h, src/common/replication.codes.h).
// Replay resolves update names with task_code::try_get and aborts on an
// unknown one, so a writer must emit only these. Do not modify.
var KnownCodes = []string{
	CodeEmpty,
	CodePut,
	CodeMultiPut,
	CodeRemove,
	CodeMultiRemove,
	CodeIncr,
	CodeCheckAndSet,
	CodeCheckAndMutate,
	CodeDuplicate,
	CodeBulkLoad,
}

// IsKnownCode reports whether name is in [KnownCodes].
func IsKnownCode(name string) bool {
	switch name {
	case CodeEmpty, CodePut, CodeMultiPut, CodeRemove, CodeMultiRemove, CodeIncr,
		CodeCheckAndSet, CodeCheckAndMutate, CodeDuplicate, CodeBulkLoad:
		return true
	}
	return false
}
