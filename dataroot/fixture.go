package dataroot

import (
	"fmt"
	"path/filepath"
	"strconv"

	"github.com/waltool/waltool/gpid"
	"github.com/waltool/waltool/vfs"
)

// ReplicaSpec describes a replica dir for CreateReplicaDir. Nil metadata
// is left out, so broken layouts can be built on purpose.
type ReplicaSpec struct {
	Gpid gpid.Gpid
	// AppType is the dir name's suffix; "" means AppInfo.AppType, or
	// "pegasus" without an AppInfo.
	AppType     string
	AppInfo     *AppInfo  // written with WriteAppInfo; nil: no .app-info
	InitInfo    *InitInfo // written with WriteInitInfo; nil: no .init-info
	Checkpoints []int64   // empty data/checkpoint.<d> dirs
}

// CreateReplicaDir creates dataDir (if needed) and the replica dir
// <dataDir>/<app_id>.<pidx>.<app_type> with plog/, data/ and the
// checkpoint dirs, and writes the metadata files as Pegasus does. It
// refuses to reuse an existing replica dir. It returns the replica dir.
func CreateReplicaDir(fsys vfs.FS, dataDir string, r ReplicaSpec) (string, error) {
	appType := r.AppType
	if appType == "" {
		appType = "pegasus"
		if r.AppInfo != nil && r.AppInfo.AppType != "" {
			appType = r.AppInfo.AppType
		}
	}
	if err := fsys.MkdirAll(dataDir, 0o755); err != nil {
		return "", fmt.Errorf("dataroot: %w", err)
	}
	dir := filepath.Join(dataDir, r.Gpid.String()+"."+appType)
	if err := fsys.Mkdir(dir, 0o755); err != nil {
		return "", fmt.Errorf("dataroot: %w", err)
	}
	dirs := []string{filepath.Join(dir, "plog"), filepath.Join(dir, "data")}
	for _, d := range r.Checkpoints {
		dirs = append(dirs, filepath.Join(dir, "data", checkpointPrefix+strconv.FormatInt(d, 10)))
	}
	for _, d := range dirs {
		if err := fsys.Mkdir(d, 0o755); err != nil {
			return "", fmt.Errorf("dataroot: %w", err)
		}
	}
	if r.AppInfo != nil {
		if err := WriteAppInfo(fsys, filepath.Join(dir, AppInfoFile), *r.AppInfo); err != nil {
			return "", err
		}
	}
	if r.InitInfo != nil {
		if err := WriteInitInfo(fsys, filepath.Join(dir, InitInfoFile), *r.InitInfo); err != nil {
			return "", err
		}
	}
	if err := fsys.SyncDir(dataDir); err != nil {
		return "", err
	}
	return dir, nil
}
