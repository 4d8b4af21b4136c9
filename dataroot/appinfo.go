package dataroot

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strconv"

	"github.com/waltool/waltool/vfs"
)

// AppInfoFile is the name of the file inside a replica dir
// (replica_app_info::kAppInfo).
const AppInfoFile = ".app-info"

var (
	// ErrBadMagic: the first 8 bytes are not the thrift-binary wrapper of
	// 0xdeadbeef. Pegasus's replica_app_info::load returns ERR_INVALID_DATA
	// and the replica is not loaded.
	ErrBadMagic = errors.New("dataroot: .app-info: bad magic")
	// ErrBadAppInfo: the thrift JSON does not decode. Pegasus's thrift
	// decoder throws here, and load_replica does not catch it (derived).
	ErrBadAppInfo = errors.New("dataroot: .app-info: bad thrift JSON")
)

// appInfoMagic is marshall(writer, int(0xdeadbeef), DSF_THRIFT_BINARY):
// marshall_thrift_internal wraps every value in a struct with one field,
// id 0, so TBinaryProtocol writes field type T_I32 (8), field id 0 (i16 BE),
// the i32 BE, then T_STOP (src/common/serialization_helper/thrift_helper.h).
var appInfoMagic = []byte{0x08, 0x00, 0x00, 0xde, 0xad, 0xbe, 0xef, 0x00}

// AllowIngestBehindEnv is the only env replica_app_info::store persists
// (replica_envs::ROCKSDB_ALLOW_INGEST_BEHIND).
const AllowIngestBehindEnv = "rocksdb.allow_ingest_behind"

// AppStatus is app_status::type (idl/dsn.layer2.thrift).
type AppStatus int32

const (
	AppStatusInvalid      AppStatus = 0
	AppStatusAvailable    AppStatus = 1
	AppStatusCreating     AppStatus = 2
	AppStatusCreateFailed AppStatus = 3 // deprecated
	AppStatusDropping     AppStatus = 4
	AppStatusDropFailed   AppStatus = 5 // deprecated
	AppStatusDropped      AppStatus = 6
	AppStatusRecalling    AppStatus = 7
)

var appStatusNames = [...]string{
	"AS_INVALID", "AS_AVAILABLE", "AS_CREATING", "AS_CREATE_FAILED",
	"AS_DROPPING", "AS_DROP_FAILED", "AS_DROPPED", "AS_RECALLING",
}

func (s AppStatus) String() string {
	if s >= 0 && int(s) < len(appStatusNames) {
		return appStatusNames[s]
	}
	return "app_status(" + strconv.Itoa(int(s)) + ")"
}

// AppInfo is dsn::app_info (idl/dsn.layer2.thrift). Field numbers are the
// thrift ids. The optional bools are pointers: nil means the field is
// absent from the file. Pegasus's generated C++ marks an optional field
// with a default value as set from construction (thrift 0.9.3
// t_cpp_generator: __isset is true when the field has a default), so the
// files it writes always carry 12 and 14, and HEAD's also 15.
type AppInfo struct {
	Status             AppStatus         // 1, i32 enum
	AppType            string            // 2, e.g. "pegasus"
	AppName            string            // 3
	AppID              int32             // 4
	PartitionCount     int32             // 5
	Envs               map[string]string // 6
	IsStateful         bool              // 7
	MaxReplicaCount    int32             // 8
	ExpireSecond       int64             // 9
	CreateSecond       int64             // 10
	DropSecond         int64             // 11
	Duplicating        *bool             // 12, optional
	InitPartitionCount int32             // 13, default -1
	IsBulkLoading      *bool             // 14, optional
	AtomicIdempotent   *bool             // 15, optional; HEAD (2.6) only

	// Skipped lists fields the decoder passed over: unknown ids, or known
	// ids with an unexpected type (the generated reader skips both). It
	// is informational and ignored by the encoder.
	Skipped []int16
}

// NewAppInfo returns the app_info a 2.4/2.5 meta server hands a new
// replica of a Pegasus table, as a starting point for fixtures.
func NewAppInfo(appName string, appID, partitionCount int32) AppInfo {
	f := false
	return AppInfo{
		Status:             AppStatusAvailable,
		AppType:            "pegasus",
		AppName:            appName,
		AppID:              appID,
		PartitionCount:     partitionCount,
		Envs:               map[string]string{},
		IsStateful:         true,
		MaxReplicaCount:    3,
		Duplicating:        &f,
		InitPartitionCount: partitionCount,
		IsBulkLoading:      &f,
	}
}

// EncodeAppInfo returns the .app-info bytes for a exactly as given (the
// envs are not filtered; WriteAppInfo does that): the magic, then
// marshall_thrift_json's wrapper {"0":{"rec":<app_info>}} around the
// generated app_info::write output (fields by id, optional ones only when
// set, envs in std::map order, i.e. sorted by bytes).
func EncodeAppInfo(a AppInfo) []byte {
	w := newTJWriter(append([]byte(nil), appInfoMagic...))
	w.structBegin()
	w.fieldBegin(0, tjStruct)

	w.structBegin()
	w.fieldBegin(1, tjI32)
	w.integer(int64(a.Status))
	w.fieldEnd()
	w.fieldBegin(2, tjString)
	w.str(a.AppType)
	w.fieldEnd()
	w.fieldBegin(3, tjString)
	w.str(a.AppName)
	w.fieldEnd()
	w.fieldBegin(4, tjI32)
	w.integer(int64(a.AppID))
	w.fieldEnd()
	w.fieldBegin(5, tjI32)
	w.integer(int64(a.PartitionCount))
	w.fieldEnd()
	w.fieldBegin(6, tjMap)
	keys := make([]string, 0, len(a.Envs))
	for k := range a.Envs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	w.mapBegin(tjString, tjString, len(keys))
	for _, k := range keys {
		w.str(k)
		w.str(a.Envs[k])
	}
	w.mapEnd()
	w.fieldEnd()
	w.fieldBegin(7, tjBool)
	w.boolean(a.IsStateful)
	w.fieldEnd()
	w.fieldBegin(8, tjI32)
	w.integer(int64(a.MaxReplicaCount))
	w.fieldEnd()
	for i, v := range []int64{a.ExpireSecond, a.CreateSecond, a.DropSecond} {
		w.fieldBegin(int16(9+i), tjI64)
		w.integer(v)
		w.fieldEnd()
	}
	writeOptBool(w, 12, a.Duplicating)
	w.fieldBegin(13, tjI32)
	w.integer(int64(a.InitPartitionCount))
	w.fieldEnd()
	writeOptBool(w, 14, a.IsBulkLoading)
	writeOptBool(w, 15, a.AtomicIdempotent)
	w.structEnd()

	w.fieldEnd()
	w.structEnd()
	return w.buf
}

func writeOptBool(w *tjWriter, id int16, v *bool) {
	if v == nil {
		return
	}
	w.fieldBegin(id, tjBool)
	w.boolean(*v)
	w.fieldEnd()
}

// DecodeAppInfo decodes .app-info bytes as replica_app_info::load does.
// Like Pegasus it ignores anything after the wrapper struct.
func DecodeAppInfo(b []byte) (a *AppInfo, err error) {
	switch {
	case len(b) < len(appInfoMagic):
		return nil, fmt.Errorf("%w: file is %d bytes", ErrBadMagic, len(b))
	case !bytes.Equal(b[3:7], appInfoMagic[3:7]):
		return nil, fmt.Errorf("%w: % x", ErrBadMagic, b[3:7])
	case !bytes.Equal(b[:len(appInfoMagic)], appInfoMagic):
		// Pegasus checks only the value; the rest is what its writer emits.
		return nil, fmt.Errorf("%w: wrapper bytes % x", ErrBadMagic, b[:len(appInfoMagic)])
	}
	defer func() {
		if err != nil {
			a, err = nil, fmt.Errorf("%w: %v", ErrBadAppInfo, err)
		}
	}()
	defer catchTJSON(&err)

	// unmarshall_thrift_internal: it ignores the wrapper field's id and
	// type and reads the value as an app_info.
	r := newTJReader(b)
	r.pos = len(appInfoMagic) // error offsets count from the file start
	r.structBegin()
	if _, _, ok := r.fieldBegin(); !ok {
		r.fail("empty wrapper struct")
	}
	a = readAppInfo(r)
	r.fieldEnd()
	if _, _, ok := r.fieldBegin(); ok {
		r.fail("wrapper struct has a second field")
	}
	r.structEnd()
	return a, nil
}

// readAppInfo mirrors the generated app_info::read: it starts from the
// IDL defaults and reads each known field whose type matches.
func readAppInfo(r *tjReader) *AppInfo {
	a := &AppInfo{InitPartitionCount: -1, Envs: map[string]string{}}
	r.structBegin()
	for {
		id, typ, ok := r.fieldBegin()
		if !ok {
			break
		}
		if want, known := appInfoFieldTypes[id]; !known || want != typ {
			r.skip(typ, 0)
			a.Skipped = append(a.Skipped, id)
			r.fieldEnd()
			continue
		}
		switch id {
		case 1:
			a.Status = AppStatus(r.integer(32))
		case 2:
			a.AppType = r.str()
		case 3:
			a.AppName = r.str()
		case 4:
			a.AppID = int32(r.integer(32))
		case 5:
			a.PartitionCount = int32(r.integer(32))
		case 6:
			// Generated code ignores the element types and reads strings.
			_, _, n := r.mapBegin()
			a.Envs = make(map[string]string, n)
			for i := 0; i < n; i++ {
				k := r.str()
				a.Envs[k] = r.str()
			}
			r.mapEnd()
		case 7:
			a.IsStateful = r.boolean()
		case 8:
			a.MaxReplicaCount = int32(r.integer(32))
		case 9:
			a.ExpireSecond = r.integer(64)
		case 10:
			a.CreateSecond = r.integer(64)
		case 11:
			a.DropSecond = r.integer(64)
		case 12:
			a.Duplicating = boolPtr(r.boolean())
		case 13:
			a.InitPartitionCount = int32(r.integer(32))
		case 14:
			a.IsBulkLoading = boolPtr(r.boolean())
		case 15:
			a.AtomicIdempotent = boolPtr(r.boolean())
		}
		r.fieldEnd()
	}
	r.structEnd()
	return a
}

var appInfoFieldTypes = map[int16]string{
	1: tjI32, 2: tjString, 3: tjString, 4: tjI32, 5: tjI32, 6: tjMap,
	7: tjBool, 8: tjI32, 9: tjI64, 10: tjI64, 11: tjI64, 12: tjBool,
	13: tjI32, 14: tjBool, 15: tjBool,
}

func boolPtr(v bool) *bool { return &v }

// ReadAppInfo reads and decodes a .app-info file. A missing file gives an
// error wrapping fs.ErrNotExist.
func ReadAppInfo(fsys vfs.FS, path string) (*AppInfo, error) {
	b, err := vfs.ReadFile(fsys, path, maxMetaFileSize)
	if err != nil {
		return nil, fmt.Errorf("dataroot: read app info: %w", err)
	}
	a, err := DecodeAppInfo(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return a, nil
}

// WriteAppInfo writes a to path as replica_app_info::store does: of the
// envs only AllowIngestBehindEnv is kept ("for most envs, do not persistent
// them to app info file"), then EncodeAppInfo, published atomically via
// "<path>.tmp".
func WriteAppInfo(fsys vfs.FS, path string, a AppInfo) error {
	if len(a.Envs) > 0 {
		kept := map[string]string{}
		if v, ok := a.Envs[AllowIngestBehindEnv]; ok {
			kept[AllowIngestBehindEnv] = v
		}
		a.Envs = kept
	}
	return writeFileAtomic(fsys, path, EncodeAppInfo(a))
}
