package format

// The task-code names a Pegasus replica server registers for writes
// (src/include/rrdb/rrdb.code.definition.h, src/common/replication.codes.h).
// Replay resolves each update's name with task_code::try_get and
// CHECK-aborts the server on an unknown one (mutation::read_from), so a
// writer must emit only these, and a reader reports any other as corruption.
var knownTaskCodes = []string{
	"RPC_REPLICATION_WRITE_EMPTY",
	"RPC_RRDB_RRDB_PUT",
	"RPC_RRDB_RRDB_MULTI_PUT",
	"RPC_RRDB_RRDB_REMOVE",
	"RPC_RRDB_RRDB_MULTI_REMOVE",
	"RPC_RRDB_RRDB_INCR",
	"RPC_RRDB_RRDB_CHECK_AND_SET",
	"RPC_RRDB_RRDB_CHECK_AND_MUTATE",
	"RPC_RRDB_RRDB_DUPLICATE",
	"RPC_RRDB_RRDB_BULK_LOAD",
}

var codeIntern = func() map[string]string {
	m := make(map[string]string, len(knownTaskCodes))
	for _, c := range knownTaskCodes {
		m[c] = c
	}
	return m
}()

// KnownTaskCode reports whether a Pegasus server resolves name on replay.
func KnownTaskCode(name string) bool {
	_, ok := codeIntern[name]
	return ok
}

// KnownTaskCodes lists the registered write codes.
func KnownTaskCodes() []string { return append([]string(nil), knownTaskCodes...) }

// internCode returns the shared string for a known name without allocating
// (the compiler elides the conversion in a map index); unknown names are
// copied so that they do not pin the block buffer.
func internCode(b []byte) string {
	if s, ok := codeIntern[string(b)]; ok {
		return s
	}
	return string(b)
}
