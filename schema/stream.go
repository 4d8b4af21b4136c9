package schema

// Line opens every line of a JSON Lines stream (`dump --json`, `replay
// --emit GPID --json`). A stream ends with exactly one End line: a stream
// without one was cut short.
type Line struct {
	Schema  string `json:"schema"`
	Command string `json:"command"`
	// Record is "mutation", "finding" or "end".
	Record string `json:"record"`
}

// Record kinds of a stream.
const (
	RecordMutation = "mutation"
	RecordFinding  = "finding"
	RecordEnd      = "end"
)

// MutationLine is one mutation, where it was read.
type MutationLine struct {
	Line
	// Path is the log file.
	Path                string   `json:"path"`
	BlockOffset         int64    `json:"block_offset"`
	FileOffset          int64    `json:"file_offset"`
	LogOffset           int64    `json:"log_offset"`
	LogLength           int64    `json:"log_length"`
	Gpid                string   `json:"gpid"`
	Ballot              int64    `json:"ballot"`
	Decree              int64    `json:"decree"`
	LastCommittedDecree int64    `json:"last_committed_decree"`
	TimestampUs         int64    `json:"timestamp_us"`
	Updates             []Update `json:"updates"`
	// Committed is replay --emit's: false for the prepared tail.
	Committed *bool `json:"committed,omitempty"`
}

// Update is one write of a mutation.
type Update struct {
	// Code is the task code: RPC_RRDB_RRDB_PUT, ...
	Code              string `json:"code"`
	SerializationType int64  `json:"serialization_type"`
	Bytes             int64  `json:"bytes"`
	// Request is the decoded write (with -d), its fields named as Pegasus's
	// rrdb.thrift names them; keys and values are text when printable,
	// else {"base64": ...}.
	Request any `json:"request,omitempty"`
	// DecodeError says why the payload did not decode (with -d).
	DecodeError string `json:"decode_error,omitempty"`
}

// FindingLine is damage met while streaming (the rest of that file is
// skipped, or a torn tail Pegasus tolerates).
type FindingLine struct {
	Line
	Finding Finding `json:"finding"`
}

// End is the last line of a stream: its verdict and counts.
type End struct {
	Envelope
	Record string `json:"record"`
	// FileCount is the number of log files read.
	FileCount int64 `json:"file_count"`
	// Mutations were read; Printed passed the filters.
	Mutations int64 `json:"mutations"`
	Printed   int64 `json:"printed"`
}
