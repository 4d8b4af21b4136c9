package dataroot

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/waltool/waltool/vfs"
)

// InitInfoFile is the name of the file inside a replica dir
// (replica_init_info::kInitInfo).
const InitInfoFile = ".init-info"

// ErrBadInitInfo marks a .init-info that Pegasus's decoder rejects.
var ErrBadInitInfo = errors.New("dataroot: bad .init-info")

// InitInfo is replica_init_info (src/replica/replication_app_base.h). The
// struct also has magic and crc members, left over from the binary ".info"
// file; they are not part of the JSON.
type InitInfo struct {
	InitBallot             int64 // ballot when the replica was created or last reset
	InitDurableDecree      int64 // the app's durable decree must be >= this on open
	InitOffsetInSharedLog  int64 // slog mutations below this offset are ignored (<= 2.5)
	InitOffsetInPrivateLog int64 // plog mutations below this offset are ignored
}

// initInfoKeys is the DEFINE_JSON_SERIALIZATION order, which is also the
// order rapidjson writes the members in.
var initInfoKeys = [4]string{
	"init_ballot",
	"init_durable_decree",
	"init_offset_in_shared_log",
	"init_offset_in_private_log",
}

func (ii *InitInfo) fields() [4]*int64 {
	return [4]*int64{&ii.InitBallot, &ii.InitDurableDecree, &ii.InitOffsetInSharedLog, &ii.InitOffsetInPrivateLog}
}

// EncodeInitInfo returns the bytes Pegasus writes: rapidjson's compact
// Writer (json_forwarder<replica_init_info>::encode), members in
// declaration order, Int64 values, no trailing newline.
func EncodeInitInfo(ii InitInfo) []byte {
	b := []byte{'{'}
	for i, p := range ii.fields() {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, initInfoKeys[i]...)
		b = append(b, '"', ':')
		b = strconv.AppendInt(b, *p, 10)
	}
	return append(b, '}')
}

// DecodeInitInfo accepts what Pegasus's JSON_DECODE_ENTRIES accepts
// (json_helper.h): a JSON object (whitespace allowed, rapidjson
// kParseDefaultFlags); every known member present must be an integer that
// fits int64 (IsInt64, so 1.0 and "1" are rejected); absent members stay 0.
// The object is accepted when all four members are there, or when every
// member it has is a known one: missing members are tolerated only if
// there are no unknown ones. For repeated keys rapidjson uses the first.
func DecodeInitInfo(b []byte) (InitInfo, error) {
	var ii InitInfo
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return ii, fmt.Errorf("%w: not a JSON object", ErrBadInitInfo)
	}
	members, parsed := 0, 0
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return ii, fmt.Errorf("%w: %v", ErrBadInitInfo, err)
		}
		key, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return ii, fmt.Errorf("%w: member %q: %v", ErrBadInitInfo, key, err)
		}
		members++
		idx := indexOf(initInfoKeys[:], key)
		if idx < 0 || seen[key] {
			continue
		}
		seen[key] = true
		v, err := strconv.ParseInt(string(bytes.TrimSpace(raw)), 10, 64)
		if err != nil {
			return ii, fmt.Errorf("%w: %s = %s is not an int64", ErrBadInitInfo, key, raw)
		}
		*ii.fields()[idx] = v
		parsed++
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return ii, fmt.Errorf("%w: %v", ErrBadInitInfo, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return ii, fmt.Errorf("%w: data after the object", ErrBadInitInfo)
	}
	if parsed != len(initInfoKeys) && parsed != members {
		return ii, fmt.Errorf("%w: %d of %d members known and some missing", ErrBadInitInfo, parsed, members)
	}
	return ii, nil
}

// ReadInitInfo reads and decodes a .init-info file (path is the file, not
// the replica dir as in replica_init_info::load). A missing file gives an
// error wrapping fs.ErrNotExist.
func ReadInitInfo(fsys vfs.FS, path string) (*InitInfo, error) {
	b, err := vfs.ReadFile(fsys, path, maxMetaFileSize)
	if err != nil {
		return nil, fmt.Errorf("dataroot: read init info: %w", err)
	}
	ii, err := DecodeInitInfo(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &ii, nil
}

// WriteInitInfo writes ii to path (the file) as replica_init_info::store
// does: EncodeInitInfo bytes, published atomically via "<path>.tmp".
func WriteInitInfo(fsys vfs.FS, path string, ii InitInfo) error {
	return writeFileAtomic(fsys, path, EncodeInitInfo(ii))
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}
