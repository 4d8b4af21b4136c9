// Package rrdb decodes, encodes and pretty-prints the data blobs of Apache
// Pegasus write mutations (the "rrdb" service of idl/rrdb.thrift).
//
// A Pegasus mutation carries updates {code, serialization_type, data}. For
// the write codes listed in [KnownCodes] with serialization type
// [SerializationThriftBinary], data is the body of the RPC request: a
// thrift-binary (big-endian) struct whose first field holds the request.
// C++ clients and the server itself (marshall_thrift_internal) use field id
// 0 followed by STOP; the Java/Go/Python clients send the generated *_args
// struct, whose request field has id 1. The server's
// unmarshall_thrift_internal ignores id and type of that field, and so does
// [Decode]. The encoders take the field id to write (0 or 1).
//
// rDSN quirk: dsn.blob fields are declared as thrift structs, so their field
// header (and list element type) says STRUCT (0x0c), but the value is written
// as thrift binary (i32 length + bytes). A generic thrift skipper would
// misparse them, so the decoders know which fields are blobs; only fields
// they do not know (or whose type does not match the IDL, as in the
// generated C++ code) go through the generic skipper. Pegasus keys are
// blobs of u16 BE hash-key length, hash key, then the sort key.
//
// # API
//
//	Decode(code string, serializationType int32, data []byte) (Request, error)
//	Encode(r Request, fieldID int16) ([]byte, error)
//	EncodePut(p Put, fieldID int16) []byte          // and EncodeRemove, EncodeMultiPut,
//	                                                // EncodeMultiRemove, EncodeIncr,
//	                                                // EncodeCheckAndSet, EncodeCheckAndMutate
//	FormatDetailed(w io.Writer, code string, serializationType int32, data []byte) error
//	Formatter{EscapeAll bool}.Format / .WriteRequest
//	CEscape(b []byte, escapeAll bool) string
//	KnownCodes, IsKnownCode, Code* constants
//
// [Decode] returns one of *Empty, *Put, *Remove, *MultiPut, *MultiRemove,
// *Incr, *CheckAndSet or *CheckAndMutate. Byte fields of the result alias
// data (no copy), capped so that appending to them never writes into data;
// copy them if data is reused. Malformed input yields a *MalformedError and
// codes or serialization types this package does not decode (including the
// known DUPLICATE and BULK_LOAD codes) an *UnsupportedError. Decode never
// panics and never sizes an allocation from a length prefix alone: besides
// the result structs it makes one slice per list, of at most one element
// per remaining input byte (a realistic multi_put allocates about 1.7x
// len(data); a hostile list of empty structs up to 64 bytes per input byte).
//
// Byte fields use [Bytes], which marshals to JSON as a plain string when the
// bytes are valid UTF-8 made only of printable characters (unicode.IsPrint,
// so no control characters), and as {"base64": "<std encoding>"} otherwise.
// Enums (CheckType, MutateOperation, UpdateType) marshal as their IDL names.
//
// [FormatDetailed] reproduces the per-update lines of the Pegasus shell
// command "mlog_dump -d" (src/shell/commands/debugger.cpp at Pegasus HEAD).
// Where Pegasus prints the process-local numeric task code, which a log does
// not record, we print -1. Pegasus prints CHECK_AND_MUTATE as unsupported;
// we print it in the style of CHECK_AND_SET instead (see [Formatter]).
package rrdb
