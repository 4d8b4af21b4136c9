package schema

// Verify is the document of `waltool verify --json`.
type Verify struct {
	Envelope
	// Targets are the PATH arguments, as resolved.
	Targets []Target `json:"targets"`
	// Dirs are the log dirs read, slog first, then plogs by gpid.
	Dirs []LogDir `json:"dirs"`
	// Findings are all of the run's findings: every log dir's, the
	// replicas' metadata, the orphans.
	Findings []Finding `json:"findings"`
}

// Target is one PATH argument and what it named.
type Target struct {
	Path string `json:"path"`
	// What is "log file", "log dir", "replica dir" or "data root".
	What string `json:"what"`
	// ServerDirs are the dirs of a data root (absent for the others).
	ServerDirs *ServerDirs `json:"server_dirs,omitempty"`
}

// LogDir is one log directory: the slog dir or a replica's plog dir.
type LogDir struct {
	Path string `json:"path"`
	// Log is "slog" or "plog".
	Log string `json:"log"`
	// Gpid is the owner of a plog dir, when known.
	Gpid string `json:"gpid,omitempty"`
	OK   bool   `json:"ok"`
	// EndOffset is the global offset where the valid data ends: where the
	// server starts its next file.
	EndOffset int64     `json:"end_offset"`
	Blocks    int64     `json:"blocks"`
	Mutations int64     `json:"mutations"`
	Bytes     int64     `json:"bytes"`
	Files     []LogFile `json:"files"`
	Gpids     []GpidLog `json:"gpids"`
	// IgnoredPaths are entries the server's loader skips.
	IgnoredPaths []string `json:"ignored_paths"`
}

// LogFile is one log file.
type LogFile struct {
	Path        string `json:"path"`
	Name        string `json:"name"`
	Index       int64  `json:"index"`
	StartOffset int64  `json:"start_offset"`
	// Status is "ok" or the class of the file's first damage.
	Status     string `json:"status"`
	Blocks     int64  `json:"blocks"`
	Mutations  int64  `json:"mutations"`
	Bytes      int64  `json:"bytes"`
	ValidBytes int64  `json:"valid_bytes"`
	// Damage is the file's first damage (also in Verify.Findings).
	Damage *Finding    `json:"damage,omitempty"`
	Header *FileHeader `json:"header,omitempty"`
}

// FileHeader is a log file's header block (log_block::log_header and the
// replica_log_info map).
type FileHeader struct {
	Version     int64         `json:"version"`
	StartOffset int64         `json:"start_offset"`
	Entries     []HeaderEntry `json:"entries"`
}

// HeaderEntry is one replica's entry in a file header.
type HeaderEntry struct {
	Gpid             string `json:"gpid"`
	MaxDecree        int64  `json:"max_decree"`
	ValidStartOffset int64  `json:"valid_start_offset"`
}

// GpidLog is one replica's mutations in a log dir.
type GpidLog struct {
	Gpid      string `json:"gpid"`
	MinDecree int64  `json:"min_decree"`
	MaxDecree int64  `json:"max_decree"`
	Mutations int64  `json:"mutations"`
	// LastIntactDecree is the highest decree the server replays before the
	// first damage that stops it.
	LastIntactDecree int64 `json:"last_intact_decree"`
}
